#!/usr/bin/env bash
# The run command: the whole system on its embedded defaults, on this machine.
#   - the queue server on http://127.0.0.1:8765 (sample site: Bình Dương centre,
#     SQLite file var/queue.db, opening hours ignored so the demo works any time)
#   - the virtual ESC/POS printer on 127.0.0.1:9100, printing PNGs to var/printer/
#   - a demo officer account "demo" (password "demo-1234") for the counter apps, and a
#     leader "lanh-dao" (password "lanh-dao-1234") for the report at /bao-cao
#   - on a machine with a screen: the kiosk, an officer console, the display over
#     counter 1, the hall display and the rating pad of counter 1
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run  # what running needs: no test tools
PY=.venv/bin/python
mkdir -p var/printer var/printer-counter

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The demo accounts (saved again at every start: their passwords are public).
echo "demo-1234" | $PY -m queue_server user add demo --role officer --full-name "Nguyễn Văn An" \
  --db var/queue.db
echo "lanh-dao-1234" | $PY -m queue_server user add lanh-dao --role leader \
  --full-name "Lãnh đạo Trung tâm" --db var/queue.db
echo "quan-tri-1234" | $PY -m queue_server user add quan-tri --role admin \
  --full-name "Quản trị viên" --db var/queue.db

$PY -m printer.virtual --host 127.0.0.1 --port 9100 --out var/printer --width 576 &
pids+=($!)
# counter 1's slip printer (phiếu hẹn: F9 in the console)
$PY -m printer.virtual --host 127.0.0.1 --port 9101 --out var/printer-counter --width 576 &
pids+=($!)
$PY -m queue_server --config assets/config/binh-duong.toml --db var/queue.db \
  --host 127.0.0.1 --port 8765 --ignore-hours &
pids+=($!)

$PY - <<'PY'
import time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen("http://127.0.0.1:8765/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
PY

SERVER=http://127.0.0.1:8765
apps=(
  "kiosk --server $SERVER --token kiosk-1-demo-token-change-me --printer kiosk/printer-virtual.toml --windowed"
  "counter_display.console --server $SERVER --counter 1 --counter-printer counter_display/counter-printer-virtual.toml"
  "counter_display.counter --server $SERVER --counter 1 --token counter-displays-demo-token"
  "counter_display.hall --server $SERVER --token hall-1-demo-token-change-me"
  "counter_display.rating --server $SERVER --counter 1 --token rating-pads-demo-token-change-me"
)
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  for app in "${apps[@]}"; do
    # shellcheck disable=SC2086
    $PY -m $app &
    pids+=($!)
  done
  APPS="started: kiosk, officer console, counter 1 display, hall display, rating pad"
else
  APPS="no screen here: start them on a desktop with .venv/bin/python -m <app> (docs/displays.md, docs/kiosk.md)"
fi

cat <<TXT

  Xếp hàng is running / Xếp hàng đang chạy:
    queue server      http://127.0.0.1:8765   (WebSocket ws://127.0.0.1:8765/ws)
    đặt lịch / booking http://127.0.0.1:8765/dat-lich  (English: /en/booking)
    hall display (web) http://127.0.0.1:8765/hall
    ticket tracking    http://127.0.0.1:8765/t/<public id>  (the QR on every ticket)
    services (JSON)   http://127.0.0.1:8765/api/services
    metrics           http://127.0.0.1:8765/metrics
    tin nhắn / messages var/messages.jsonl  (dry run: tail -f var/messages.jsonl)
    virtual printer   127.0.0.1:9100 → tickets as PNG in var/printer/
    counter printer   127.0.0.1:9101 → phiếu hẹn as PNG in var/printer-counter/ (console: F9)
    tra cứu hồ sơ     http://127.0.0.1:8765/tra-cuu/ho-so  (dossier status: code + 4 phone digits)
    officer account   demo / demo-1234 (console: counter 1)
    báo cáo / report  http://127.0.0.1:8765/bao-cao  (leader: lanh-dao / lanh-dao-1234)
    giám sát / floor  http://127.0.0.1:8765/giam-sat  (the same leader account)
    tin nhắn / outbox http://127.0.0.1:8765/tin-nhan  (supervisors: sent, failed, resend)
    quản trị / admin  http://127.0.0.1:8765/quan-tri  (admin: quan-tri / quan-tri-1234)
    desktop apps      $APPS
  Ctrl-C to stop / Ctrl-C để dừng.

TXT
wait -n "${pids[@]}"
