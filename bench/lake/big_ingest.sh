#!/usr/bin/env bash
# Memory-bound check for streaming ingest: generates a ~2 GB CSV (db-benchmark group-by columns,
# 37 M rows by default), ingests it with `lepton lake ingest` under `/usr/bin/time -v`, prints
# peak RSS, wall time and CPU% (both cores busy → above 100%), then deletes the CSV and the lake.
# Goal from the issue: peak RSS under 1 GB. Needs ~4 GB free in WORK (CSV + Parquet output).
# Usage: bench/lake/big_ingest.sh   (env: ROWS, default 37000000; WORK dir; BUILD dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${ROWS:-37000000}
WORK=${WORK:-$(mktemp -d /tmp/lepton_big_ingest.XXXXXX)}
BUILD=${BUILD:-$ROOT/build}
LEPTON=$BUILD/bin/lepton
[[ -x $LEPTON ]] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 2; }
mkdir -p "$WORK"
trap 'rm -rf "$WORK/big.csv" "$WORK/home"' EXIT
echo "== free space in $WORK: $(df -h --output=avail "$WORK" | tail -1)"
echo "== generating $ROWS rows"
/usr/bin/python3 "$ROOT/bench/lake/gen_csv.py" "$ROWS" "$WORK/big.csv"
echo "== CSV: $(numfmt --to=iec "$(stat -c %s "$WORK/big.csv")"); $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"
rm -rf "$WORK/home"
/usr/bin/time -v "$LEPTON" lake ingest "$WORK/big.csv" --dataset bench/big --home "$WORK/home" \
  > "$WORK/ingest.out" 2> "$WORK/ingest.err" || { cat "$WORK/ingest.err" >&2; exit 1; }
cat "$WORK/ingest.out"
grep -E "Maximum resident set size|Elapsed \(wall clock\)|Percent of CPU|User time|System time" \
  "$WORK/ingest.err"
KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/ingest.err")
echo "peak RSS: $((KIB / 1024)) MiB (goal < 1024 MiB): $([[ $KIB -lt 1048576 ]] && echo met || echo NOT met)"
echo "lake size: $(du -sh "$WORK/home" | cut -f1)"
