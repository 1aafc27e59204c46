#!/usr/bin/env bash
# Prepare a fresh Debian 12 / Ubuntu 24.04 machine: the Debian libraries that
# Qt (offscreen), the QR reader and the browser tests (Chromium) need, a virtual environment in
# .venv and the project with its extras. Safe to run again: it only installs
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv zbar-tools chromium
  libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1
  libfreetype6 libxkbcommon0 libpulse0 libxrandr2
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[desktop,dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
