#!/usr/bin/env bash
# Installs every build and test dependency of Lepton on Debian 12 with apt-get (and npm for the
# test peers). Idempotent: when everything is present it only checks, in a second or two.
# Usage: scripts/install-deps.sh            (needs root, or sudo)
set -euo pipefail

# Build toolchain and libraries. Keep this list the single source of truth for apt packages.
PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache mold git ca-certificates curl
  libabsl-dev libboost-dev libboost-system-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev libpq-dev libsodium-dev libssl-dev libicu-dev
  libxgboost-dev xgboost python3-sklearn python3-xgboost python3-pandas
  libtorch-dev python3-torch libopenblas0-pthread
  libzstd-dev libsnappy-dev zlib1g-dev liblz4-dev libmimalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  postgresql prometheus
  nodejs npm
  wrk jq bc time python3 python3-fastapi python3-uvicorn python3-uvloop python3-httptools
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian (the machine image ships its own).
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || kept+=("$p"); done
  missing=("${kept[@]+"${kept[@]}"}")
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The postgresql package starts a cluster of its own; the tests start their own throwaway one.
fi

# npm test peers (OpenAPI validator, DuckDB for Parquet interop), installed into tools/node_modules
# from the lock file.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/tools/package.json" ] && { [ ! -d "$here/tools/node_modules/@apidevtools/swagger-parser" ] ||
    [ ! -d "$here/tools/node_modules/@duckdb/node-api" ]; }; then
  echo "install-deps: npm install in tools/"
  (cd "$here/tools" && npm install --no-audit --no-fund --silent)
fi
echo "install-deps: ok"
