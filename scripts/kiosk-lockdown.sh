#!/usr/bin/env bash
# Turn a fresh Debian 12 / Ubuntu 24.04 PC into a locked-down Xếp hàng kiosk (run as root):
#
#   sudo bash scripts/kiosk-lockdown.sh --server http://SERVER:8765 --token KIOSK_TOKEN \
#       [--printer /etc/xephang/printer.toml] [--user xephang-kiosk]
#
# What it does (docs/operations.md, "Kiosk lock-down"):
#   - installs cage (a one-app Wayland compositor), seatd, Xwayland, wlr-randr and the
#     xcb/Wayland libraries Qt needs, and the project's `run` mode (scripts/setup.sh run);
#   - creates the kiosk account (no password, no sudo) with access to the seat, screen,
#     touchscreen, printer and sound;
#   - installs its systemd user units: the kiosk session (restarted with back-off), a
#     retry timer, and screen on/off timers for opening hours; lingers the account so
#     they start at boot without anyone logging in;
#   - makes the text consoles unreachable from the kiosk (no VT switching in cage, no
#     getty on tty1) and keeps the screen from blanking while the kiosk is open.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
APP_DIR=$(pwd)

SERVER="" TOKEN="" PRINTER=/etc/xephang/printer.toml KIOSK_USER=xephang-kiosk
while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER=$2; shift 2 ;;
    --token) TOKEN=$2; shift 2 ;;
    --printer) PRINTER=$2; shift 2 ;;
    --user) KIOSK_USER=$2; shift 2 ;;
    *) echo "kiosk-lockdown: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$SERVER" ] || [ -z "$TOKEN" ]; then
  echo "usage: sudo bash scripts/kiosk-lockdown.sh --server URL --token TOKEN [--printer FILE]" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "kiosk-lockdown: run as root (sudo)" >&2
  exit 2
fi

echo "kiosk-lockdown: Debian packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  cage seatd xwayland wlr-randr libwayland-client0 libwayland-cursor0 libwayland-egl1 \
  fonts-noto-core
bash scripts/setup.sh run

echo "kiosk-lockdown: the account $KIOSK_USER"
if ! id "$KIOSK_USER" >/dev/null 2>&1; then
  useradd --create-home --shell /usr/sbin/nologin --comment "Xep hang kiosk" "$KIOSK_USER"
fi
passwd --lock "$KIOSK_USER" >/dev/null
for group in video render input lp dialout audio; do
  if getent group "$group" >/dev/null; then
    usermod --append --groups "$group" "$KIOSK_USER"
  fi
done
systemctl enable --now seatd.service

echo "kiosk-lockdown: settings in /etc/xephang/kiosk.env"
install -d -m 0755 /etc/xephang
umask 027
cat >/etc/xephang/kiosk.env <<ENV
XEPHANG_DIR=$APP_DIR
XEPHANG_SERVER=$SERVER
XEPHANG_TOKEN=$TOKEN
XEPHANG_PRINTER=$PRINTER
ENV
umask 022
chgrp "$KIOSK_USER" /etc/xephang/kiosk.env

echo "kiosk-lockdown: systemd user units"
home=$(getent passwd "$KIOSK_USER" | cut -d: -f6)
units="$home/.config/systemd/user"
install -d -o "$KIOSK_USER" -g "$KIOSK_USER" "$home/.config" "$home/.config/systemd" "$units"
for unit in scripts/kiosk/*.service scripts/kiosk/*.timer; do
  sed "s|@APP_DIR@|$APP_DIR|g" "$unit" >"$units/$(basename "$unit")"
  chown "$KIOSK_USER:$KIOSK_USER" "$units/$(basename "$unit")"
done
wants="$units/default.target.wants" timers="$units/timers.target.wants"
install -d -o "$KIOSK_USER" -g "$KIOSK_USER" "$wants" "$timers"
ln -sf ../xephang-kiosk.service "$wants/xephang-kiosk.service"
for timer in xephang-kiosk-retry.timer xephang-screen-on.timer xephang-screen-off.timer; do
  ln -sf "../$timer" "$timers/$timer"
done
chown -h "$KIOSK_USER:$KIOSK_USER" "$wants"/* "$timers"/*
loginctl enable-linger "$KIOSK_USER" # its units start at boot, with nobody logged in

echo "kiosk-lockdown: no way out from the touchscreen"
# No login prompt on the kiosk's console, no blanking while it is open.
systemctl disable --now getty@tty1.service 2>/dev/null || true
systemctl mask getty@tty1.service
if ! grep -q "consoleblank=0" /etc/default/grub 2>/dev/null; then
  sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT="/&consoleblank=0 /' /etc/default/grub 2>/dev/null || true
  if command -v update-grub >/dev/null; then update-grub; fi
fi
# Ctrl+Alt+Del must not reboot the kiosk from a plugged-in keyboard.
systemctl mask ctrl-alt-del.target

echo "kiosk-lockdown: done. Reboot; the kiosk starts by itself. Logs:"
echo "  journalctl _SYSTEMD_USER_UNIT=xephang-kiosk.service -f"
