#!/usr/bin/env bash
# Install what the tests need (Debian's Chromium for the browser tests, the Python test
# dependencies), lint (ruff, with the security rules) and check the formatting, then run every
# test. The README's test command and .ci/run call this.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium
fi
pip install -q -r requirements-dev.txt
ruff check .
ruff format --check .
python -m pytest "$@"
