#!/usr/bin/env bash
# The run command: installs what is missing, builds `lepton`, and starts the platform on its
# embedded defaults (SQLite metadata and a local home folder), with the credit-scoring example
# ingested into the lake as credit/german_credit and, on the first start, a scorecard and an
# XGBoost model trained on it (tracked runs in the experiments credit/scorecard, credit/xgboost),
# registered, through their quality gates and approved into `production`
# (scripts/setup-examples.sh). Extra arguments go to
# `lepton server` (see `lepton server --help`); LEPTON_HOME and LEPTON_LISTEN are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target lepton
export LEPTON_HOME=${LEPTON_HOME:-$PWD/lepton-home}
# The credit-scoring example: ingested into the lake once (a later run leaves it as it is).
"$BUILD_DIR/bin/lepton" lake ingest examples/credit-scoring/german_credit.csv \
  --dataset credit/german_credit --home "$LEPTON_HOME" --if-empty \
  --description "Statlog German Credit (UCI, CC BY 4.0): 1000 applicants, label 'class'"
# The server runs in the background of this script while the credit-scoring models are set up
# on it once (scripts/setup-examples.sh; `$LEPTON_HOME/examples.trained` records that it was
# done); then the script waits on the server.
# Ctrl-C or SIGTERM stops the server gracefully.
LOG=$(mktemp /tmp/lepton-run.XXXXXX)
"$BUILD_DIR/bin/lepton" server "$@" > >(tee "$LOG") 2>&1 &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER"; rm -f "$LOG"; exit 0' INT TERM
URL=""
for _ in $(seq 1 300); do
  URL=$(grep -o -m1 'listening on http://[^ ]*' "$LOG" | cut -d' ' -f3 || true)
  [[ -n $URL ]] && break
  kill -0 "$SERVER" 2>/dev/null || { wait "$SERVER"; exit $?; }
  sleep 0.1
done
if [[ -n $URL && ! -f $LEPTON_HOME/examples.trained ]]; then
  if scripts/setup-examples.sh "$URL" "$BUILD_DIR/bin/lepton"; then
    touch "$LEPTON_HOME/examples.trained"
  else
    echo "example set-up failed; the server keeps running" >&2
  fi
fi
if [[ -n $URL ]]; then
  echo "== ready: $URL (API $URL/api/v1/, described at $URL/openapi.json)"
  echo "   models: LEPTON_TOKEN=\$(cat $LEPTON_HOME/admin.token) $BUILD_DIR/bin/lepton models list --server $URL"
  echo "   score an applicant (Open Inference Protocol):"
  echo "   curl -s -H \"Authorization: Bearer \$(cat $LEPTON_HOME/admin.token)\" -d @examples/credit-scoring/applicant.json $URL/v2/models/credit-scorecard/infer"
fi
wait "$SERVER"
