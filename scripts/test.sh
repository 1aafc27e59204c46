#!/usr/bin/env bash
# The test command: prepares the machine (scripts/setup.sh test: the dev extra) and
# runs the linters (ruff check, ruff format --check, mypy) and every test, the
# installed-wheel check among them (tests/packaging/).
# Servers the tests need (queue server, virtual printer) are started by the
# tests themselves on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
