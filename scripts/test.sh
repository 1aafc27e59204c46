#!/usr/bin/env bash
# The test command: prepares the machine (scripts/setup.sh) and runs every test.
# Servers the tests need (queue server, virtual printer) are started by the
# tests themselves on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
