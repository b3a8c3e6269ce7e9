#!/usr/bin/env bash
# End to end, the README's run flow minus the build: ingest the credit-scoring example, start
# the real server on port 0, run scripts/setup-examples.sh, and check that both example models
# ended up in `production` through passed gates and a second person's approval.
# usage: example_setup_test.sh LEPTON_BINARY
set -euo pipefail
LEPTON=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export LEPTON_HOME
LEPTON_HOME=$(mktemp -d /tmp/lepton-e2e.XXXXXX)
LOG=$LEPTON_HOME.log
cleanup() { [[ -n ${SERVER:-} ]] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" || true; rm -rf "$LEPTON_HOME" "$LOG"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$LEPTON" lake ingest "$ROOT/examples/credit-scoring/german_credit.csv" --dataset credit/german_credit \
  --home "$LEPTON_HOME" >/dev/null
"$LEPTON" server --home "$LEPTON_HOME" --listen 127.0.0.1:0 >"$LOG" 2>&1 &
SERVER=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(grep -o -m1 'listening on http://[^ ]*' "$LOG" | cut -d' ' -f3 || true)
  [[ -n $URL ]] && break
  sleep 0.1
done
[[ -n $URL ]] || fail "server did not start: $(cat "$LOG")"

"$ROOT/scripts/setup-examples.sh" "$URL" "$LEPTON" >"$LEPTON_HOME/setup.out" 2>&1 ||
  fail "setup-examples.sh failed: $(cat "$LEPTON_HOME/setup.out")"

ADMIN=$(cat "$LEPTON_HOME/admin.token")
[[ $(stat -c %a "$LEPTON_HOME/approver.token") == 600 ]] || fail "approver.token is not mode 0600"
for model in credit-scorecard credit-xgboost; do
  json=$(LEPTON_TOKEN=$ADMIN "$LEPTON" models version "$model" production --json --server "$URL")
  python3 - "$model" "$json" <<'PY' || fail "$model is not in production as expected: $json"
import json, sys
v = json.loads(sys.argv[2])
assert v["version"] == 1 and "production" in v["aliases"] and v["status"] == "ready", v
PY
  promotions=$(LEPTON_TOKEN=$ADMIN "$LEPTON" models promotions "$model" --json --server "$URL")
  python3 - "$promotions" <<'PY' || fail "$model: promotion not approved by the bootstrap approver: $promotions"
import json, sys
p = json.loads(sys.argv[1])
assert len(p) == 1 and p[0]["state"] == "approved", p
assert p[0]["requested_by"] == "admin" and p[0]["decided_by"] == "approver", p
assert p[0]["gate_report"]["passed"] and len(p[0]["gate_report"]["gates"]) >= 5, p
PY
done
# Both are deployed: the README's curl scores the example applicant with a credit score.
for model in credit-scorecard credit-xgboost; do
  answer=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $ADMIN" -d @"$ROOT/examples/credit-scoring/applicant.json" \
    "$URL/v2/models/$model/infer")
  [[ $(tail -1 <<<"$answer") == 200 ]] || fail "$model inference failed: $answer"
  python3 - "$model" "$(head -n -1 <<<"$answer")" <<'PY' || fail "$model: unexpected inference answer: $answer"
import json, sys
out = json.loads(sys.argv[2])
names = {o["name"]: o for o in out["outputs"]}
assert out["id"] == "applicant-1" and out["model_version"] == "1", out
assert 0 < names["score"]["data"][0] < 1 and names["label"]["data"][0] in ("good", "bad"), out
assert (sys.argv[1] == "credit-scorecard") == ("credit_score" in names), out
PY
done
# The card carries what setup filled in, and the gates really gate: a stricter policy blocks.
LEPTON_TOKEN=$ADMIN "$LEPTON" models card credit-scorecard 1 --markdown --server "$URL" | grep -q "Statlog German Credit" ||
  fail "card lacks the intended use"
echo '{"metrics": {"auc": {"min": 0.99}}}' | LEPTON_TOKEN=$ADMIN "$LEPTON" models policy credit-scorecard --set - --server "$URL" >/dev/null
if LEPTON_TOKEN=$ADMIN "$LEPTON" models promote credit-scorecard 1 --alias production --server "$URL" >"$LEPTON_HOME/p.out" 2>&1; then
  fail "a promotion below the AUC gate went through: $(cat "$LEPTON_HOME/p.out")"
fi
grep -q "auc >= 0.99" "$LEPTON_HOME/p.out" || fail "the refusal does not name the gate: $(cat "$LEPTON_HOME/p.out")"
echo "ok: both examples in production through gates and a second person's approval ($URL)"
