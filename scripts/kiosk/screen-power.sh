#!/usr/bin/env bash
# Turn the kiosk's screens on or off (the timers: on at opening, off at night).
# usage: screen-power.sh on|off
set -euo pipefail

state=${1:-}
if [ "$state" != on ] && [ "$state" != off ]; then
  echo "usage: screen-power.sh on|off" >&2
  exit 2
fi
export WAYLAND_DISPLAY=${WAYLAND_DISPLAY:-wayland-0}
outputs=$(wlr-randr | awk '/^[^ ]/ {print $1}')
if [ -z "$outputs" ]; then
  echo "screen-power: no output found (is the kiosk session running?)" >&2
  exit 1
fi
for output in $outputs; do
  wlr-randr --output "$output" "--$state"
done
