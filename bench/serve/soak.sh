#!/usr/bin/env bash
# The serving soak (see bench/serve/SOAK.md): a fresh server with the credit-scoring example set
# up (scripts/setup-examples.sh: trained, registered, promoted, deployed as credit-xgboost), its
# maximum measured closed-loop, then an open-loop load at a fraction of it for SOAK_SECONDS while
# the server's RSS is sampled and, half-way, `production` moves to a new version (promotion +
# approval + refresh). Zero failed requests, a flat RSS after warm-up and the rate actually
# sustained (>= 95 %) are required; the server's CPU per request, early vs late, is reported.
#
# usage: bench/serve/soak.sh            (builds nothing; run from anywhere)
# environment (defaults in brackets):
#   BUILD_DIR        where bin/lepton and bin/lepton_loadgen are [build]
#   SOAK_SECONDS     length of the soak [600]
#   WARMUP_SECONDS   RSS is judged from this point of the soak on [60; half the soak if shorter]
#   MAX_SECONDS      closed-loop run that measures the maximum [20]
#   CONNECTIONS      keep-alive connections for both runs [64]
#   LOAD_PERCENT     soak rate as a percentage of the measured maximum [80]
#   RSS_GROWTH_PCT   failure bound on RSS growth from the end of warm-up to the end [10]
#   MOVE_ALIAS       1: move `production` to a new version half-way through [1]
#   CONTRIBUTIONS    1: ask for per-column contributions (TreeSHAP) in every request, as
#                    examples/credit-scoring/applicant.json does; 0: the same request without
#                    "parameters", the plain scoring path bench/serve/run.sh measures [0]
#   LOADGEN_THREADS  I/O threads of lepton_loadgen [1: the server needs the other core more]
#   SERVER_ARGS      extra `lepton server` flags, e.g. "--access-log false" []
#   SOAK_OUT         the JSON result [$BUILD_DIR/soak-result.json]
#   KEEP             1: keep the server home and logs (printed) instead of deleting them [0]
# exit: 0 pass; 1 failed (errors, RSS growth, rate not sustained, or a step that did not work);
# 2 bad set-up.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
LEPTON=$BUILD_DIR/bin/lepton
LOADGEN=$BUILD_DIR/bin/lepton_loadgen
SOAK_SECONDS=${SOAK_SECONDS:-600}
WARMUP_SECONDS=${WARMUP_SECONDS:-60}
((WARMUP_SECONDS * 2 <= SOAK_SECONDS)) || WARMUP_SECONDS=$((SOAK_SECONDS / 2))
MAX_SECONDS=${MAX_SECONDS:-20}
CONNECTIONS=${CONNECTIONS:-64}
LOAD_PERCENT=${LOAD_PERCENT:-80}
RSS_GROWTH_PCT=${RSS_GROWTH_PCT:-10}
MOVE_ALIAS=${MOVE_ALIAS:-1}
CONTRIBUTIONS=${CONTRIBUTIONS:-0}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
SERVER_ARGS=${SERVER_ARGS:-}
SOAK_OUT=${SOAK_OUT:-$BUILD_DIR/soak-result.json}
KEEP=${KEEP:-0}
MODEL=credit-xgboost

for bin in "$LEPTON" "$LOADGEN"; do
  [[ -x $bin ]] || { echo "soak: $bin is missing (build the targets lepton and lepton_loadgen in $BUILD_DIR)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/lepton-soak.XXXXXX)
HOME_DIR=$WORK/home
SERVER_PID=""
LOADGEN_PID=""
cleanup() {
  local pid
  for pid in $LOADGEN_PID $SERVER_PID; do
    if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  if [[ $KEEP == 1 ]]; then echo "soak: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "soak: FAIL: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
BODY=$WORK/request.json
python3 - "$ROOT/examples/credit-scoring/applicant.json" "$BODY" "$CONTRIBUTIONS" <<'PY'
import json, sys
request = json.load(open(sys.argv[1]))
if sys.argv[3] != "1":
    request.pop("parameters", None)
json.dump(request, open(sys.argv[2], "w"))
PY
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
# The server's CPU time so far (user + system) in clock ticks; fields after the ")" of the comm.
cpu_ticks() { sed 's/.*) //' "/proc/$SERVER_PID/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }
sample() { printf '%d\t%d\t%d\n' "$1" "$(rss_kib)" "$(cpu_ticks)" >>"$WORK/rss.tsv"; }
json_get() {  # json_get FILE KEY... -> the value
  python3 -c $'import json, sys\nv = json.load(open(sys.argv[1]))\nfor k in sys.argv[2:]: v = v[k]\nprint(v)' "$@"
}

log "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; work dir $WORK; contributions: $CONTRIBUTIONS"
log "ingesting the German credit example"
mkdir -p "$HOME_DIR"
"$LEPTON" lake ingest "$ROOT/examples/credit-scoring/german_credit.csv" --dataset credit/german_credit \
  --home "$HOME_DIR" >"$WORK/ingest.out" 2>&1 || fail "ingest failed: $(cat "$WORK/ingest.out")"
# shellcheck disable=SC2086  # SERVER_ARGS is a list of flags
"$LEPTON" server --home "$HOME_DIR" --listen 127.0.0.1:0 $SERVER_ARGS >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(grep -o -m1 'listening on http://[^ ]*' "$WORK/server.out" | cut -d' ' -f3 || true)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[[ -n $URL ]] || fail "server did not start: $(cat "$WORK/server.out" "$WORK/server.log")"
ADMIN=$(cat "$HOME_DIR/admin.token")
log "server pid $SERVER_PID at $URL; running scripts/setup-examples.sh"
setup_start=$SECONDS
LEPTON_HOME=$HOME_DIR "$ROOT/scripts/setup-examples.sh" "$URL" "$LEPTON" >"$WORK/setup.out" 2>&1 ||
  fail "setup-examples.sh failed: $(tail -20 "$WORK/setup.out")"
log "set up in $((SECONDS - setup_start)) s: $MODEL deployed (follows production)"

as_admin() { LEPTON_TOKEN=$ADMIN "$LEPTON" "$@" --server "$URL"; }
api() {  # api METHOD PATH [BODY] -> body on stdout; fails unless 2xx
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $ADMIN" ${3:+-d "$3"} "$URL$2")
  code=${out##*$'\n'}
  [[ $code == 2* ]] || fail "$1 $2 answered $code: ${out%$'\n'*}"
  echo "${out%$'\n'*}"
}
serving_version() { api GET "/api/v1/deployments/$MODEL" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["serving_version"])'; }

# The version `production` will move to half-way: the same run registered again, with its card
# filled in (the example policy requires it). Done now, outside the measured window.
NEW_VERSION=""
if [[ $MOVE_ALIAS == 1 ]]; then
  run_id=$(api GET "/api/v1/models/$MODEL/versions/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
  NEW_VERSION=$(api POST "/api/v1/models/$MODEL/versions" "{\"run_id\": \"$run_id\", \"description\": \"soak: re-registered\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
  as_admin models card "$MODEL" "$NEW_VERSION" --set "intended_use=soak test: the same model again" \
    --set "limitations=identical to version 1" >/dev/null
  log "registered $MODEL version $NEW_VERSION for the mid-soak move"
fi

AUTH="Authorization: Bearer $ADMIN"
INFER_URL=$URL/v2/models/$MODEL/infer
log "measuring the maximum: closed-loop, $CONNECTIONS connections, $MAX_SECONDS s"
# Its exit status says only whether errors happened; they are read from the JSON below.
"$LOADGEN" --url "$INFER_URL" --body "$BODY" --header "$AUTH" --connections "$CONNECTIONS" \
  --threads "$LOADGEN_THREADS" --duration "$MAX_SECONDS" --progress 5 --json-out "$WORK/max.json" | sed 's/^/  /' || true
[[ -s $WORK/max.json ]] || fail "the maximum run wrote no result"
MAX_RPS=$(json_get "$WORK/max.json" rps)
MAX_ERRORS=$(json_get "$WORK/max.json" errors)
RATE=$(python3 -c "print(int(float('$MAX_RPS') * $LOAD_PERCENT / 100))")
((RATE > 0)) || fail "measured maximum is $MAX_RPS req/s"
log "maximum $(printf '%.0f' "$MAX_RPS") req/s ($MAX_ERRORS errors); soak at $LOAD_PERCENT %: $RATE req/s for $SOAK_SECONDS s"

"$LOADGEN" --url "$INFER_URL" --body "$BODY" --header "$AUTH" --connections "$CONNECTIONS" --rate "$RATE" \
  --threads "$LOADGEN_THREADS" \
  --duration "$SOAK_SECONDS" --progress 10 --json-out "$WORK/soak.json" >"$WORK/soak.progress" 2>&1 &
LOADGEN_PID=$!
soak_start=$SECONDS
: >"$WORK/rss.tsv"
MOVE_AT=$((SOAK_SECONDS / 2))
moved=""
next_sample=0
shown=0
while kill -0 "$LOADGEN_PID" 2>/dev/null; do
  t=$((SECONDS - soak_start))
  if ((t >= next_sample)); then
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during the soak: $(tail -20 "$WORK/server.log")"
    sample "$t"
    next_sample=$((next_sample + 5))
  fi
  # Show the load generator's progress lines as they come.
  lines=$(wc -l <"$WORK/soak.progress")
  if ((lines > shown)); then
    sed -n "$((shown + 1)),${lines}p" "$WORK/soak.progress" | sed "s/^/  /; s/\$/   RSS $(rss_kib) KiB/"
    shown=$lines
  fi
  if [[ $MOVE_ALIAS == 1 && -z $moved ]] && ((t >= MOVE_AT)); then
    before=$(serving_version)
    promotion=$(as_admin models promote "$MODEL" "$NEW_VERSION" --alias production --comment "soak: mid-load move" |
      grep -o 'promotion [0-9A-Z]*' | cut -d' ' -f2)
    LEPTON_TOKEN=$(cat "$HOME_DIR/approver.token") "$LEPTON" models approve "$MODEL" "$promotion" --server "$URL" \
      --comment "soak: mid-load move" >/dev/null
    after=$(api POST "/api/v1/deployments/$MODEL/refresh" "{}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["serving_version"])')
    [[ $after == "$NEW_VERSION" ]] || fail "after the promotion and refresh $MODEL serves version $after, not $NEW_VERSION"
    moved="at ${t}s: production $before -> $after"
    log "moved $moved"
  fi
  sleep 1
done
soak_rc=0
wait "$LOADGEN_PID" || soak_rc=$?
LOADGEN_PID=""
lines=$(wc -l <"$WORK/soak.progress")
sed -n "$((shown + 1)),${lines}p" "$WORK/soak.progress" | sed 's/^/  /'
sample "$((SECONDS - soak_start))"
[[ -s $WORK/soak.json ]] || fail "the soak run wrote no result (exit $soak_rc): $(cat "$WORK/soak.progress")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during the soak: $(tail -20 "$WORK/server.log")"

# Summary, verdict and JSON (python: least-squares slope of RSS over the post-warm-up samples).
verdict=0
python3 - "$WORK" "$SOAK_OUT" "$WARMUP_SECONDS" "$RSS_GROWTH_PCT" "$MAX_RPS" "$MAX_ERRORS" "$RATE" \
  "$CONNECTIONS" "$SOAK_SECONDS" "$LOAD_PERCENT" "${moved:-none}" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(du -sk "$WORK/server.log" | cut -f1)" "$(getconf CLK_TCK)" "$CONTRIBUTIONS" <<'PY' || verdict=$?
import json, os, sys, time
work, out_path, warmup, bound_pct, max_rps, max_errors, rate, conns, seconds, pct, moved, load, log_kib, hz, contrib = sys.argv[1:]
warmup, bound_pct, hz = int(warmup), float(bound_pct), int(hz)
soak = json.load(open(os.path.join(work, "soak.json")))
rows = [tuple(map(int, l.split())) for l in open(os.path.join(work, "rss.tsv")) if l.strip()]
samples = [(t, r) for t, r, _ in rows]
post = [(t, r) for t, r in samples if t >= warmup] or samples[-2:]

# Server CPU per answered request, early vs late in the soak: unlike req/s and latency it does
# not move when other processes take the CPU, so a server that slows down by itself shows here.
cum = [(0.0, 0.0)]
for p in soak["progress"]:
    cum.append((p["t"], cum[-1][1] + p["rps"] * (p["t"] - cum[-1][0])))
def answered(t):  # requests answered by time t, interpolated from the progress intervals
    for (t0, n0), (t1, n1) in zip(cum, cum[1:]):
        if t <= t1:
            return n0 + (n1 - n0) * (t - t0) / (t1 - t0) if t1 > t0 else n1
    return cum[-1][1]
def cpu_us_per_request(a, b):
    n = answered(b[0]) - answered(a[0])
    return 1e6 * (b[2] - a[2]) / hz / n if n > 0 else None
post_rows = [r for r in rows if r[0] >= warmup] or rows[-2:]
mid = post_rows[len(post_rows) // 2]
cpu_early = cpu_us_per_request(post_rows[0], mid)
cpu_late = cpu_us_per_request(mid, post_rows[-1])
fmt = lambda v: "n/a" if v is None else f"{v:.0f}"
start_kib, end_kib = post[0][1], post[-1][1]
n = len(post)
mt = sum(t for t, _ in post) / n
mr = sum(r for _, r in post) / n
den = sum((t - mt) ** 2 for t, _ in post)
slope = 60 * sum((t - mt) * (r - mr) for t, r in post) / den if den > 0 else 0.0
growth = 100.0 * (end_kib - start_kib) / start_kib if start_kib else 0.0
lat = soak["latency_ms"]
errors = soak["errors"] + int(max_errors)
# A soak that did not run at its rate (the server fell behind: a backlog, `unsent`, and
# latencies of seconds) did not test what it should; that is a failure too, with its reason.
sustained = soak["rps"] >= 0.95 * int(rate)
ok = errors == 0 and growth <= bound_pct and sustained
result = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average_at_end": load,
    "request": "POST /v2/models/credit-xgboost/infer, examples/credit-scoring/applicant.json"
               + ("" if contrib == "1" else " without parameters (no contributions)"),
    "connections": int(conns), "max_rps": float(max_rps), "max_errors": int(max_errors),
    "load_percent": float(pct), "rate": int(rate), "soak_seconds": int(seconds),
    "requests": soak["requests"], "achieved_rps": soak["rps"], "errors": soak["errors"],
    "by_status": soak["by_status"], "transport_errors": {k: soak[k] for k in
        ("connect_errors", "reset_errors", "timeout_errors", "other_errors")},
    "reconnects": soak["reconnects"], "unsent": soak["unsent"], "latency_ms": lat,
    "alias_move": moved, "rss_warmup_seconds": warmup,
    "rss_start_kib": start_kib, "rss_end_kib": end_kib, "rss_growth_pct": growth,
    "rss_slope_kib_per_min": slope, "rss_growth_bound_pct": bound_pct, "rate_sustained": sustained,
    "server_cpu_us_per_request": {"early": cpu_early, "late": cpu_late},
    "samples_t_rss_kib_cpu_ticks": rows, "clk_tck": hz,
    "server_log_kib": int(log_kib), "progress": soak["progress"], "pass": ok,
}
with open(out_path, "w") as f:
    json.dump(result, f, indent=1)
print(f"""
== soak result ({'PASS' if ok else 'FAIL'}) -> {out_path}
maximum        {float(max_rps):.0f} req/s closed-loop, {conns} connections ({max_errors} errors)
soak           {rate} req/s open-loop ({pct} %), {seconds} s, achieved {soak['rps']:.0f} req/s{'' if sustained else '  <- NOT SUSTAINED (busy machine? see the load average)'}
requests       {soak['requests']}   errors {soak['errors']} (non-2xx {soak['non_2xx']}, transport {sum(result['transport_errors'].values())})   unsent {soak['unsent']}
latency        p50 {lat['p50']:.3f} ms   p99 {lat['p99']:.3f} ms   p99.9 {lat['p999']:.3f} ms   max {lat['max']:.3f} ms (from scheduled send)
alias move     {moved}
RSS            {start_kib} KiB at {post[0][0]} s (after {warmup} s warm-up) -> {end_kib} KiB at {post[-1][0]} s: {growth:+.2f} % (bound {bound_pct:g} %), slope {slope:+.1f} KiB/min over {n} samples
server CPU     {fmt(cpu_early)} µs per request after warm-up, {fmt(cpu_late)} µs in the second half (user + system)
load average   {load}""")
sys.exit(0 if ok else 1)
PY
((verdict == 0)) || fail "see the result above"
