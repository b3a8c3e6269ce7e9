#!/usr/bin/env bash
# Runs every fuzz target once over its seed corpus (fuzz/corpus/<http|json|api>/) and its
# regression inputs (fuzz/regressions/<target>/), without fuzzing. Works with either build:
#   fuzz/replay_test.sh [BUILD_DIR]
#     BUILD_DIR/fuzz/<target>          libFuzzer binaries (LEPTON_FUZZ=ON, e.g. build-fuzz)
#     BUILD_DIR/fuzz/<target>_replay   standalone binaries (normal build with tests)
# Default BUILD_DIR: build-fuzz when it holds the fuzzers, else build. Exits non-zero when any
# input crashes or a binary is missing.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ $# -ge 1 ]]; then
  BUILD_DIR="$1"
elif [[ -x build-fuzz/fuzz/json_fuzzer ]]; then
  BUILD_DIR=build-fuzz
else
  BUILD_DIR=build
fi

declare -A CORPUS=([http_request_fuzzer]=http [json_fuzzer]=json [api_fuzzer]=api)
failed=0
for target in http_request_fuzzer json_fuzzer api_fuzzer; do
  exe="$BUILD_DIR/fuzz/$target"
  [[ -x "$exe" ]] || exe="$BUILD_DIR/fuzz/${target}_replay"
  if [[ ! -x "$exe" ]]; then
    echo "FAIL $target: no $BUILD_DIR/fuzz/$target or ${target}_replay (build it first)" >&2
    failed=1
    continue
  fi
  mapfile -t inputs < <(find "fuzz/corpus/${CORPUS[$target]}" "fuzz/regressions/$target" \
                          -type f ! -name '.*' 2>/dev/null | sort)
  if [[ ${#inputs[@]} -eq 0 ]]; then
    echo "FAIL $target: no inputs" >&2
    failed=1
    continue
  fi
  log="$(mktemp)"
  if "$exe" "${inputs[@]}" >"$log" 2>&1; then
    echo "ok   $target (${#inputs[@]} inputs)"
  else
    echo "FAIL $target: an input crashed; output:" >&2
    tail -n 60 "$log" >&2
    failed=1
  fi
  rm -f "$log"
done
exit $failed
