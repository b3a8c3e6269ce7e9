#!/usr/bin/env bash
# HTTP benchmark: `lepton server` against an equivalent FastAPI app (bench/http/fastapi_app.py),
# side by side on this machine, with wrk. See bench/http/README.md.
#
#   bench/http/run.sh                      # DURATION=10 ROUNDS=3
#   DURATION=20 ROUNDS=5 OUT=/tmp bench/http/run.sh
#
# Env: DURATION (s per wrk run, 10), ROUNDS (3), WARMUP (s per warm-up run, 3), OUT (dir of
# bench_http.json, /tmp), LEPTON (binary, build/bin/lepton), THREADS (wrk -t, 2),
# CONNECTIONS (wrk -c, 64), KEEP_WORK=1 keeps the temp dir (logs, wrk outputs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEPTON=${LEPTON:-$ROOT/build/bin/lepton}
PY=/usr/bin/python3   # Debian's: it has python3-fastapi and python3-uvicorn (pyenv's may not)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
OUT=${OUT:-/tmp}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUTES=(healthz whoami)
declare -A ROUTE_PATH=([healthz]=/healthz [whoami]=/api/v1/whoami)
SERVERS=(lepton fastapi)

# die, log, stop, alive, http_code, wait_healthy
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

[[ -x $LEPTON ]] || die "$LEPTON not found; build it: cmake --build $ROOT/build --target lepton"
command -v wrk >/dev/null || die "wrk not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl not installed"
"$PY" -c 'import fastapi, uvicorn' 2>/dev/null ||
  die "$PY lacks fastapi/uvicorn (apt-get install python3-fastapi python3-uvicorn)"
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/lepton-bench-http.XXXXXX)
mkdir -p "$WORK/wrk"
LEPTON_PID=""
UVICORN_PID=""
WRK_PID=""
OK=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; fi
  stop "$LEPTON_PID"
  stop "$UVICORN_PID"
  if [[ $OK == 1 && ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "run.sh: logs and wrk outputs kept in $WORK" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- lepton ---------------------------------------------------------------------------------
LEPTON_FLAGS=(--access-log false --log-level warning)
setsid "$LEPTON" server --home "$WORK/lepton-home" --listen 127.0.0.1:0 "${LEPTON_FLAGS[@]}" \
  >"$WORK/lepton.out" 2>"$WORK/lepton.err" </dev/null &
LEPTON_PID=$!
LEPTON_PORT=""
for _ in $(seq 300); do
  alive lepton "$LEPTON_PID"
  LEPTON_PORT=$(sed -nE 's#^Lepton .* listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' \
    "$WORK/lepton.out" | head -n 1)
  [[ -n $LEPTON_PORT ]] && break
  sleep 0.1
done
[[ -n $LEPTON_PORT ]] || die "lepton printed no 'listening on' line within 30 s"
LEPTON_URL=http://127.0.0.1:$LEPTON_PORT
wait_healthy lepton "$LEPTON_PID" "$LEPTON_URL"
for _ in $(seq 50); do [[ -s $WORK/lepton-home/admin.token ]] && break; sleep 0.1; done
LEPTON_TOKEN=$(tr -d '[:space:]' <"$WORK/lepton-home/admin.token")
[[ -n $LEPTON_TOKEN ]] || die "no token in $WORK/lepton-home/admin.token"
LEPTON_VERSION=$(head -n 1 "$WORK/lepton.out" | sed -E 's/ listening on.*//')
log "lepton: $LEPTON ($LEPTON_VERSION) pid $LEPTON_PID on $LEPTON_URL, flags: ${LEPTON_FLAGS[*]}"

# --- FastAPI under uvicorn ----------------------------------------------------------------------
if "$PY" -c 'import uvloop' 2>/dev/null; then UV_LOOP=uvloop; else UV_LOOP=asyncio; fi
if "$PY" -c 'import httptools' 2>/dev/null; then UV_HTTP=httptools; else UV_HTTP=h11; fi
FASTAPI_TOKEN=$("$PY" "$HERE/fastapi_app.py" --new-token)
export BENCH_DB=$WORK/fastapi.db
BENCH_TOKEN=$FASTAPI_TOKEN "$PY" "$HERE/fastapi_app.py" --init
FASTAPI_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FASTAPI_URL=http://127.0.0.1:$FASTAPI_PORT
BENCH_TOKEN=$FASTAPI_TOKEN PYTHONDONTWRITEBYTECODE=1 setsid env -u PYTHONPATH -u PYTHONHOME \
  "$PY" -m uvicorn fastapi_app:app --app-dir "$HERE" --host 127.0.0.1 --port "$FASTAPI_PORT" \
  --workers 2 --loop "$UV_LOOP" --http "$UV_HTTP" --no-access-log --log-level warning \
  >"$WORK/fastapi.out" 2>"$WORK/fastapi.err" </dev/null &
UVICORN_PID=$!
wait_healthy fastapi "$UVICORN_PID" "$FASTAPI_URL"
FASTAPI_VERSIONS=$("$PY" -c 'import sys, fastapi, uvicorn, starlette, pydantic; print(f"python {sys.version.split()[0]}, fastapi {fastapi.__version__}, starlette {starlette.__version__}, pydantic {pydantic.VERSION}, uvicorn {uvicorn.__version__}")')
log "fastapi: uvicorn --workers 2 --loop $UV_LOOP --http $UV_HTTP (uvloop importable: $([[ $UV_LOOP == uvloop ]] && echo yes || echo no), httptools importable: $([[ $UV_HTTP == httptools ]] && echo yes || echo no)), pid $UVICORN_PID on $FASTAPI_URL"
log "fastapi: $FASTAPI_VERSIONS"

declare -A URL=([lepton]=$LEPTON_URL [fastapi]=$FASTAPI_URL)
declare -A TOKEN=([lepton]=$LEPTON_TOKEN [fastapi]=$FASTAPI_TOKEN)
declare -A PID=([lepton]=$LEPTON_PID [fastapi]=$UVICORN_PID)

# --- correctness checks before measuring ------------------------------------------------------------
for s in "${SERVERS[@]}"; do
  code=$(http_code "${URL[$s]}/healthz")
  [[ $code == 200 ]] || die "$s GET /healthz -> $code: $(cat "$WORK/body")"
  jq -e '. == {"status":"ok"}' "$WORK/body" >/dev/null || die "$s /healthz body: $(cat "$WORK/body")"
  code=$(http_code "${URL[$s]}/api/v1/whoami")
  [[ $code == 401 ]] || die "$s GET /api/v1/whoami without a token -> $code (want 401)"
  code=$(http_code "${URL[$s]}/api/v1/whoami" "${TOKEN[$s]}")
  [[ $code == 200 ]] || die "$s GET /api/v1/whoami with its token -> $code: $(cat "$WORK/body")"
  jq -c '[keys, (.grants[0] | keys)]' "$WORK/body" >"$WORK/shape.$s" ||
    die "$s /api/v1/whoami: not the expected JSON: $(cat "$WORK/body")"
  log "$s GET /api/v1/whoami -> 200 $(cat "$WORK/body")"
done
cmp -s "$WORK/shape.lepton" "$WORK/shape.fastapi" ||
  die "whoami JSON shapes differ: lepton $(cat "$WORK/shape.lepton") fastapi $(cat "$WORK/shape.fastapi")"

# --- wrk ------------------------------------------------------------------------------------
run_wrk() {  # run_wrk <server> <route> <seconds> <outfile>
  local s=$1 r=$2 d=$3 f=$4
  local cmd=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d${d}s" --latency)
  [[ $r == whoami ]] && cmd+=(-s "$HERE/auth.lua")
  cmd+=("${URL[$s]}${ROUTE_PATH[$r]}")
  # In the background so that a signal to this script is handled at once (cleanup kills wrk).
  BENCH_TOKEN=${TOKEN[$s]} "${cmd[@]}" >"$f" 2>&1 &
  WRK_PID=$!
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  [[ $rc == 0 ]] || { cat "$f" >&2; die "wrk failed (exit $rc): ${cmd[*]}"; }
  alive "$s" "${PID[$s]}"
  if grep -q 'Non-2xx or 3xx responses' "$f"; then
    cat "$f" >&2
    die "$s ${ROUTE_PATH[$r]}: wrk saw non-2xx responses ($(grep 'Non-2xx' "$f" | tr -s ' '))"
  fi
  grep -q '^Requests/sec:' "$f" || { cat "$f" >&2; die "$s ${ROUTE_PATH[$r]}: no Requests/sec in wrk output"; }
  if grep -q 'Socket errors' "$f"; then
    echo "run.sh: WARNING: $s ${ROUTE_PATH[$r]}: $(grep 'Socket errors' "$f" | tr -s ' ')" >&2
  fi
}

log "uvicorn child processes (2 workers + multiprocessing helper): $(pgrep -c -P "$UVICORN_PID" || true); lepton threads: $(ls "/proc/$LEPTON_PID/task" | wc -l)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before measuring: $LOAD_START ($(nproc) cores)"
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "run.sh: WARNING: the machine is busy (load $LOAD_START on $(nproc) cores); results will be noisy" >&2
fi
log "warm-up: ${WARMUP}s per server and route"
for r in "${ROUTES[@]}"; do
  for s in "${SERVERS[@]}"; do run_wrk "$s" "$r" "$WARMUP" "$WORK/wrk/warmup_${r}_${s}.txt"; done
done

log "measuring: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, lepton then fastapi"
for ((i = 1; i <= ROUNDS; i++)); do
  for r in "${ROUTES[@]}"; do
    for s in "${SERVERS[@]}"; do
      f=$WORK/wrk/${r}_${s}_r$i.txt
      cut -d' ' -f1 /proc/loadavg >"$f.load"   # other work on the machine skews results
      run_wrk "$s" "$r" "$DURATION" "$f"
      printf '   round %d %-8s %-16s %s load1 %s\n' "$i" "$s" "${ROUTE_PATH[$r]}" \
        "$(grep -E '^Requests/sec:|^ +99%' "$f" | tr -s ' ' | tr '\n' ' ')" "$(cat "$f.load")"
      sleep 1
    done
  done
done

for s in "${SERVERS[@]}"; do
  alive "$s" "${PID[$s]}"
  [[ $(http_code "${URL[$s]}/api/v1/whoami" "${TOKEN[$s]}") == 200 ]] || die "$s: whoami no longer 200 after the runs"
done
LEPTON_RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$LEPTON_PID/status" 2>/dev/null || echo "")
if [[ -s $WORK/lepton.err ]]; then
  echo "run.sh: NOTE: lepton wrote to stderr during the run (tail):" >&2
  tail -n 20 "$WORK/lepton.err" >&2
fi

# --- report ----------------------------------------------------------------------------------
export WORK ROUNDS DURATION WARMUP THREADS CONNECTIONS LEPTON LEPTON_VERSION LEPTON_RSS_KB LOAD_START \
  UV_LOOP UV_HTTP FASTAPI_VERSIONS
export LEPTON_FLAGS_STR="${LEPTON_FLAGS[*]}" JSON_OUT=$OUT/bench_http.json
"$PY" - <<'EOF'
import datetime, glob, json, os, platform, re, statistics

W = os.environ
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}

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
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                    map(int, m.groups()))) if m else None
    try:
        out["load1_before"] = float(open(path + ".load").read())
    except OSError:
        out["load1_before"] = None
    return out

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rounds = int(W["ROUNDS"])
paths = {"healthz": "GET /healthz", "whoami": "GET /api/v1/whoami (Bearer token)"}
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "command": f"DURATION={W['DURATION']} ROUNDS={W['ROUNDS']} bench/http/run.sh",
    "machine": {"cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                "note": "load generator (wrk) and servers share the same cores"},
    "wrk": {"threads": int(W["THREADS"]), "connections": int(W["CONNECTIONS"]),
            "duration_s": int(W["DURATION"]), "warmup_s": int(W["WARMUP"]), "rounds": rounds},
    "lepton": {"binary": W["LEPTON"], "version": W["LEPTON_VERSION"],
               "flags": W["LEPTON_FLAGS_STR"], "rss_kb_after": W.get("LEPTON_RSS_KB") or None},
    "fastapi": {"versions": W["FASTAPI_VERSIONS"], "workers": 2, "loop": W["UV_LOOP"],
                "http": W["UV_HTTP"]},
    "goal": ">= 2x FastAPI throughput with lower p99",
    "load_average_before": W["LOAD_START"],
    "routes": {},
}
print()
print(f"results: median of {rounds} rounds, wrk -t{W['THREADS']} -c{W['CONNECTIONS']} "
      f"-d{W['DURATION']}s; {os.cpu_count()} cores shared by wrk and the server")
print("goal: >= 2x FastAPI throughput with lower p99")
for route, label in paths.items():
    runs = {s: [parse(f"{W['WORK']}/wrk/{route}_{s}_r{i}.txt") for i in range(1, rounds + 1)]
            for s in ("lepton", "fastapi")}
    med = {s: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
           for s, rs in runs.items()}
    tput = med["lepton"]["rps"] / med["fastapi"]["rps"]
    p99 = med["fastapi"]["p99_ms"] / med["lepton"]["p99_ms"]
    met = tput >= 2.0 and med["lepton"]["p99_ms"] < med["fastapi"]["p99_ms"]
    result["routes"][route] = {"path": label, "runs": runs, "median": med,
                               "throughput_ratio_lepton_over_fastapi": round(tput, 3),
                               "p99_ratio_fastapi_over_lepton": round(p99, 3), "goal_met": met}
    print()
    print(f"{label}")
    print(f"  {'server':<8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}   per-round req/s")
    for s in ("lepton", "fastapi"):
        m = med[s]
        per = ", ".join(f"{r['rps']:.0f}" for r in runs[s])
        print(f"  {s:<8} {m['rps']:>10.0f} {m['p50_ms']:>9.2f} {m['p99_ms']:>9.2f}   {per}")
    print(f"  throughput lepton/fastapi = {tput:.2f}x   p99 fastapi/lepton = {p99:.2f}x   "
          f"goal {'MET' if met else 'NOT MET'}")
with open(W["JSON_OUT"], "w") as f:
    json.dump(result, f, indent=2)
print()
print(f"raw results: {W['JSON_OUT']}")
EOF
OK=1
