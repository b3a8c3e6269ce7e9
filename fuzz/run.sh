#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan + UBSan) and runs one of them.
#
#   fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]   fuzz TARGET (default 600 s)
#   fuzz/run.sh --build-only                                  just configure and build
#
# TARGET is http_request_fuzzer, json_fuzzer or api_fuzzer (or http, json, api). The run uses
#   seeds      fuzz/corpus/<http|json|api>/ and fuzz/regressions/<target>/
#   corpus     fuzz/corpus-work/<target>/  (grows across runs; gitignored)
#   crashes    fuzz/crashes/<target>/       (crash-*, leak-*, timeout-*; gitignored)
#   dictionary fuzz/http.dict
# Exits non-zero when the fuzzer finds a crash (libFuzzer's exit status). Environment:
# JOBS (default 2) for the build, BUILD_DIR (default build-fuzz).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build-fuzz}"
JOBS="${JOBS:-2}"
TARGETS=(http_request_fuzzer json_fuzzer api_fuzzer)

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 ]] || usage

# Sanitizers on everything in the fuzz build; libFuzzer's main only in the fuzz executables.
CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"

build() {
  if [[ ! -f "$BUILD_DIR/build.ninja" ]] || \
     ! grep -qxF "CMAKE_CXX_FLAGS:STRING=$CXX_FLAGS" "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja \
      -DLEPTON_FUZZ=ON -DLEPTON_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS="$CXX_FLAGS"
  fi
  ninja -C "$BUILD_DIR" -j"$JOBS" "${TARGETS[@]}"
}

if [[ "$1" == "--build-only" ]]; then
  build
  exit 0
fi

target="$1"
seconds="${2:-600}"
shift $(( $# >= 2 ? 2 : 1 ))
case "$target" in
  http | http_request_fuzzer) target=http_request_fuzzer corpus=http ;;
  json | json_fuzzer) target=json_fuzzer corpus=json ;;
  api | api_fuzzer) target=api_fuzzer corpus=api ;;
  *) echo "unknown target '$target' (want one of: ${TARGETS[*]})" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "SECONDS must be a number, got '$seconds'" >&2; exit 2; }

build

work="fuzz/corpus-work/$target"
crashes="fuzz/crashes/$target"
mkdir -p "$work" "$crashes" "fuzz/regressions/$target"

# UBSan findings must stop the run with a stack (libFuzzer then saves the input).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"

# The first directory receives new inputs; the others only seed it.
set +e
"$BUILD_DIR/fuzz/$target" \
  -max_total_time="$seconds" \
  -dict=fuzz/http.dict \
  -artifact_prefix="$crashes/" \
  -print_final_stats=1 \
  -timeout=25 \
  "$@" \
  "$work" "fuzz/corpus/$corpus" "fuzz/regressions/$target"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "run.sh: $target exited with status $status; artifacts in $crashes/:" >&2
  ls -l "$crashes" >&2 || true
  echo "Reproduce: $BUILD_DIR/fuzz/$target $crashes/<file>" >&2
  echo "Minimize:  $BUILD_DIR/fuzz/$target -minimize_crash=1 -runs=10000 $crashes/<file>" >&2
fi
exit $status
