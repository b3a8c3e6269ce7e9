#!/usr/bin/env bash
# Lake benchmark, side by side on this machine: ingest a large CSV (db-benchmark group-by
# columns) with Lepton (to a Delta/Parquet table), with DuckDB (COPY … TO parquet) and with
# sqlite3 (.import); then a filtered scan with a sum in each. Prints wall time, peak RSS and the
# ratios. Usage: bench/lake/run.sh   (env: ROWS, default 20000000 ≈ 1.1 GB; WORK dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${ROWS:-20000000}
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

measure() {  # measure NAME CMD… → prints "NAME seconds peak_kib"
  local name=$1; shift
  local out=$WORK/$name.time
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
    echo "$name failed:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
  echo "$name $(cat "$out")"
}

rm -rf "$WORK/home" "$WORK/duck.parquet" "$WORK/sqlite.db"
L_IN=$(measure lepton_ingest "$LEPTON" lake ingest "$CSV" --dataset bench/groupby --home "$WORK/home")
D_IN=$(measure duckdb_ingest node "$ROOT/tools/duckdb_query.js" \
  "COPY (SELECT * FROM read_csv('$CSV')) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)")
S_IN=$(measure sqlite_ingest sqlite3 "$WORK/sqlite.db" ".mode csv" ".import $CSV t")
L_SC=$(measure lepton_scan "$SCAN" "$WORK/home" bench/groupby id4 10 v3)
D_SC=$(measure duckdb_scan node "$ROOT/tools/duckdb_query.js" \
  "SELECT count(*) AS rows, sum(v3) AS s FROM '$WORK/duck.parquet' WHERE id4 <= 10")
S_SC=$(measure sqlite_scan sqlite3 "$WORK/sqlite.db" "SELECT count(*), sum(v3) FROM t WHERE CAST(id4 AS INTEGER) <= 10")

echo
echo "results (wall seconds, peak RSS):"
printf "  %-16s %8s %10s\n" step seconds peak_MiB
for line in "$L_IN" "$D_IN" "$S_IN" "$L_SC" "$D_SC" "$S_SC"; do
  read -r name secs kib <<<"$line"
  printf "  %-16s %8.2f %10.1f\n" "$name" "$secs" "$(echo "$kib / 1024" | bc -l)"
done
secs() { echo "$1" | cut -d' ' -f2; }
echo
echo "ingest speed: lepton/duckdb = $(echo "$(secs "$D_IN") / $(secs "$L_IN")" | bc -l | cut -c1-5)x (goal >= 0.5)," \
     "lepton/sqlite3 = $(echo "$(secs "$S_IN") / $(secs "$L_IN")" | bc -l | cut -c1-5)x (goal >= 3)"
echo "scan speed:   lepton/duckdb = $(echo "$(secs "$D_SC") / $(secs "$L_SC")" | bc -l | cut -c1-5)x," \
     "lepton/sqlite3 = $(echo "$(secs "$S_SC") / $(secs "$L_SC")" | bc -l | cut -c1-5)x"
echo "answers: lepton $(cat "$WORK/lepton_scan.out"); duckdb $(cat "$WORK/duckdb_scan.out"); sqlite3 $(cat "$WORK/sqlite_scan.out")"
echo "work dir: $WORK"
