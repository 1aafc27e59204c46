"""The screen over a counter:
`python -m counter_display.counter --server URL --counter N --token DISPLAY_TOKEN`.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from counter_display.display_model import CounterDisplayModel
from counter_display.ui import (
    ACCENT,
    BACKGROUND,
    MUTED,
    TEXT,
    ConnectionBanner,
    FitLabel,
    base_arguments,
    bilingual,
    font,
    run_app,
    show_window,
)
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_url_lists

IDLE = {
    "open": ("Mời công dân chờ gọi số", "Please wait for your number"),
    "paused": ("Tạm dừng", "Paused"),
    "closed": ("Quầy chưa mở", "Counter closed"),
}


class CounterWindow(QWidget):
    def __init__(self, model: CounterDisplayModel) -> None:
        super().__init__()
        self.model = model
        self.setStyleSheet(f"background:{BACKGROUND}; color:{TEXT};")
        self.title = FitLabel(max_pixels=140, color=TEXT)
        self.title_en = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.title_en.setStyleSheet(f"color:{MUTED}")
        self._unit = 7.2
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setFont(font(40, bold=True))
        self.number = FitLabel(max_pixels=900, color=ACCENT)
        self.status = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setFont(font(80, bold=True))
        self.back = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)  # a pause's return time
        self.back.setTextFormat(Qt.TextFormat.RichText)
        self.back.hide()
        self.officer = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.officer.setStyleSheet(f"color:{MUTED}")
        self.banner = ConnectionBanner()
        box = QVBoxLayout(self)
        box.addWidget(self.banner)
        box.addWidget(self.title, 2)
        box.addWidget(self.title_en)
        box.addWidget(self.caption)
        box.addWidget(self.number, 7)
        box.addWidget(self.status, 7)
        box.addWidget(self.back)
        box.addWidget(self.officer)
        self._blink_on = True
        self.blinker = QTimer(self)
        self.blinker.timeout.connect(self._blink)
        self.blinker.start(500)
        model.subscribe(self.refresh)
        self.refresh()

    def resizeEvent(self, event) -> None:
        self._unit = max(self.height(), 300) / 100  # text sizes follow the screen height
        self.title_en.setFont(font(self._unit * 4))
        self.officer.setFont(font(self._unit * 4))
        super().resizeEvent(event)
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self.setWindowTitle(f"{m.name} – Xếp hàng")
        self.banner.show_state(m.connection, m.ever_connected)
        self.title.setText(m.name.upper())
        zone, zone_en = m.zone
        # where it is, Vietnamese first: "COUNTER 5  ·  Khu A – Zone A"
        place = "" if not zone else zone if zone_en == zone else f"{zone} – {zone_en}"
        self.title_en.setText(f"COUNTER {m.number}" + (f"  ·  {place}" if place else ""))
        name = m.officer_name if m.known else ""
        self.officer.setText(f"Cán bộ: {name}  ·  Officer" if name else "")
        self.officer.setVisible(bool(name))
        if not m.known:
            self._show_status("Không có quầy này", f"No counter {m.number} on this server")
            return
        ticket = m.ticket
        if ticket is None and m.status == "paused":
            vi, en, back_vi, back_en = m.pause_words()
            self._show_status(vi, en)
            if back_vi:  # the return time, under the reason
                self.back.setText(bilingual(back_vi, back_en, self._unit * 7))
                self.back.show()
            return
        if ticket is None:
            self._show_status(*IDLE.get(m.status, IDLE["closed"]))
            return
        self.caption.setText(bilingual("Đang phục vụ số", "Now serving", self._unit * 5.5))
        self.caption.show()
        self.back.hide()
        self.number.setText(ticket)
        self.number.show()
        self.status.hide()

    def _show_status(self, vi: str, en: str) -> None:
        self.back.hide()
        self.caption.hide()
        self.number.hide()
        self.status.setText(bilingual(vi, en, self._unit * 11))
        self.status.show()

    def _blink(self) -> None:
        self._blink_on = not self._blink_on
        flashing = self.model.flashing() and not self._blink_on
        self.number.set_color(TEXT if flashing else ACCENT)


def main(argv: list[str] | None = None) -> int:
    parser = base_arguments("Xếp hàng – màn hình tại quầy")
    parser.add_argument("--counter", type=int, required=True, help="the counter number")
    parser.add_argument("--token", required=True, help="a display device token")
    args = parser.parse_args(argv)
    _, ws_url = server_url_lists(args.server)  # one address, or the active and the standby

    async def run(_app: QApplication, closed: asyncio.Event) -> None:
        client = QueueClient(ws_url, role="display", token=args.token)
        window = CounterWindow(CounterDisplayModel(args.counter, client))
        show_window(window, args.fullscreen, args.size, (1280, 720))
        await client.start()
        await closed.wait()
        await client.stop()

    return run_app(run, args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
