"""The rating pad at a counter:
`python -m counter_display.rating --server URL --counter N --token RATING_TOKEN`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_display.rating_model import QUESTION, THANKS, RatingModel
from counter_display.ui import (
    BACKGROUND,
    MUTED,
    TEXT,
    ConnectionBanner,
    base_arguments,
    bilingual,
    font,
    run_app,
    show_window,
)
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_url_lists
from vntext import nfc

WELCOME = ("Xin kính chào Ông/Bà", "Welcome")
INVITE = (
    "Sau khi được phục vụ, xin Ông/Bà đánh giá mức độ hài lòng tại đây.",
    "After your service, please tell us how satisfied you are here.",
)


def scale_colour(index: int, count: int) -> str:
    """Green for the best answer through amber to red for the worst."""
    hue = 120 - (120 * index / max(1, count - 1))
    return QColor.fromHsv(int(hue), 190, 175).name()


def text_block(vi: str, en: str, pixels: int) -> QLabel:
    label = QLabel(bilingual(vi, en, pixels), alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setFont(font(pixels, bold=True))
    return label


class ScaleButton(QPushButton):
    """A big button: the Vietnamese answer, the English one under it."""

    def __init__(self, vi: str, en: str, colour: str, on_tap: Callable[[], object]) -> None:
        super().__init__()
        self.setMinimumHeight(260)
        self.setStyleSheet(
            f"QPushButton {{ background:{colour}; border-radius:24px; }}"
            "QPushButton:disabled { background:#5b6b7d; }"
        )
        self.vi = QLabel(nfc(vi), alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.vi.setFont(font(40, bold=True))
        self.en = QLabel(en, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.en.setFont(font(26))
        box = QVBoxLayout(self)
        for label in (self.vi, self.en):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            label.setStyleSheet("background:transparent; color:white;")
            box.addWidget(label)
        self.clicked.connect(lambda _checked=False: on_tap())


class RatingWindow(QWidget):
    def __init__(self, model: RatingModel) -> None:
        super().__init__()
        self.model = model
        self.setStyleSheet(f"background:{BACKGROUND}; color:{TEXT};")
        self.banner = ConnectionBanner(pixels=22)
        self.header = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setFont(font(30, bold=True))

        self.idle = QWidget()
        ibox = QVBoxLayout(self.idle)
        ibox.addStretch(1)
        ibox.addWidget(text_block(*WELCOME, 64))
        ibox.addWidget(text_block(*INVITE, 34))
        ibox.addStretch(1)

        self.asking = QWidget()
        self.ticket = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.ticket.setFont(font(30))
        self.ticket.setStyleSheet(f"color:{MUTED}")
        self.question = text_block(*QUESTION, 44)
        self.note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.note.setFont(font(26, bold=True))
        self.note.setStyleSheet("color:#ffb4b4")
        self.scale_row = QHBoxLayout()
        self.scale_row.setSpacing(24)
        abox = QVBoxLayout(self.asking)
        abox.addWidget(self.ticket)
        abox.addWidget(self.question)
        abox.addStretch(1)
        abox.addLayout(self.scale_row)
        abox.addWidget(self.note)
        abox.addStretch(1)
        self.buttons: dict[str, ScaleButton] = {}
        self._scale_ids: list[str] = []

        self.done = QWidget()
        self.done_text = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.done_text.setTextFormat(Qt.TextFormat.RichText)
        self.done_text.setFont(font(72, bold=True))
        self.done_note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.done_note.setFont(font(34))
        dbox = QVBoxLayout(self.done)
        dbox.addStretch(1)
        dbox.addWidget(self.done_note)
        dbox.addWidget(self.done_text)
        dbox.addStretch(1)

        self.pages = QStackedWidget()
        for page in (self.idle, self.asking, self.done):
            self.pages.addWidget(page)
        box = QVBoxLayout(self)
        box.addWidget(self.banner)
        box.addWidget(self.header)
        box.addWidget(self.pages, 1)
        box.setContentsMargins(32, 16, 32, 32)
        model.subscribe(self.refresh)
        self.refresh()

    def _build_scale(self) -> None:
        ids = [r["id"] for r in self.model.scale]
        if ids == self._scale_ids:
            return
        for button in self.buttons.values():
            self.scale_row.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for index, rating in enumerate(self.model.scale):
            button = ScaleButton(
                rating["name"],
                rating.get("name_en", ""),
                scale_colour(index, len(ids)),
                functools.partial(self.model.rate, rating["id"]),
            )
            self.scale_row.addWidget(button)
            self.buttons[rating["id"]] = button
        self._scale_ids = ids

    def refresh(self) -> None:
        m = self.model
        self.setWindowTitle(f"{m.counter_name} – Đánh giá – Xếp hàng")
        self.banner.show_state(m.connection, m.ever_connected)
        self.header.setText(bilingual(m.counter_name, f"Counter {m.number}", 34))
        self._build_scale()
        if m.phase in ("asking", "sending"):
            self.ticket.setText(f"Số {m.ticket} · Number {m.ticket}")
            self.note.setText(m.message or "")
            for button in self.buttons.values():
                button.setEnabled(m.phase == "asking")
            self.pages.setCurrentWidget(self.asking)
        elif m.phase in ("thanks", "refused"):
            self.done_note.setText(m.message or "")
            self.done_note.setVisible(m.phase == "refused")
            self.done_text.setText(bilingual(*THANKS, 84))
            self.pages.setCurrentWidget(self.done)
        else:
            self.pages.setCurrentWidget(self.idle)


def main(argv: list[str] | None = None) -> int:
    parser = base_arguments("Xếp hàng – thiết bị đánh giá mức độ hài lòng tại quầy")
    parser.add_argument("--counter", type=int, required=True, help="the counter it stands at")
    parser.add_argument("--token", required=True, help="a rating device token")
    parser.add_argument(
        "--ask-seconds",
        type=float,
        default=60.0,
        help="how long the question stays up without an answer",
    )
    parser.add_argument(
        "--thanks-seconds",
        type=float,
        default=6.0,
        help="how long the thanks stays up before the pad is idle again",
    )
    args = parser.parse_args(argv)
    _, ws_url = server_url_lists(args.server)  # one address, or the active and the standby

    async def run(_app: QApplication, closed: asyncio.Event) -> None:
        client = QueueClient(ws_url, role="rating", token=args.token, counter=args.counter)
        model = RatingModel(
            args.counter, client, ask_seconds=args.ask_seconds, thanks_seconds=args.thanks_seconds
        )
        window = RatingWindow(model)
        show_window(window, args.fullscreen, args.size, (1280, 800))
        await client.start()
        await closed.wait()
        await client.stop()

    return run_app(run, args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
