#!/usr/bin/env bash
# Lake benchmark, side by side on this machine: ingest a large CSV (db-benchmark group-by
# columns) with Lepton (to a Delta/Parquet table), with DuckDB (COPY … TO parquet) and with
# sqlite3 (.import); then a filtered scan with a sum in each. Prints wall time, peak RSS and the
# ratios. Each step runs REPEAT times (default 3), the three engines interleaved so that a
# noisy moment hits all of them, and the medians are reported.
# Usage: bench/lake/run.sh   (env: ROWS, default 20000000 ≈ 1.1 GB; REPEAT; WORK dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${ROWS:-20000000}
REPEAT=${REPEAT:-3}
WORK=${WORK:-$(mktemp -d /tmp/lepton_bench_lake.XXXXXX)}
BUILD=${BUILD:-$ROOT/build}
LEPTON=$BUILD/bin/lepton
SCAN=$BUILD/bench/lake/lepton_lake_scan_sum
[[ -x $LEPTON && -x $SCAN ]] || { echo "build first: cmake -S . -B build -DLEPTON_BUILD_BENCHMARKS=ON && cmake --build build" >&2; exit 2; }
mkdir -p "$WORK"
CSV=$WORK/groupby.csv
if [[ ! -f $CSV ]]; then
  echo "== generating $ROWS rows"
  /usr/bin/python3 "$ROOT/bench/lake/gen_csv.py" "$ROWS" "$CSV"
fi
SIZE=$(stat -c %s "$CSV")
echo "== CSV: $CSV, $(numfmt --to=iec "$SIZE"), $ROWS rows; $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"

measure() {  # measure NAME CMD… → appends "seconds peak_kib" to $WORK/NAME.runs
  local name=$1; shift
  local out=$WORK/$name.time
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
    echo "$name failed:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
  cat "$out" >> "$WORK/$name.runs"
}
median() {  # median COLUMN FILE: the median of a column of numbers
  sort -g -k"$1,$1" "$2" | awk -v c="$1" '{v[NR]=$c} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

STEPS=(lepton_ingest duckdb_ingest sqlite_ingest lepton_scan duckdb_scan sqlite_scan)
for step in "${STEPS[@]}"; do rm -f "$WORK/$step.runs"; done
for ((round = 1; round <= REPEAT; ++round)); do
  echo "== round $round of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
  rm -rf "$WORK/home" "$WORK/duck.parquet" "$WORK/sqlite.db"
  measure lepton_ingest "$LEPTON" lake ingest "$CSV" --dataset bench/groupby --home "$WORK/home"
  measure duckdb_ingest node "$ROOT/tools/duckdb_query.js" \
    "COPY (SELECT * FROM read_csv('$CSV')) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)"
  measure sqlite_ingest sqlite3 "$WORK/sqlite.db" ".mode csv" ".import $CSV t"
  measure lepton_scan "$SCAN" "$WORK/home" bench/groupby id4 10 v3
  measure duckdb_scan node "$ROOT/tools/duckdb_query.js" \
    "SELECT count(*) AS rows, sum(v3) AS s FROM '$WORK/duck.parquet' WHERE id4 <= 10"
  measure sqlite_scan sqlite3 "$WORK/sqlite.db" \
    "SELECT count(*), sum(v3) FROM t WHERE CAST(id4 AS INTEGER) <= 10"
done

echo
echo "results, median of $REPEAT (wall seconds, peak RSS):"
printf "  %-16s %8s %10s   %s\n" step seconds peak_MiB "all runs (s)"
declare -A SECS
for step in "${STEPS[@]}"; do
  SECS[$step]=$(median 1 "$WORK/$step.runs")
  printf "  %-16s %8.2f %10.1f   %s\n" "$step" "${SECS[$step]}" \
    "$(echo "$(median 2 "$WORK/$step.runs") / 1024" | bc -l)" "$(cut -d' ' -f1 "$WORK/$step.runs" | tr '\n' ' ')"
done
ratio() { echo "$1 / $2" | bc -l | cut -c1-5; }
echo
echo "ingest speed: lepton/duckdb = $(ratio "${SECS[duckdb_ingest]}" "${SECS[lepton_ingest]}")x (goal >= 0.5)," \
     "lepton/sqlite3 = $(ratio "${SECS[sqlite_ingest]}" "${SECS[lepton_ingest]}")x (goal >= 3)"
echo "scan speed:   lepton/duckdb = $(ratio "${SECS[duckdb_scan]}" "${SECS[lepton_scan]}")x," \
     "lepton/sqlite3 = $(ratio "${SECS[sqlite_scan]}" "${SECS[lepton_scan]}")x"
echo "answers: lepton $(cat "$WORK/lepton_scan.out"); duckdb $(cat "$WORK/duckdb_scan.out"); sqlite3 $(cat "$WORK/sqlite_scan.out")"
echo "work dir: $WORK"
