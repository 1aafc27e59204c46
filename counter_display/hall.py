"""The hall TV: `python -m counter_display.hall --server URL --token DISPLAY_TOKEN`.

The newest call fills the left half (digits well over 10 cm tall on a 55" TV) and
blinks for a few seconds; the calls before it are listed on the right; a clock,
the centre's name and logo above, a scrolling notice below. Every call and recall
is read aloud through the `Announcer`.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from announce import DEFAULT_VOICE_DIR, ReadingOptions
from counter_display.audio import Announcer, CommandPlayer
from counter_display.display_model import HallModel
from counter_display.ui import (
    ACCENT,
    BACKGROUND,
    MUTED,
    PANEL,
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
from vntext import WEEKDAYS_VI, nfc

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_NOTICE = (
    "Công dân vui lòng theo dõi số thứ tự trên màn hình và loa thông báo, "
    "chuẩn bị sẵn hồ sơ khi được mời lên quầy.   •   Please watch the screen and "
    "listen for your number; have your documents ready."
)


class Ticker(QWidget):
    """A notice line scrolling from right to left, forever."""

    def __init__(self, text: str, pixels: int = 34) -> None:
        super().__init__()
        self.text = nfc(text)
        self.setFont(font(pixels))
        self.setFixedHeight(int(pixels * 1.8))
        self.offset = 0.0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._step)
        self.timer.start(30)

    def _step(self) -> None:
        self.offset += 2.5
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(PANEL))
        painter.setPen(QColor(TEXT))
        width = QFontMetricsF(self.font()).horizontalAdvance(self.text) + 120
        x = self.width() - self.offset % (width + self.width())
        painter.drawText(
            QRectF(x, 0, width, self.height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.text,
        )
        painter.end()


class HallWindow(QWidget):
    def __init__(
        self, model: HallModel, *, notice: str = DEFAULT_NOTICE, logo: Path | None = None
    ) -> None:
        super().__init__()
        self.model = model
        self.setStyleSheet(f"background:{BACKGROUND}; color:{TEXT};")
        self.banner = ConnectionBanner(pixels=30)

        self.logo = QLabel()
        pixmap = QPixmap(str(logo)) if logo else QPixmap()
        if logo and pixmap.isNull():
            log.warning("cannot read the logo %s", logo)
        if not pixmap.isNull():
            self.logo.setPixmap(
                pixmap.scaledToHeight(110, Qt.TransformationMode.SmoothTransformation)
            )
        self.logo.setVisible(not pixmap.isNull())
        self.site = QLabel()
        self.site.setTextFormat(Qt.TextFormat.RichText)
        self.site.setFont(font(42, bold=True))
        self.clock = QLabel(alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.clock.setTextFormat(Qt.TextFormat.RichText)
        self.clock.setFont(font(56, bold=True))
        head = QHBoxLayout()
        head.addWidget(self.logo)
        head.addWidget(self.site, 1)
        head.addWidget(self.clock)

        self._captions = (("", ""), ("", ""))
        self.newest = QFrame()
        self.newest_caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.newest_caption.setTextFormat(Qt.TextFormat.RichText)
        self.newest_caption.setFont(font(46, bold=True))
        self.newest_number = FitLabel(max_pixels=380, color=ACCENT)
        self.newest_counter = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.newest_counter.setTextFormat(Qt.TextFormat.RichText)
        self.newest_counter.setFont(font(84, bold=True))
        # a long zone ("…, Tầng 2, khu B") shrinks its line to the panel (`_fitting`)
        # instead of widening the window past the screen
        self.newest_counter.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        nbox = QVBoxLayout(self.newest)
        nbox.addWidget(self.newest_caption)
        nbox.addWidget(self.newest_number, 1)
        nbox.addWidget(self.newest_counter)

        self.recent = QFrame()
        self.recent.setStyleSheet(f"background:{PANEL}; border-radius:12px;")
        self.rows = QGridLayout(self.recent)
        self.row_labels: list[tuple[QLabel, QLabel]] = []
        header = (QLabel(bilingual("Số", "Number", 40)), QLabel(bilingual("Quầy", "Counter", 40)))
        for column, label in enumerate(header):
            label.setFont(font(36, bold=True))
            label.setStyleSheet(f"color:{MUTED}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.rows.addWidget(label, 0, column)
        for row in range(1, max(2, model.limit)):
            pair = (
                QLabel(alignment=Qt.AlignmentFlag.AlignCenter),
                QLabel(alignment=Qt.AlignmentFlag.AlignCenter),
            )
            pair[1].setTextFormat(Qt.TextFormat.RichText)  # a zone under the number
            pair[1].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            for column, label in enumerate(pair):
                self.rows.addWidget(label, row, column)
            self.row_labels.append(pair)

        body = QHBoxLayout()
        body.addWidget(self.newest, 11)
        body.addWidget(self.recent, 9)
        self.default_notice = notice
        self.ticker = Ticker(notice)
        box = QVBoxLayout(self)
        box.addWidget(self.banner)
        box.addLayout(head)
        box.addLayout(body, 1)
        box.addWidget(self.ticker)

        self._blink_on = True
        self.blinker = QTimer(self)
        self.blinker.timeout.connect(self._blink)
        self.blinker.start(500)
        self.clock_timer = QTimer(self)
        self.clock_timer.timeout.connect(self._tick)
        self.clock_timer.start(1000)
        model.subscribe(self.refresh)
        self.refresh()

    def resizeEvent(self, event) -> None:
        rows = len(self.row_labels) + 1
        pixels = min(76, int(self.recent.height() / rows * 0.5)) if self.recent.height() else 60
        for pair in self.row_labels:
            for label in pair:
                label.setFont(font(max(24, pixels), bold=True))
        super().resizeEvent(event)
        self.refresh()  # the zones and the counter line fit the new widths

    def refresh(self) -> None:
        m = self.model
        self.setWindowTitle(f"{m.site.get('name', '')} – Xếp hàng")
        self.banner.show_state(m.connection, m.ever_connected)
        self.site.setText(bilingual(m.site.get("name", ""), m.site.get("name_en", ""), 44))
        self._tick()
        newest = m.calls[0] if m.calls else None
        if newest is None:
            self._captions = (
                ("Xin mời công dân chờ gọi số", "Please wait for your number"),
                ("", ""),
            )
            self.newest_number.setText("")
        else:
            zone, zone_en = (html.escape(z) for z in m.zone_of(newest))
            self._captions = (
                ("Mời công dân có số", "Now calling number"),
                (
                    f"đến {m.counter_name(newest)}" + (f", {zone}" if zone else ""),
                    f"to counter {newest['counter']}" + (f", {zone_en}" if zone_en else ""),
                ),
            )
            self.newest_number.setText(newest["number"])
        for index, (number, counter) in enumerate(self.row_labels, start=1):
            call = m.calls[index] if index < len(m.calls) else None
            number.setText(call["number"] if call else "")
            counter.setText(self._counter_cell(call) if call else "")
        self._paint_newest()

    def _counter_cell(self, call: dict) -> str:
        """The counter's number, and its zone under it in smaller type when the site
        names one ("Khu A · Zone A")."""
        zone, _zone_en = self.model.zone_of(call)
        if not zone:
            return str(call["counter"])
        # The list is a summary: the zone in Vietnamese, as small as it must be to fit
        # its cell (the newest call above says it in both languages, in full).
        cell = self.row_labels[0][1]
        small = max(18.0, cell.font().pixelSize() * 0.45)
        room = max(1, cell.width() - 8)
        metrics = QFontMetricsF(font(small))
        if metrics.horizontalAdvance(zone) > room:
            small = max(14.0, small * room / metrics.horizontalAdvance(zone))
            zone = QFontMetricsF(font(small)).elidedText(zone, Qt.TextElideMode.ElideRight, room)
        return (
            f"{call['counter']}<br><span style='font-size:{int(small)}px; color:{MUTED}'>"
            f"{html.escape(zone)}</span>"
        )

    def _tick(self) -> None:
        m = self.model
        # a supervisor's notice while it runs, else the site's ([hall] notice), else ours
        notice = nfc(m.current_notice() or m.usual_notice() or self.default_notice)
        if notice != self.ticker.text:  # a supervisor's notice, or it expired
            self.ticker.text, self.ticker.offset = notice, 0.0
        now = datetime.fromtimestamp(m.now(), site_zone(m.site))
        date = f"{WEEKDAYS_VI[now.weekday()]}, {now:%d/%m/%Y}"
        self.clock.setText(
            f"<span style='font-size:64px'>{now:%H:%M:%S}</span><br>"
            f"<span style='font-size:26px; color:{MUTED}'>{date}</span>"
        )

    def _blink(self) -> None:
        self._blink_on = not self._blink_on
        self._paint_newest()

    def _paint_newest(self) -> None:
        lit = self.model.highlighted() and self._blink_on
        self.newest.setStyleSheet(f"background:{ACCENT if lit else PANEL}; border-radius:12px;")
        self.newest_number.set_color(BACKGROUND if lit else ACCENT)
        # On the yellow highlight every line turns dark, or the captions could not be read.
        color, muted = (BACKGROUND, BACKGROUND) if lit else (None, MUTED)
        (caption_vi, caption_en), (counter_vi, counter_en) = self._captions
        self.newest_caption.setText(bilingual(caption_vi, caption_en, 50, color=color, muted=muted))
        pixels = self._fitting(96, (counter_vi, 1.0), (counter_en, 0.62))
        self.newest_counter.setText(
            bilingual(counter_vi, counter_en, pixels, color=color, muted=muted)
            if counter_vi
            else ""
        )

    def _fitting(self, most: float, *lines: tuple[str, float]) -> float:
        """The largest type size up to `most` pixels at which every (text, scale) line
        fits the newest call's panel."""
        room = max(1, self.newest.contentsRect().width() - 40)
        widest = max(
            QFontMetricsF(font(most * scale, bold=True)).horizontalAdvance(html.unescape(text))
            for text, scale in lines
        )
        return most if widest <= room else max(24.0, most * room / widest)


def csv(kind: Callable[[str], T]) -> Callable[[str], list[T]]:
    def parse(text: str) -> list[T]:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]

    return parse


def arguments() -> argparse.ArgumentParser:
    parser = base_arguments("Xếp hàng – màn hình sảnh chờ")
    parser.add_argument("--token", required=True, help="a display device token")
    parser.add_argument(
        "--calls", type=int, default=7, help="how many latest calls to show (the newest + the list)"
    )
    parser.add_argument(
        "--counters", type=csv(int), default=[], help="only these counters (a zone), e.g. 1,2,3"
    )
    parser.add_argument(
        "--services",
        type=csv(str),
        default=[],
        help="only these services (ids), e.g. khai-sinh-khai-tu,ket-hon",
    )
    parser.add_argument("--notice", default=DEFAULT_NOTICE, help="the scrolling notice line")
    parser.add_argument("--logo", type=Path, default=None, help="the centre's logo (PNG, SVG…)")
    parser.add_argument(
        "--highlight-seconds", type=float, default=8.0, help="how long the newest call blinks"
    )
    parser.add_argument("--no-voice", action="store_true", help="do not read the calls aloud")
    parser.add_argument("--repeat", type=int, default=2, help="how many times a call is said")
    parser.add_argument(
        "--reading",
        choices=("number", "digits"),
        default="number",
        help="1024 as a number or digit by digit",
    )
    parser.add_argument("--zero-tens", choices=("linh", "lẻ"), default="linh")
    parser.add_argument("--four", choices=("tư", "bốn"), default="tư")
    parser.add_argument("--thousand", choices=("nghìn", "ngàn"), default="nghìn")
    parser.add_argument("--voice-dir", type=Path, default=DEFAULT_VOICE_DIR)
    return parser


def site_zone(site: dict) -> ZoneInfo | None:
    """The centre's time zone from the welcome (the TV's own clock setting may be wrong)."""
    try:
        return ZoneInfo(site.get("timezone") or "Asia/Ho_Chi_Minh")
    except (ZoneInfoNotFoundError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    _, ws_url = server_url_lists(args.server)  # one address, or the active and the standby
    options = ReadingOptions(
        zero_tens=args.zero_tens, four=args.four, mode=args.reading, thousand=args.thousand
    )

    async def run(_app: QApplication, closed: asyncio.Event) -> None:
        announcer = (
            None
            if args.no_voice
            else Announcer(
                CommandPlayer(), repeat=args.repeat, options=options, voice_dir=args.voice_dir
            )
        )
        client = QueueClient(ws_url, role="display", token=args.token)
        model = HallModel(
            client,
            limit=args.calls,
            counters=args.counters,
            services=args.services,
            announcer=announcer,
            highlight_seconds=args.highlight_seconds,
        )
        window = HallWindow(model, notice=args.notice, logo=args.logo)
        show_window(window, args.fullscreen, args.size, (1920, 1080))
        if announcer is not None:
            announcer.start()
        await client.start()
        await closed.wait()
        await client.stop()
        if announcer is not None:
            await announcer.stop()

    return run_app(run, args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
