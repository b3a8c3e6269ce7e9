#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test — unit tests,
# integration tests against the real binary on SQLite and on a throwaway PostgreSQL server,
# the layering check and the fuzz-corpus replays. Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEPTON_BUILD_TESTS=ON -DLEPTON_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
# One PostgreSQL server for the whole run; every test creates databases of its own in it.
exec tools/with-postgres.sh ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" "$@"
