#!/usr/bin/env bash
# Install what the tests need (Debian's Chromium for the browser tests, the Python test
# dependencies), lint (ruff, with the security rules), check the formatting and the types
# (mypy on core/ and cli/), run every test, then every benchmark at its smoke size so none
# can rot. The README's test command and .ci/run call this; arguments replace the test
# selection on each backend (e.g. -m "not browser and not slow" for the fast part).
set -euo pipefail
cd "$(dirname "$0")/.."
# Pango lays out the PDF export (WeasyPrint); PostgreSQL is the team backend's server.
if [ ! -x /usr/bin/chromium ] || ! ldconfig -p | grep -q libpangoft2-1.0 \
  || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium libpango-1.0-0 libpangoft2-1.0-0 postgresql
fi
pip install -q -r requirements-dev.txt
# A throwaway PostgreSQL cluster on 127.0.0.1 for the tests, stopped however they end.
PG_DIR="$(mktemp -d)"
export SWITCHYARD_TEST_PG="$(python -m tests.pg_cluster start "$PG_DIR")"
trap 'python -m tests.pg_cluster stop "$PG_DIR"; rm -rf "$PG_DIR"' EXIT
ruff check .
ruff format --check .
mypy core cli
# Every test on each backend: a DuckDB file, then PostgreSQL as the system of record (the team
# backend; SWITCHYARD_TEST_BACKENDS names the ones to run, e.g. "duckdb"). Two at a time, but
# the browser tests one at a time (each drives Chromium and a server, and times what it sees,
# on these 2 cores).
backends="${SWITCHYARD_TEST_BACKENDS:-duckdb postgresql}"
for backend in $backends; do
  case "$backend" in
    duckdb | postgresql) ;;
    *) echo "SWITCHYARD_TEST_BACKENDS: expected duckdb and/or postgresql, got '$backend'" >&2; exit 2 ;;
  esac
done
for backend in $backends; do
  if [ $# -gt 0 ]; then
    SWITCHYARD_TEST_BACKEND=$backend python -m pytest "$@"
  else
    SWITCHYARD_TEST_BACKEND=$backend python -m pytest -q -n 2 -m "not browser" tests
    SWITCHYARD_TEST_BACKEND=$backend python -m pytest -q -m browser tests
  fi
done
for bench in ingest review_loop calibration compare runner coverage label_efficiency canary canary_power \
  review_browser review_load first_start store_copy; do
  python "bench/$bench.py" --smoke >/dev/null
  echo "bench/$bench.py --smoke: ok"
done
