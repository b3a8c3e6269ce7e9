# Shell helpers shared by the side-by-side benchmarks (bench/http/run.sh, bench/serve/run.sh).
# Source it after setting WORK (the run's temp dir); each script keeps its own cleanup.
#   die MSG               print "run.sh: FAIL: MSG" and exit 1
#   log MSG               print "== MSG"
#   stop PID              SIGTERM the process group started with setsid, SIGKILL after 10 s
#   alive NAME PID        fail, with the tail of $WORK/NAME.err, when the server died
#   http_code URL [TOKEN] the status code (000 when no answer); the body in $WORK/body
#   wait_healthy NAME PID BASE_URL   wait up to 30 s for 200 on BASE_URL/healthz

die() { echo "run.sh: FAIL: $*" >&2; exit 1; }
log() { echo "== $*"; }

stop() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: pid $pid ignored SIGTERM for 10 s; killing" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

alive() {
  kill -0 "$2" 2>/dev/null && return 0
  echo "--- $1 stderr (tail) ---" >&2
  tail -n 40 "$WORK/$1.err" >&2 || true
  die "$1 (pid $2) is not running any more"
}

http_code() {
  local args=(-s --noproxy '*' --max-time 5 -o "$WORK/body" -w '%{http_code}')
  [[ -n ${2:-} ]] && args+=(-H "Authorization: Bearer $2")
  curl "${args[@]}" "$1" || true
}

wait_healthy() {
  for _ in $(seq 300); do
    alive "$1" "$2"
    [[ $(http_code "$3/healthz") == 200 ]] && return 0
    sleep 0.1
  done
  die "$1 did not answer 200 on $3/healthz within 30 s"
}
