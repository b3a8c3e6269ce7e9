#!/usr/bin/env bash
# The credit-scoring examples on a running server, end to end, as the README's run command does
# at the first start: trains the WOE scorecard and XGBoost (examples/credit-scoring/
# model_config*.json) on credit/german_credit, registers each as a model (credit-scorecard,
# credit-xgboost), gives it the example policy (examples/credit-scoring/policy.json: quality
# gates, production protected), fills in its model card, requests promotion to `production`
# as the admin, and has the bootstrap approver — a second user, for the four-eyes rule —
# approve it. The approver's token is kept in $LEPTON_HOME/approver.token (mode 0600). Finally it
# deploys each model, following its `production` alias, for inference at /v2/models/<name>/infer.
#
# usage: LEPTON_HOME=… scripts/setup-examples.sh SERVER_URL [LEPTON_BINARY]
# Needs credit/german_credit in the lake and $LEPTON_HOME/admin.token.
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:?usage: setup-examples.sh SERVER_URL [LEPTON_BINARY]}
LEPTON=${2:-build/bin/lepton}
HOME_DIR=${LEPTON_HOME:?LEPTON_HOME must name the server home}
ADMIN=$(cat "$HOME_DIR/admin.token")
as_admin() { LEPTON_TOKEN=$ADMIN "$LEPTON" "$@" --server "$URL"; }

if [[ ! -s $HOME_DIR/approver.token ]]; then
  as_admin user show approver >/dev/null 2>&1 || as_admin user create approver --role approver --scope 'models/*' >/dev/null
  umask 077
  as_admin token create --user approver --name bootstrap-approver --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' >"$HOME_DIR/approver.token.tmp"
  mv "$HOME_DIR/approver.token.tmp" "$HOME_DIR/approver.token"
fi
APPROVER=$(cat "$HOME_DIR/approver.token")

for example in "credit-scorecard model_config.json" "credit-xgboost model_config_xgboost.json"; do
  read -r name config <<<"$example"
  echo "== training examples/credit-scoring/$config"
  out=$(as_admin train -f "examples/credit-scoring/$config")
  echo "$out"
  run=$(grep -o -m1 '^run [0-9A-Z]*' <<<"$out" | cut -d' ' -f2)
  as_admin models get "$name" >/dev/null 2>&1 ||
    as_admin models create "$name" --description "German credit example ($config)" --tag use_case=credit-scoring >/dev/null
  version=$(as_admin models register "$name" --run "$run" | grep -o 'version [0-9]*' | cut -d' ' -f2)
  as_admin models policy "$name" --set examples/credit-scoring/policy.json >/dev/null
  as_admin models card "$name" "$version" \
    --set "intended_use=Example: probability that a consumer-credit applicant defaults (Statlog German Credit)." \
    --set "limitations=1000 applicants from 1973-75 Germany; 300 test rows, so the test AUC is uncertain by about 0.03." \
    --set owners=credit-risk --set risk_rating=high >/dev/null
  promotion=$(as_admin models promote "$name" "$version" --alias production --comment "example set-up" |
    grep -o 'promotion [0-9A-Z]*' | cut -d' ' -f2)
  LEPTON_TOKEN=$APPROVER "$LEPTON" models approve "$name" "$promotion" --server "$URL" \
    --comment "bootstrap approver: example set-up"
  code=$(curl -s -o "$HOME_DIR/deploy.out" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    -d "{\"name\": \"$name\", \"model\": \"$name\", \"alias\": \"production\"}" "$URL/api/v1/deployments")
  if [[ $code != 201 && $code != 409 ]]; then
    echo "deploying $name failed ($code): $(cat "$HOME_DIR/deploy.out")" >&2
    exit 1
  fi
  echo "deployed $name (follows its production alias): $URL/v2/models/$name/infer"
done
rm -f "$HOME_DIR/deploy.out"
