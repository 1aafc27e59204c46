#!/usr/bin/env bash
# The kiosk's whole graphical session: cage (a Wayland compositor that shows one
# full-screen application, with no desktop, no window decorations, no task switcher)
# running `python -m kiosk`. Started by the user unit xephang-kiosk.service, which
# restarts it with a back-off when it ends. Settings come from /etc/xephang/kiosk.env.
set -euo pipefail

ENV_FILE=${XEPHANG_KIOSK_ENV:-/etc/xephang/kiosk.env}
if [ ! -r "$ENV_FILE" ]; then
  echo "kiosk session: $ENV_FILE is missing (see docs/operations.md, Kiosk lock-down)" >&2
  exit 2
fi
# shellcheck source=/dev/null
. "$ENV_FILE"
: "${XEPHANG_DIR:?set in $ENV_FILE}" "${XEPHANG_SERVER:?}" "${XEPHANG_TOKEN:?}"
: "${XEPHANG_PRINTER:=/etc/xephang/printer.toml}"

# Qt inside cage: Wayland first, X11 through Xwayland otherwise.
export QT_QPA_PLATFORM="wayland;xcb"
export LIBSEAT_BACKEND=seatd # the seat from seatd: no desktop login session needed
# No -s: Ctrl+Alt+F1…F12 cannot switch to a text console. -d: no decorations.
exec cage -d -- "$XEPHANG_DIR/.venv/bin/python" -m kiosk \
  --server "$XEPHANG_SERVER" --token "$XEPHANG_TOKEN" --printer "$XEPHANG_PRINTER"
