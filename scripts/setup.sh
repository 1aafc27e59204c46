#!/usr/bin/env bash
# Prepare a fresh Debian 12 / Ubuntu 24.04 machine: the Debian libraries Qt needs, a
# virtual environment in .venv and the project with the extras of one mode:
#
#   bash scripts/setup.sh run    what running needs (scripts/run.sh): the server, kiosk and
#                                display extras, and the X11 (xcb) libraries of a real
#                                Qt window; no test tools
#   bash scripts/setup.sh test   what the tests need (scripts/test.sh; the default): the
#                                `dev` extra (every extra + pytest, Playwright, ruff, build)
#                                and the QR reader, Chromium and PostgreSQL of the tests
#   bash scripts/setup.sh province   the province demo (scripts/province.sh): the `server`
#                                and `central` extras and PostgreSQL
#
# Safe to run again: it only installs what is missing, and reinstalls the project when
# pyproject.toml changed (one stamp per mode).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-test}
# Qt's own libraries (also offscreen), for both modes.
APT_PACKAGES=(
  python3-venv
  libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1
  libfreetype6 libxkbcommon0 libpulse0 libxrandr2
)
case "$MODE" in
  run)
    EXTRAS="server,kiosk,displays"
    # Qt's xcb platform plugin: without these a window fails with
    # "Could not load the Qt platform plugin 'xcb'".
    APT_PACKAGES+=(
      libx11-xcb1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0
      libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
      libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
    )
    ;;
  province)
    EXTRAS="server,central"
    APT_PACKAGES+=(postgresql)
    ;;
  test)
    EXTRAS="dev"
    APT_PACKAGES+=(zbar-tools chromium)
    APT_PACKAGES+=(postgresql)  # the province tests' throw-away cluster (initdb, pg_ctl)
    # The kiosk's layout test on a real X server (Xvfb, with Qt's xcb libraries, the
    # same as `run` installs), and the check of the kiosk lock-down script.
    APT_PACKAGES+=(
      xvfb shellcheck
      libx11-xcb1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0
      libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
      libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
    )
    ;;
  *)
    echo "usage: bash scripts/setup.sh [run|test|province]" >&2
    exit 2
    ;;
esac

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
stamp=.venv/.installed-$MODE-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project with the extras [$EXTRAS] ($MODE mode)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
  rm -f .venv/.installed-"$MODE"-*
  touch "$stamp"
fi
