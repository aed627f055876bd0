#!/usr/bin/env bash
# The test command: starts what the tests need (PostgreSQL on 127.0.0.1:5432, Debian's Chromium
# and ChromeDriver for the page tests, Blocktank's npm client, a Python venv with
# prometheus-client), then runs every test of the workspace. A missing PostgreSQL, browser or
# client is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    return
  fi
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  else
    echo "PostgreSQL is not installed; installing it"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return
    sleep 1
  done
  echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
  exit 1
}

# Each test makes its own database; drop what earlier runs left behind.
drop_stale_test_databases() {
  local db
  for db in $(psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'boltworks_test_%'" 2>/dev/null); do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
}

# The page tests drive a real headless Chromium through ChromeDriver (Debian's packages).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    return
  fi
  echo "installing Chromium and ChromeDriver for the page tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  command -v chromedriver >/dev/null 2>&1 || { echo "ChromeDriver did not install" >&2; exit 1; }
}

# Blocktank's own npm client of the LSP v0.0.1 API, pinned by its lockfile, for
# tests/api/blocktank_client.rs; Node.js from Debian if it is missing.
ensure_blocktank_client() {
  local dir=crates/boltworks/tests/blocktank-client
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "installing Node.js and npm for the Blocktank client test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -d "$dir/node_modules/@synonymdev/blocktank-client" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

# The Prometheus project's Python client parses /metrics in tests/api/metrics.rs, pinned, in a
# virtualenv of the target directory.
ensure_python_tools() {
  local venv=target/pyenv
  if ! "$venv/bin/python" -c 'import prometheus_client' >/dev/null 2>&1; then
    echo "making $venv with prometheus-client for the metrics test"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check prometheus-client==0.21.1
  fi
}

ensure_postgres
drop_stale_test_databases
ensure_chromium
ensure_blocktank_client
ensure_python_tools

if cargo nextest --version >/dev/null 2>&1; then
  # Each test starts its own stack; they mostly wait on the network, so run more than one per core.
  cargo nextest run --workspace --no-fail-fast --test-threads 4 "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
