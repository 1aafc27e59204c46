"""The Qt pieces every counter-side app shares: fonts, colours, the connection banner,
a label that fits its text, and the bootstrap that runs Qt and asyncio on one loop (qasync).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import qasync
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPainter
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget

import assets
from qtcommon.garbage import GuiThreadGarbage
from vntext import nfc

log = logging.getLogger(__name__)

FONT_DIR = assets.FONTS
FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "DejaVuSansMono-Bold.ttf")
SANS = "Noto Sans"

# Colours of the citizen-facing screens: light text on deep blue, calls in amber.
BACKGROUND = "#0b2a4a"
PANEL = "#123a63"
TEXT = "#ffffff"
MUTED = "#b9cbe0"
ACCENT = "#ffc83d"
ALERT = "#e5484d"

_fonts_loaded = False


def load_fonts() -> None:
    """Register the bundled fonts once, so layout is the same on every machine."""
    global _fonts_loaded
    if _fonts_loaded:
        return
    for name in FONT_FILES:
        if QFontDatabase.addApplicationFont(str(FONT_DIR / name)) < 0:
            log.warning("cannot load font %s", FONT_DIR / name)
    _fonts_loaded = True


def font(pixels: float, bold: bool = False, family: str = SANS) -> QFont:
    f = QFont(family)
    f.setPixelSize(max(1, int(pixels)))
    f.setBold(bold)
    return f


def bilingual(
    vi: str,
    en: str,
    pixels: float,
    english_scale: float = 0.62,
    *,
    color: str | None = None,
    muted: str = MUTED,
) -> str:
    """Vietnamese first, English second: rich text, the English smaller and muted.

    Qt's rich text ignores percentages, so both sizes are given in pixels.
    """
    tint = f" color:{color};" if color else ""
    first = f"<span style='font-size:{int(pixels)}px;{tint}'>{nfc(vi)}</span>"
    if not en:
        return first
    return (
        f"{first}<br><span style='font-size:{int(pixels * english_scale)}px;"
        f" color:{muted}'>{en}</span>"
    )


class FitLabel(QWidget):
    """One line of text as large as fits its box, never larger than `max_pixels`.

    For the numbers on the displays: "B001" and "CQ012" both fill the space.
    """

    def __init__(
        self,
        text: str = "",
        *,
        max_pixels: int = 400,
        bold: bool = True,
        family: str = SANS,
        color: str = TEXT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._text = nfc(text)
        self._max = max_pixels
        self._bold, self._family = bold, family
        self._color = QColor(color)
        self._font = font(max_pixels, bold, family)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(20)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        text = nfc(text)
        if text != self._text:
            self._text = text
            self._fit()
            self.update()

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def text_font(self) -> QFont:
        """The font the text is drawn with at the current size."""
        return self._font

    def resizeEvent(self, event: Any) -> None:
        self._fit()
        super().resizeEvent(event)

    def _fit(self) -> None:
        probe = font(100, self._bold, self._family)
        metrics = QFontMetricsF(probe)
        sample = self._text or "0"
        width = max(1.0, metrics.horizontalAdvance(sample))
        height = max(1.0, metrics.height())
        scale = min((self.width() * 0.96) / width, self.height() / height)
        self._font = font(max(1, min(self._max, int(100 * scale))), self._bold, self._family)

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(self._font)
        painter.setPen(self._color)
        painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self._text)
        painter.end()


class ConnectionBanner(QLabel):
    """A red strip saying the server is out of reach; hidden while all is well."""

    TEXTS = {
        "first": ("Đang kết nối tới máy chủ…", "Connecting to the server…"),
        "lost": ("Mất kết nối – đang kết nối lại…", "Connection lost – reconnecting…"),
        "refused": (
            "Máy chủ từ chối kết nối (mã truy cập sai?)",
            "The server refused the connection (wrong token?)",
        ),
        "stopped": ("Đã ngắt kết nối", "Disconnected"),
    }

    def __init__(
        self, english: bool = True, pixels: int = 22, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._english = english
        self.setFont(font(pixels, bold=True))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(f"background:{ALERT}; color:white; padding:6px;")
        self.hide()

    def show_state(self, state: str, ever_connected: bool) -> None:
        if state == "connected":
            self.hide()
            return
        if state in ("refused", "stopped"):
            key = state
        elif ever_connected:
            key = "lost"
        else:
            key = "first"
        vi, en = self.TEXTS[key]
        self.setText(f"{vi} / {en}" if self._english else vi)
        self.show()


def base_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--server",
        default="http://127.0.0.1:8765",
        help="the queue server, e.g. http://10.0.0.5:8765, or the active server and its "
        "standby, http://10.0.0.5:8765,http://10.0.0.6:8765",
    )
    parser.add_argument("--fullscreen", action="store_true", help="fill the whole screen")
    parser.add_argument(
        "--size",
        default=None,
        metavar="WxH",
        help="window size when not full screen, e.g. 1920x1080",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def show_window(
    window: QWidget, fullscreen: bool, size: str | None, default: tuple[int, int]
) -> None:
    if fullscreen:
        window.showFullScreen()
        return
    width, height = default
    if size:
        width, height = (int(v) for v in size.lower().split("x", 1))
    window.resize(width, height)
    window.show()


def run_app(
    main: Callable[[QApplication, asyncio.Event], Coroutine[Any, Any, None]],
    log_level: str = "INFO",
) -> int:
    """Run `main(app, closed)` on a qasync loop until it returns.

    `closed` is set when the last window closes or on Ctrl+C; `main` then cleans up
    (stops its clients) and returns.
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    load_fonts()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(closed.set))
    # Python handles signals only when it runs: wake it up now and then.
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(300)
    garbage = GuiThreadGarbage()
    # Said once the loop runs (Ctrl+C is taken from then on): a supervisor's sign of life.
    loop.call_soon(lambda: logging.getLogger(__name__).info("running; Ctrl+C stops"))
    try:
        with loop:
            loop.run_until_complete(main(app, closed))
    finally:
        garbage.close()
    return 0
