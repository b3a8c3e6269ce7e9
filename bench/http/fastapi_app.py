"""FastAPI baseline for the Lepton HTTP benchmark (bench/http/run.sh).

Serves the two routes the benchmark measures, doing the same work as `lepton server`:

  GET /healthz         -> {"status":"ok"}
  GET /api/v1/whoami   -> the calling user and its grants, like Lepton's auth.whoami:
                          parse `Authorization: Bearer <token>`, check the token's format,
                          SHA-256 it, look the hash up in SQLite (api_tokens JOIN users), check
                          revoked/expired/disabled, read the principal's grants, then (as
                          Lepton's handler does) read the user by name and its grants again,
                          and return the same JSON shape (keys sorted, like Lepton's output).
                          401 with a JSON error otherwise.

The SQLite schema is the auth part of Lepton's migration 1 (users, grants, api_tokens), opened
with the same pragmas (WAL, synchronous=NORMAL, foreign_keys=ON). Each uvicorn worker process
opens one connection, used from its event-loop thread (async handlers; a query takes a few
microseconds, so running it inline is cheaper than a thread-pool hop).

Environment:
  BENCH_DB     path of the SQLite database (required)
  BENCH_TOKEN  the API token of user 'admin' (required; 'lep_' + 43 base64url characters)

Create/seed the database once before starting uvicorn (idempotent):
  BENCH_DB=/tmp/x.db BENCH_TOKEN=lep_... /usr/bin/python3 bench/http/fastapi_app.py --init
Print a fresh token:
  /usr/bin/python3 bench/http/fastapi_app.py --new-token
Serve (must be Debian's python3, which has python3-fastapi and python3-uvicorn):
  BENCH_DB=... BENCH_TOKEN=... /usr/bin/python3 -m uvicorn fastapi_app:app \
      --app-dir bench/http --workers 2 --port 8000
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
import secrets
import sqlite3
import sys

TOKEN_PREFIX = "lep_"
TOKEN_CHARS = 43  # base64url of 32 bytes, no padding

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (user_id, role, scope)
);
CREATE INDEX IF NOT EXISTS grants_user ON grants(user_id);
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens(user_id);
"""

SQL_AUTHENTICATE = (
    "SELECT t.id, t.expires_at, t.revoked_at, u.id, u.name, u.disabled "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
)
SQL_GRANTS = "SELECT id, role, scope FROM grants WHERE user_id = ? ORDER BY created_at, id"
SQL_USER = (
    "SELECT id, name, disabled, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, "
    "created_at, created_by FROM users WHERE name = ?"
)

KNOWN_ROLES = {"admin", "data_engineer", "data_scientist", "ml_engineer", "approver", "viewer"}


def new_token() -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def now_timestamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                   "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"):
        conn.execute(pragma)
    return conn


def init_db(path: str, token: str) -> None:
    """Creates the schema and user 'admin' (role admin on '*') with `token`; idempotent."""
    conn = connect(path)
    conn.executescript(SCHEMA)
    ts = now_timestamp()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR IGNORE INTO users (id, name, password_hash, disabled, created_at, "
                 "created_by) VALUES (?, 'admin', NULL, 0, ?, 'bootstrap')",
                 (secrets.token_hex(13).upper(), ts))
    (uid,) = conn.execute("SELECT id FROM users WHERE name = 'admin'").fetchone()
    conn.execute("INSERT OR IGNORE INTO grants (id, user_id, role, scope, created_at, created_by) "
                 "VALUES (?, ?, 'admin', '*', ?, 'bootstrap')",
                 (secrets.token_hex(13).upper(), uid, ts))
    conn.execute("INSERT OR IGNORE INTO api_tokens (id, user_id, name, token_hash, created_at) "
                 "VALUES (?, ?, 'bootstrap', ?, ?)",
                 (secrets.token_hex(13).upper(), uid, hashlib.sha256(token.encode()).hexdigest(),
                  ts))
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--new-token"]:
        print(new_token())
    elif sys.argv[1:] == ["--init"]:
        init_db(os.environ["BENCH_DB"], os.environ["BENCH_TOKEN"])
    else:
        sys.exit(__doc__)
    sys.exit(0)


# --- the app -------------------------------------------------------------------------------

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

DB_PATH = os.environ["BENCH_DB"]
if not os.path.exists(DB_PATH):
    raise SystemExit(f"BENCH_DB={DB_PATH} does not exist; run fastapi_app.py --init first")

app = FastAPI(title="lepton-bench-baseline", docs_url=None, redoc_url=None, openapi_url=None)
_conn: sqlite3.Connection | None = None  # one per worker process


def db() -> sqlite3.Connection:
    global _conn
    if _conn is None:
        _conn = connect(DB_PATH)
    return _conn


class Unauthenticated(Exception):
    def __init__(self, message: str):
        self.message = message


@app.exception_handler(Unauthenticated)
async def _unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
    return JSONResponse(status_code=401, content={"code": "UNAUTHENTICATED", "error": exc.message},
                        headers={"WWW-Authenticate": "Bearer"})


def grants_of(conn: sqlite3.Connection, user_id: str) -> list[dict]:
    return [{"id": gid, "role": role, "scope": scope}
            for gid, role, scope in conn.execute(SQL_GRANTS, (user_id,))
            if role in KNOWN_ROLES]


def authenticate(conn: sqlite3.Connection, header: str | None) -> dict:
    if not header:
        raise Unauthenticated("missing Authorization: Bearer <token> header")
    if header[:7].lower() != "bearer ":
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    token = header[7:].strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) != len(TOKEN_PREFIX) + TOKEN_CHARS:
        raise Unauthenticated("malformed token: expected 'lep_' and 43 characters")
    row = conn.execute(SQL_AUTHENTICATE, (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
    if row is None:
        raise Unauthenticated("unknown token")
    token_id, expires_at, revoked_at, user_id, user_name, disabled = row
    if revoked_at is not None:
        raise Unauthenticated("token was revoked")
    if expires_at is not None:
        try:
            expires = _dt.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
        except ValueError:
            raise Unauthenticated("token has expired")
        if _dt.datetime.now(_dt.timezone.utc) >= expires:
            raise Unauthenticated("token has expired")
    if disabled:
        raise Unauthenticated("user is disabled")
    return {"token_id": token_id, "user_id": user_id, "user_name": user_name,
            "grants": grants_of(conn, user_id)}


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.get("/api/v1/whoami")
async def whoami(request: Request):
    conn = db()
    principal = authenticate(conn, request.headers.get("authorization"))
    row = conn.execute(SQL_USER, (principal["user_name"],)).fetchone()
    if row is None:
        return JSONResponse(status_code=404, content={
            "code": "NOT_FOUND", "error": f"user '{principal['user_name']}' not found"})
    uid, name, disabled, has_password, created_at, created_by = row
    return {"created_at": created_at, "created_by": created_by, "disabled": disabled != 0,
            "grants": grants_of(conn, uid), "has_password": has_password != 0, "id": uid,
            "name": name, "token_id": principal["token_id"]}
