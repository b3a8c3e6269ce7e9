#!/usr/bin/env bash
# Inference benchmark: single-row OIP infer requests for the German credit XGBoost model (100
# trees, bench/serve/model_config.json) with wrk, side by side on this machine against
#   lepton   `lepton server` on a fresh LEPTON_HOME, deployment `bench-xgboost`;
#   fastapi  the same kind of model trained in Python (train_python.py) behind FastAPI + uvicorn
#            (fastapi_app.py, 2 workers), Debian's python3-xgboost;
#   bare     a bare Beast server answering every request with lepton's exact response bytes
#            (lepton_bare_server, bare_server.cc): the HTTP ceiling.
# Then the in-process predict benchmark (lepton_serve_predict_benchmark). See bench/serve/README.md.
#
#   bench/serve/run.sh                                   # DURATION=10 ROUNDS=3 WARMUP=3
#   BUILD=build-release DURATION=20 ROUNDS=5 bench/serve/run.sh
#   DEPLOY_EXTRA='{"max_concurrency": 32}' bench/serve/run.sh
#   SERVER_THREADS=1 bench/serve/run.sh                  # lepton and bare with one I/O thread
#
# Env: BUILD (build dir with bin/lepton and bench/serve/*, configured with
# -DLEPTON_BUILD_BENCHMARKS=ON; default build), LEPTON, BARE, PREDICT_BENCH (override the three
# binaries), DURATION (s per wrk run, 10), ROUNDS (3), WARMUP (s per server, 3), THREADS (wrk -t,
# 2), CONNECTIONS (wrk -c, 64), DEPLOY_EXTRA (JSON object merged into the deployment spec, {}),
# SERVER_THREADS (I/O threads of lepton and of bare, the same for both; default: one per core),
# PREDICT_REPS (repetitions of the predict benchmark, 5; 0 skips it), OUT (dir of
# bench_serve.json, /tmp), KEEP_WORK=1 keeps the temp dir (logs, wrk outputs, models).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
LEPTON=${LEPTON:-$BUILD/bin/lepton}
BARE=${BARE:-$BUILD/bench/serve/lepton_bare_server}
PREDICT_BENCH=${PREDICT_BENCH:-$BUILD/bench/serve/lepton_serve_predict_benchmark}
PY=/usr/bin/python3   # Debian's, with its python3-* packages (a pyenv python3 may lack them)
CSV=$ROOT/examples/credit-scoring/german_credit.csv
APPLICANT=$ROOT/examples/credit-scoring/applicant.json
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
OUT=${OUT:-/tmp}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DEPLOY_EXTRA=${DEPLOY_EXTRA:-'{}'}
SERVER_THREADS=${SERVER_THREADS:-}  # I/O threads of lepton and bare alike; empty: their default, one per core
PREDICT_REPS=${PREDICT_REPS:-5}
MODEL=bench-xgboost
INFER_PATH=/v2/models/$MODEL/infer
SERVERS=(lepton fastapi bare)
APT_PACKAGES="wrk curl jq python3-fastapi python3-uvicorn python3-xgboost python3-sklearn python3-pandas python3-joblib"

# die, log, stop, alive, http_code, wait_healthy
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

# --- what it needs ----------------------------------------------------------------------------
need_build="cmake -S $ROOT -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEPTON_BUILD_BENCHMARKS=ON && ninja -C $BUILD lepton lepton_bare_server lepton_serve_predict_benchmark"
[[ -x $LEPTON ]] || die "$LEPTON not found; build it: $need_build"
[[ -x $BARE ]] || die "$BARE not found; build it: $need_build"
[[ $PREDICT_REPS == 0 || -x $PREDICT_BENCH ]] || die "$PREDICT_BENCH not found; build it: $need_build (or PREDICT_REPS=0)"
missing=()
for tool in wrk curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
for mod in fastapi:python3-fastapi uvicorn:python3-uvicorn xgboost:python3-xgboost \
           sklearn:python3-sklearn pandas:python3-pandas joblib:python3-joblib; do
  "$PY" -c "import ${mod%%:*}" 2>/dev/null || missing+=("${mod##*:}")
done
if ((${#missing[@]})); then
  die "missing: ${missing[*]}; install with: sudo apt-get install -y --no-install-recommends $APT_PACKAGES"
fi
jq -e 'type == "object"' <<<"$DEPLOY_EXTRA" >/dev/null 2>&1 || die "DEPLOY_EXTRA must be a JSON object, got: $DEPLOY_EXTRA"
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/lepton-bench-serve.XXXXXX)
mkdir -p "$WORK/wrk"
export LEPTON_HOME=$WORK/lepton-home
LEPTON_PID=""
UVICORN_PID=""
BARE_PID=""
WRK_PID=""
OK=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; fi
  stop "$LEPTON_PID"
  stop "$UVICORN_PID"
  stop "$BARE_PID"
  if [[ $OK == 1 && ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "run.sh: logs, models and wrk outputs kept in $WORK" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_port() {  # wait_port <name> <pid> <stdout file> <sed regex with the port as \1> -> port
  local port=""
  for _ in $(seq 300); do
    alive "$1" "$2"
    port=$(sed -nE "s#$4#\\1#p" "$3" | head -n 1)
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  die "$1 printed no 'listening on' line within 30 s"
}

infer() {  # infer <url> <out file> -> status code; the exact response bytes in <out file>
  curl -s --noproxy '*' --max-time 10 -o "$2" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" --data-binary "@$REQUEST" "$1$INFER_PATH" || true
}

# --- lepton: data, model, deployment --------------------------------------------------------------
log "lepton: ingesting $CSV as credit/german_credit into $LEPTON_HOME"
"$LEPTON" lake ingest "$CSV" --dataset credit/german_credit --home "$LEPTON_HOME" --if-empty \
  --description "Statlog German Credit (UCI, CC BY 4.0): 1000 applicants, label 'class'" \
  >"$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out" >&2; die "lake ingest failed"; }
LEPTON_FLAGS=(--access-log false --log-level warning)
BARE_FLAGS=()
if [[ -n $SERVER_THREADS ]]; then
  [[ $SERVER_THREADS =~ ^[1-9][0-9]*$ ]] || die "SERVER_THREADS must be a positive integer, got: $SERVER_THREADS"
  LEPTON_FLAGS+=(--io-threads "$SERVER_THREADS")
  BARE_FLAGS+=(--threads "$SERVER_THREADS")
fi
setsid "$LEPTON" server --home "$LEPTON_HOME" --listen 127.0.0.1:0 "${LEPTON_FLAGS[@]}" \
  >"$WORK/lepton.out" 2>"$WORK/lepton.err" </dev/null &
LEPTON_PID=$!
LEPTON_PORT=$(wait_port lepton "$LEPTON_PID" "$WORK/lepton.out" '^Lepton .* listening on http://127\.0\.0\.1:([0-9]+).*')
LEPTON_URL=http://127.0.0.1:$LEPTON_PORT
wait_healthy lepton "$LEPTON_PID" "$LEPTON_URL"
for _ in $(seq 50); do [[ -s $LEPTON_HOME/admin.token ]] && break; sleep 0.1; done
TOKEN=$(tr -d '[:space:]' <"$LEPTON_HOME/admin.token")
[[ -n $TOKEN ]] || die "no token in $LEPTON_HOME/admin.token"
LEPTON_VERSION=$(head -n 1 "$WORK/lepton.out" | sed -E 's/ listening on.*//')
log "lepton: $LEPTON ($LEPTON_VERSION) pid $LEPTON_PID on $LEPTON_URL, flags: ${LEPTON_FLAGS[*]}, I/O threads: ${SERVER_THREADS:-default, one per core} ($(nproc) cores)"
as_admin() { LEPTON_TOKEN=$TOKEN "$LEPTON" "$@" --server "$LEPTON_URL"; }

as_admin train -f "$HERE/model_config.json" >"$WORK/train.out" 2>&1 ||
  { cat "$WORK/train.out" >&2; die "lepton train failed"; }
RUN_ID=$(grep -o -m1 '^run [0-9A-Z]*' "$WORK/train.out" | cut -d' ' -f2)
[[ -n $RUN_ID ]] || { cat "$WORK/train.out" >&2; die "no run id in lepton train's output"; }
LEPTON_AUC=$(awk '$1 == "auc" {print $2}' "$WORK/train.out")
log "lepton: trained run $RUN_ID (bench/serve/model_config.json), test AUC $LEPTON_AUC"
as_admin models create "$MODEL" --description "bench/serve: German credit XGBoost, 100 trees" >/dev/null
VERSION=$(as_admin models register "$MODEL" --run "$RUN_ID" | grep -o 'version [0-9]*' | cut -d' ' -f2)
[[ -n $VERSION ]] || die "models register printed no version"
as_admin models alias "$MODEL" bench "$VERSION" >/dev/null   # no policy: the alias is unprotected
DEPLOY_SPEC=$(jq -cn --arg m "$MODEL" --argjson extra "$DEPLOY_EXTRA" \
  '{name: $m, model: $m, alias: "bench", log_sample_rate: 0} + $extra')
code=$(curl -s --noproxy '*' -o "$WORK/deploy.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "$DEPLOY_SPEC" "$LEPTON_URL/api/v1/deployments" || true)
[[ $code == 201 ]] || die "creating deployment $MODEL -> $code: $(cat "$WORK/deploy.out")"
DEPLOYMENT=$(jq -c 'del(.status, .created_at, .created_by, .updated_at, .updated_by)' "$WORK/deploy.out")
log "lepton: deployment $DEPLOYMENT"

# The request: examples/credit-scoring/applicant.json without "parameters" (no contributions):
# one applicant, one tensor per input column. The same file goes to all three servers.
REQUEST=$WORK/request.json
jq 'del(.parameters)' "$APPLICANT" >"$REQUEST"

# --- fastapi: the Python model under uvicorn ------------------------------------------------------
PY_TRAIN=$("$PY" "$HERE/train_python.py" "$CSV" "$WORK/model.joblib") || die "train_python.py failed"
log "python: trained $PY_TRAIN"
if "$PY" -c 'import uvloop' 2>/dev/null; then UV_LOOP=uvloop; else UV_LOOP=asyncio; fi
if "$PY" -c 'import httptools' 2>/dev/null; then UV_HTTP=httptools; else UV_HTTP=h11; fi
FASTAPI_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FASTAPI_URL=http://127.0.0.1:$FASTAPI_PORT
BENCH_MODEL=$WORK/model.joblib PYTHONDONTWRITEBYTECODE=1 setsid env -u PYTHONPATH -u PYTHONHOME \
  "$PY" -m uvicorn fastapi_app:app --app-dir "$HERE" --host 127.0.0.1 --port "$FASTAPI_PORT" \
  --workers 2 --loop "$UV_LOOP" --http "$UV_HTTP" --no-access-log --log-level warning \
  >"$WORK/fastapi.out" 2>"$WORK/fastapi.err" </dev/null &
UVICORN_PID=$!
wait_healthy fastapi "$UVICORN_PID" "$FASTAPI_URL"
FASTAPI_VERSIONS=$("$PY" -c 'import sys, fastapi, uvicorn, pydantic, sklearn, xgboost, pandas; print(f"python {sys.version.split()[0]}, fastapi {fastapi.__version__}, pydantic {pydantic.VERSION}, uvicorn {uvicorn.__version__}, scikit-learn {sklearn.__version__}, xgboost {xgboost.__version__}, pandas {pandas.__version__}")')
log "fastapi: uvicorn --workers 2 --loop $UV_LOOP --http $UV_HTTP (uvloop importable: $([[ $UV_LOOP == uvloop ]] && echo yes || echo no), httptools importable: $([[ $UV_HTTP == httptools ]] && echo yes || echo no)), pid $UVICORN_PID on $FASTAPI_URL"
log "fastapi: $FASTAPI_VERSIONS"

# --- bare: lepton's exact answer, fixed ------------------------------------------------------------
code=$(infer "$LEPTON_URL" "$WORK/lepton_response.json")
[[ $code == 200 ]] || die "lepton POST $INFER_PATH -> $code: $(cat "$WORK/lepton_response.json")"
setsid "$BARE" --body "$WORK/lepton_response.json" --listen 127.0.0.1:0 "${BARE_FLAGS[@]}" \
  >"$WORK/bare.out" 2>"$WORK/bare.err" </dev/null &
BARE_PID=$!
BARE_PORT=$(wait_port bare "$BARE_PID" "$WORK/bare.out" '^bare_server listening on http://127\.0\.0\.1:([0-9]+).*')
BARE_URL=http://127.0.0.1:$BARE_PORT
wait_healthy bare "$BARE_PID" "$BARE_URL"
log "bare: $(head -n 1 "$WORK/bare.out"), pid $BARE_PID"

declare -A URL=([lepton]=$LEPTON_URL [fastapi]=$FASTAPI_URL [bare]=$BARE_URL)
declare -A PID=([lepton]=$LEPTON_PID [fastapi]=$UVICORN_PID [bare]=$BARE_PID)

# --- checks before measuring ---------------------------------------------------------------------
SHAPE='[keys, (.outputs | map([.name, .datatype, .shape]))]'
for s in "${SERVERS[@]}"; do
  code=$(infer "${URL[$s]}" "$WORK/check.$s.json")
  [[ $code == 200 ]] || die "$s POST $INFER_PATH -> $code: $(cat "$WORK/check.$s.json")"
  jq -ce "$SHAPE" "$WORK/check.$s.json" >"$WORK/shape.$s" ||
    die "$s: not an OIP response: $(cat "$WORK/check.$s.json")"
  log "$s POST $INFER_PATH -> 200 $(cat "$WORK/check.$s.json")"
done
for s in fastapi bare; do
  cmp -s "$WORK/shape.lepton" "$WORK/shape.$s" ||
    die "response shapes differ: lepton $(cat "$WORK/shape.lepton") $s $(cat "$WORK/shape.$s")"
done
cmp -s "$WORK/check.lepton.json" "$WORK/lepton_response.json" ||
  die "lepton's answer changed between two identical requests"
cmp -s "$WORK/check.bare.json" "$WORK/lepton_response.json" || die "bare does not send lepton's bytes"
score() { jq -r '.outputs[] | select(.name == "score") | .data[0]' "$1"; }
SCORE_LEPTON=$(score "$WORK/check.lepton.json")
SCORE_FASTAPI=$(score "$WORK/check.fastapi.json")
SCORE_DIFF=$(awk -v a="$SCORE_LEPTON" -v b="$SCORE_FASTAPI" 'BEGIN { d = a - b; printf "%.3g", d < 0 ? -d : d }')
SCORES_WITHIN_1E6=$(awk -v d="$SCORE_DIFF" 'BEGIN { print (d <= 1e-6) ? "true" : "false" }')
log "score of applicant-1: lepton $SCORE_LEPTON, python $SCORE_FASTAPI, |difference| $SCORE_DIFF (within 1e-6: $SCORES_WITHIN_1E6; the two models are trained separately, so they need not agree exactly)"

# --- wrk ------------------------------------------------------------------------------------
run_wrk() {  # run_wrk <server> <seconds> <outfile>
  local s=$1 d=$2 f=$3
  local cmd=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d${d}s" --latency -s "$HERE/infer.lua" "${URL[$s]}$INFER_PATH")
  # In the background so that a signal to this script is handled at once (cleanup kills wrk).
  BENCH_TOKEN=$TOKEN BENCH_BODY=$REQUEST "${cmd[@]}" >"$f" 2>&1 &
  WRK_PID=$!
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  [[ $rc == 0 ]] || { cat "$f" >&2; die "wrk failed (exit $rc): ${cmd[*]}"; }
  alive "$s" "${PID[$s]}"
  if grep -q 'Non-2xx or 3xx responses' "$f"; then
    cat "$f" >&2
    die "$s: wrk saw non-2xx responses ($(grep 'Non-2xx' "$f" | tr -s ' '))"
  fi
  grep -q '^Requests/sec:' "$f" || { cat "$f" >&2; die "$s: no Requests/sec in wrk output"; }
  if grep -q 'Socket errors' "$f"; then
    echo "run.sh: WARNING: $s: $(grep 'Socket errors' "$f" | tr -s ' ')" >&2
  fi
}

log "lepton threads: $(ls "/proc/$LEPTON_PID/task" | wc -l); uvicorn child processes: $(pgrep -c -P "$UVICORN_PID" || true); bare threads: $(ls "/proc/$BARE_PID/task" | wc -l)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before measuring: $LOAD_START ($(nproc) cores)"
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "run.sh: WARNING: the machine is busy (load $LOAD_START on $(nproc) cores); results will be noisy" >&2
fi
log "warm-up: ${WARMUP}s per server"
for s in "${SERVERS[@]}"; do run_wrk "$s" "$WARMUP" "$WORK/wrk/warmup_$s.txt"; done

log "measuring: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency -s infer.lua, $ROUNDS rounds, lepton, fastapi, bare"
for ((i = 1; i <= ROUNDS; i++)); do
  for s in "${SERVERS[@]}"; do
    f=$WORK/wrk/${s}_r$i.txt
    cut -d' ' -f1 /proc/loadavg >"$f.load"   # other work on the machine skews results
    run_wrk "$s" "$DURATION" "$f"
    printf '   round %d %-8s %s load1 %s\n' "$i" "$s" \
      "$(grep -E '^Requests/sec:|^ +(50|99)%' "$f" | tr -s ' ' | tr '\n' ' ')" "$(cat "$f.load")"
    sleep 1
  done
done

for s in "${SERVERS[@]}"; do
  alive "$s" "${PID[$s]}"
  [[ $(infer "${URL[$s]}" "$WORK/after.$s.json") == 200 ]] || die "$s: infer no longer 200 after the runs"
done
LEPTON_RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$LEPTON_PID/status" 2>/dev/null || echo "")
curl -s --noproxy '*' -H "Authorization: Bearer $TOKEN" "$LEPTON_URL/api/v1/deployments/$MODEL" \
  >"$WORK/deployment_after.json" || true
REJECTED=$(jq -r '.status.rejected // "?"' "$WORK/deployment_after.json" 2>/dev/null || echo "?")
log "lepton: deployment rejected (503) $REJECTED requests; RSS ${LEPTON_RSS_KB} kB"
if [[ -s $WORK/lepton.err ]]; then
  echo "run.sh: NOTE: lepton wrote to stderr during the run (tail):" >&2
  tail -n 20 "$WORK/lepton.err" >&2
fi

# --- in-process prediction ----------------------------------------------------------------------
if [[ $PREDICT_REPS != 0 ]]; then
  stop "$LEPTON_PID"; LEPTON_PID=""
  stop "$UVICORN_PID"; UVICORN_PID=""
  stop "$BARE_PID"; BARE_PID=""
  log "in-process predict benchmark (servers stopped): $PREDICT_BENCH --benchmark_repetitions=$PREDICT_REPS (load $(cut -d' ' -f1 /proc/loadavg))"
  "$PREDICT_BENCH" --benchmark_repetitions="$PREDICT_REPS" --benchmark_report_aggregates_only=true \
    --benchmark_out="$WORK/predict.json" --benchmark_out_format=json >"$WORK/predict.txt" 2>&1 ||
    { cat "$WORK/predict.txt" >&2; die "predict benchmark failed"; }
  grep -E '^model:|_median|speed-up|xgboost \(' "$WORK/predict.txt" | sed 's/^/   /'
fi

# --- report ----------------------------------------------------------------------------------
export WORK ROUNDS DURATION WARMUP THREADS CONNECTIONS LEPTON LEPTON_VERSION LEPTON_RSS_KB LOAD_START \
  UV_LOOP UV_HTTP FASTAPI_VERSIONS SCORE_LEPTON SCORE_FASTAPI SCORE_DIFF SCORES_WITHIN_1E6 \
  DEPLOYMENT PY_TRAIN LEPTON_AUC REJECTED PREDICT_REPS
export LEPTON_FLAGS_STR="${LEPTON_FLAGS[*]}" SERVER_THREADS JSON_OUT=$OUT/bench_serve.json
"$PY" - <<'EOF'
import datetime, json, os, platform, re, statistics

W = os.environ
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
SERVERS = ("lepton", "fastapi", "bare")

def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS_MS[m.group(2)]

def parse(path):
    t = open(path).read()
    out = {"rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", t, re.M).group(1))}
    for pct in ("50", "75", "90", "99"):
        out[f"p{pct}_ms"] = ms(re.search(rf"^\s+{pct}%\s+(\S+)", t, re.M).group(1))
    m = re.search(r"^\s+(\d+) requests in", t, re.M)
    out["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                    map(int, m.groups()))) if m else None
    try:
        out["load1_before"] = float(open(path + ".load").read())
    except OSError:
        out["load1_before"] = None
    return out

rounds = int(W["ROUNDS"])
runs = {s: [parse(f"{W['WORK']}/wrk/{s}_r{i}.txt") for i in range(1, rounds + 1)] for s in SERVERS}
med = {s: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
       for s, rs in runs.items()}
vs_fastapi = med["lepton"]["rps"] / med["fastapi"]["rps"]
vs_bare = med["lepton"]["rps"] / med["bare"]["rps"]
p99 = med["lepton"]["p99_ms"]
goals = {"throughput_at_least_10x_fastapi": vs_fastapi >= 10,
         "p99_under_5ms": p99 < 5,
         "throughput_at_least_60pct_of_bare": vs_bare >= 0.6}

predict = None
if W["PREDICT_REPS"] != "0":
    data = json.load(open(f"{W['WORK']}/predict.json"))
    # Medians of the repetitions; with one repetition Google Benchmark writes no aggregates.
    kind = "median" if any(b.get("aggregate_name") == "median" for b in data["benchmarks"]) else None
    predict = {b["run_name"]: round(b["real_time"], 3) for b in data["benchmarks"]
               if b.get("aggregate_name") == kind and b.get("time_unit", "us") == "us"}
    text = open(f"{W['WORK']}/predict.txt").read()
    m = re.search(r"^model: .*$", text, re.M)
    predict = {"model": m.group(0) if m else None, "unit": "us", "median_real_time": predict}

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "command": f"DURATION={W['DURATION']} ROUNDS={W['ROUNDS']} bench/serve/run.sh",
    "machine": {"cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                "note": "load generator (wrk) and servers share the same cores"},
    "load_average_before": W["LOAD_START"],
    "request": "POST /v2/models/bench-xgboost/infer, examples/credit-scoring/applicant.json "
               "without parameters (one row, 17 input tensors), Authorization: Bearer",
    "wrk": {"threads": int(W["THREADS"]), "connections": int(W["CONNECTIONS"]),
            "duration_s": int(W["DURATION"]), "warmup_s": int(W["WARMUP"]), "rounds": rounds},
    "lepton": {"binary": W["LEPTON"], "version": W["LEPTON_VERSION"], "flags": W["LEPTON_FLAGS_STR"], "io_threads": W.get("SERVER_THREADS") or "one per core",
               "deployment": json.loads(W["DEPLOYMENT"]), "test_auc": W["LEPTON_AUC"],
               "rejected_503": W["REJECTED"], "rss_kb_after": W.get("LEPTON_RSS_KB") or None},
    "fastapi": {"versions": W["FASTAPI_VERSIONS"], "workers": 2, "loop": W["UV_LOOP"],
                "http": W["UV_HTTP"], "training": json.loads(W["PY_TRAIN"])},
    "scores": {"lepton": float(W["SCORE_LEPTON"]), "python": float(W["SCORE_FASTAPI"]),
               "abs_difference": float(W["SCORE_DIFF"]),
               "within_1e-6": W["SCORES_WITHIN_1E6"] == "true"},
    "runs": runs, "median": med,
    "ratios": {"throughput_lepton_over_fastapi": round(vs_fastapi, 3),
               "throughput_lepton_over_bare": round(vs_bare, 3),
               "p99_fastapi_over_lepton": round(med["fastapi"]["p99_ms"] / p99, 3)},
    "goals": goals,
    "predict_benchmark": predict,
}
print()
print(f"results: median of {rounds} rounds, wrk -t{W['THREADS']} -c{W['CONNECTIONS']} "
      f"-d{W['DURATION']}s, single-row infer; {os.cpu_count()} cores shared by wrk and the server; "
      f"load before: {W['LOAD_START']}")
print(f"  {'server':<8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}   per-round req/s")
for s in SERVERS:
    m = med[s]
    per = ", ".join(f"{r['rps']:.0f}" for r in runs[s])
    print(f"  {s:<8} {m['rps']:>10.0f} {m['p50_ms']:>9.2f} {m['p99_ms']:>9.2f}   {per}")
print()
yes = lambda ok: "MET" if ok else "NOT MET"
print(f"  lepton / fastapi throughput = {vs_fastapi:6.2f}x   (goal >= 10x)   "
      f"{yes(goals['throughput_at_least_10x_fastapi'])}")
print(f"  lepton / bare throughput    = {vs_bare:6.2f}    (goal >= 0.60)  "
      f"{yes(goals['throughput_at_least_60pct_of_bare'])}")
print(f"  lepton p99                  = {p99:6.2f} ms (goal < 5 ms)   {yes(goals['p99_under_5ms'])}")
if predict:
    print()
    print(f"in-process predict, median real time of {W['PREDICT_REPS']} repetitions ({predict['model']}):")
    for name, t in predict["median_real_time"].items():
        print(f"  {name:<40} {t:>10.3f} us")
with open(W["JSON_OUT"], "w") as f:
    json.dump(result, f, indent=2)
print()
print(f"raw results: {W['JSON_OUT']}")
EOF
OK=1
