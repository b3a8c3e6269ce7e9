#!/usr/bin/env bash
# The run command: installs what is missing, builds `lepton`, and starts the platform on its
# embedded defaults (SQLite metadata and a local home folder), with the credit-scoring example
# ingested into the lake as credit/german_credit. Extra arguments go to
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
exec "$BUILD_DIR/bin/lepton" server "$@"
