#!/usr/bin/env bash
# Training benchmark, side by side on this machine: the same pipeline end to end (read the
# Taiwan default CSV, impute + one-hot + scale, 5-fold CV, final fit, test AUC) in Lepton
# (lepton_train_pipeline: the seed API `ModelBuilder(config).build_and_train(df)`) and in Python
# (python_pipeline.py: scikit-learn + xgboost from Debian). Each runs REPEAT times (default 3),
# alternating; prints the median wall time, peak RSS and AUCs, and the speed ratio.
# Goal (issue 4): at least 2x faster at equal AUC (within 0.005).
# Usage: bench/train/run.sh   (env: REPEAT, BUILD, CSV)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REPEAT=${REPEAT:-3}
BUILD=${BUILD:-$ROOT/build}
CSV=${CSV:-$ROOT/../shared/data/credit/taiwan_default.csv}
LEPTON=$BUILD/bench/train/lepton_train_pipeline
[[ -x $LEPTON ]] || { echo "build first: cmake -S . -B build -DLEPTON_BUILD_BENCHMARKS=ON && cmake --build build --target lepton_train_pipeline" >&2; exit 2; }
[[ -f $CSV ]] || { echo "no data: $CSV" >&2; exit 2; }
WORK=$(mktemp -d /tmp/lepton_bench_train.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "== $(wc -l < "$CSV") lines of $CSV; $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"

run() {  # run NAME CMD… → appends "seconds peak_kib json" to $WORK/NAME.runs
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || {
    echo "$name failed:" >&2; cat "$WORK/err" >&2; exit 1; }
  echo "$(cat "$WORK/time") $(tail -1 "$WORK/out")" >> "$WORK/$name.runs"
}
median() { sort -g -k"$1,$1" "$2" | awk -v c="$1" '{v[NR]=$c} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

for ((i = 1; i <= REPEAT; ++i)); do
  echo "== round $i of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
  run lepton "$LEPTON" "$ROOT/bench/train/model_config.json" "$CSV"
  run python /usr/bin/python3 "$ROOT/bench/train/python_pipeline.py" "$CSV"
done
echo
printf "  %-8s %9s %9s %9s %9s   %s\n" engine seconds peak_MiB cv_auc test_auc "all runs (s)"
for name in lepton python; do
  last=$(tail -1 "$WORK/$name.runs" | cut -d' ' -f3-)
  printf "  %-8s %9.2f %9.1f %9.4f %9.4f   %s\n" "$name" "$(median 1 "$WORK/$name.runs")" \
    "$(echo "$(median 2 "$WORK/$name.runs") / 1024" | bc -l)" \
    "$(echo "$last" | jq .cv_auc_mean)" "$(echo "$last" | jq .test_auc)" \
    "$(cut -d' ' -f1 "$WORK/$name.runs" | tr '\n' ' ')"
done
L=$(median 1 "$WORK/lepton.runs"); P=$(median 1 "$WORK/python.runs")
LA=$(tail -1 "$WORK/lepton.runs" | cut -d' ' -f3- | jq .test_auc)
PA=$(tail -1 "$WORK/python.runs" | cut -d' ' -f3- | jq .test_auc)
echo
echo "speed: lepton/python = $(echo "$P / $L" | bc -l | cut -c1-5)x (goal >= 2);" \
     "test AUC difference = $(echo "$LA - $PA" | bc -l | cut -c1-7) (goal within 0.005)"
