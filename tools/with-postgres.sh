#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server.
#
#   tools/with-postgres.sh CMD [ARGS...]
#
# Creates a cluster in a fresh temp dir (trust auth, UTF-8, fsync off), listening only on
# 127.0.0.1 on a free port with its unix socket inside the temp dir, waits until it accepts
# connections, then runs CMD with
#   LEPTON_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/postgres
#   LEPTON_REQUIRE_POSTGRES=1
# exported, stops the server and removes the temp dir on any exit, and exits with CMD's status.
# As root the server runs as the `postgres` user (initdb and postgres refuse to run as root).
# Needs Debian's `postgresql` package; LEPTON_PG_BIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail

PG_BIN=${LEPTON_PG_BIN:-/usr/lib/postgresql/15/bin}
READY_TIMEOUT_S=30

die() {
  echo "with-postgres: $*" >&2
  exit 2
}

[ $# -ge 1 ] || die "usage: $0 CMD [ARGS...]"
for tool in initdb postgres pg_ctl pg_isready; do
  [ -x "$PG_BIN/$tool" ] || die "$PG_BIN/$tool not found (apt-get install postgresql)"
done

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user"
  as_pg() { (cd "$tmp" && exec runuser -u postgres -- "$@"); }
else
  as_pg() { (cd "$tmp" && exec "$@"); }
fi

tmp=$(mktemp -d /tmp/lepton-pg.XXXXXX)
data="$tmp/data"
sock="$tmp/sock"
log="$tmp/postgres.log"
server_pid=""

cleanup() {
  local status=$?
  if [ -f "$data/postmaster.pid" ]; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$data" stop -m fast -w -t 20 >/dev/null 2>&1; then
      local postmaster
      postmaster=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
      [ -n "$postmaster" ] && kill -KILL "$postmaster" 2>/dev/null || true
    fi
  fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 755 "$tmp"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$tmp"; fi
as_pg mkdir -m 700 "$sock"

if ! as_pg "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  die "initdb failed"
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Another process may grab the port between picking and binding it: retry a few times.
port=""
for attempt in 1 2 3 4 5; do
  candidate=$(free_port)
  (cd "$tmp" && exec $([ "$(id -u)" = 0 ] && echo runuser -u postgres --) \
    "$PG_BIN/postgres" -D "$data" -k "$sock" -h 127.0.0.1 -p "$candidate" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
    >>"$log" 2>&1) &
  server_pid=$!
  deadline=$((SECONDS + READY_TIMEOUT_S))
  while [ $SECONDS -lt $deadline ]; do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$candidate" -t 1; then
      port=$candidate
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$port" ] && break
  if kill -0 "$server_pid" 2>/dev/null; then
    tail -n 30 "$log" >&2
    die "postgres did not become ready within ${READY_TIMEOUT_S}s"
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  grep -q "could not bind" "$log" || { tail -n 30 "$log" >&2; die "postgres exited at start"; }
  echo "with-postgres: port $candidate taken, retrying ($attempt)" >&2
done
[ -n "$port" ] || { tail -n 30 "$log" >&2; die "could not start postgres on a free port"; }

export LEPTON_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
export LEPTON_REQUIRE_POSTGRES=1
echo "with-postgres: PostgreSQL ready at $LEPTON_TEST_POSTGRES_URL" >&2

# CMD runs in the background so that a TERM or INT sent to this script is handled at once
# (bash defers traps until a foreground child exits): it is forwarded to CMD as TERM, and the
# server is stopped once CMD has exited.
(trap - INT QUIT TERM; exec "$@") <&0 &
cmd_pid=$!
trap 'kill -TERM "$cmd_pid" 2>/dev/null || true' INT TERM
set +e
while true; do
  wait "$cmd_pid"
  cmd_status=$?
  kill -0 "$cmd_pid" 2>/dev/null || break
done
set -e
exit "$cmd_status"
