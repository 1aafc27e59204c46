"""The kiosk's "Tra cứu thủ tục" screens (issue 16): the procedures found as the citizen
types, and one procedure's guide in big, scrollable text with "Lấy số cho thủ tục này"
and "In hướng dẫn". They render `KioskModel` (its `guide_*` fields) and forward taps.

`kiosk/window.py` imports these pages, so they cannot import it back (the import map
forbids cycles): `GuideScreen` is their own small base with the same two methods as
the window's `PageWidget`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QVBoxLayout,
    QWidget,
)

from kiosk.guide import amount_text, days_text
from kiosk.model import KioskModel
from kiosk.text import tr
from kiosk.widgets import Tile, TileGrid, button, label, typing_layout


class GuideScreen(QWidget):
    """A page of the guide screens: `refresh` reads the model, `set_portrait` adapts."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__()
        self.model = model
        self.portrait = True

    def refresh(self) -> None:
        raise NotImplementedError

    def set_portrait(self, portrait: bool) -> None:
        self.portrait = portrait

    def _top(self, on_back) -> tuple[QHBoxLayout, QPushButton, QLabel]:
        row = QHBoxLayout()
        row.setSpacing(24)
        back = button("", "", on_back)
        back.setMinimumWidth(260)
        title = label(role="title")
        row.addWidget(back, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(title, 1)
        return row, back, title


class GuideSearchPage(GuideScreen):
    """The keyboard, what is typed, and the procedures the server found."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self)
        layout.setSpacing(16)
        row, self.back, self.title = self._top(model.go_home)
        self.status = label(role="body")
        self.grid = TileGrid()
        self.codes: list[str] = []
        self.field, self.keyboard, self.body = typing_layout(
            layout, row, self.status, self.grid, lambda: model.guide_query, model.set_guide_query
        )

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(tr("guide_title", lang))
        self.field.setText(m.guide_query)
        self.field.setPlaceholderText(tr("guide_hint", lang))
        found = m.guide_results()
        typed = bool(m.guide_query.strip())
        if not typed or found:
            status = ""
        elif m.lookup.failed:
            status = tr("guide_unreachable", lang)
        elif m.lookup.waiting:
            status = tr("guide_searching", lang)
        else:
            status = tr("guide_none", lang)
        self.status.setText(status)
        self.status.setVisible(bool(status))
        codes = [p["code"] for p in found]
        if codes != self.codes:
            self.codes = codes
            self.grid.set_tiles([Tile(c, m.open_guide, 150) for c in codes], 1)
        en = lang == "en"
        for tile, p in zip(self.grid.tiles, found, strict=True):
            sector = p["sector_en"] if en else p["sector"]
            tile.set_text(
                p["name_en"] if en else p["name"],
                f"{sector} · {days_text(p['processing_days'], lang)}",
            )
        self.keyboard.set_language(lang)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.body.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        self.keyboard.setMaximumWidth(16777215 if portrait else 980)


class GuidePage(GuideScreen):
    """One procedure: where, how long, how much, the papers to bring; two big buttons."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self)
        layout.setSpacing(16)
        row, self.back, self.title = self._top(model.open_guides)
        self.text = QLabel()
        self.text.setProperty("role", "body")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setObjectName("guidetext")
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setWidget(self.text)
        QScroller.grabGesture(self.scroller.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.status = label(role="checkin")
        self.take = button("", "search", model.take_guide_ticket)
        self.print = button("", "booking", model.print_guide)
        self.buttons = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.buttons.setSpacing(20)
        for widget in (self.take, self.print):
            widget.setMinimumHeight(130)
            self.buttons.addWidget(widget, 1)
        layout.addLayout(row)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.status)
        layout.addLayout(self.buttons)
        self._shown = ""

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        p = m.guide_procedure
        self.back.setText("‹ " + tr("back", lang))
        if p is None:
            return
        en = lang == "en"
        self.title.setText(p["name_en"] if en else p["name"])
        key = f"{p['code']}:{lang}"
        if key != self._shown:  # new text: from the top again
            self._shown = key
            self.text.setText(guide_html(p, lang))
            self.scroller.verticalScrollBar().setValue(0)
        service = m.guide_service()
        self.take.setText(
            tr("guide_take", lang)
            if service is None or service.open
            else f"{tr('guide_take', lang)}\n({tr('guide_closed', lang)})"
        )
        self.take.setEnabled(service is not None and service.open and not m.busy)
        state = m.guide_print
        self.print.setText(tr("guide_printing" if state == "printing" else "guide_print", lang))
        self.print.setEnabled(state != "printing" and not m.busy)
        status = {"printed": "guide_printed", "failed": "guide_print_failed"}.get(state)
        self.status.setText(tr(status, lang) if status else "")
        self.status.setVisible(status is not None)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.buttons.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )


def guide_html(p: dict, lang: str) -> str:
    """The guide as rich text for the big scrollable label."""
    en = lang == "en"
    e = html.escape

    def fact(key: str, value: str) -> str:
        head, _, rest = tr(key, lang, **{_FIELD[key]: "\x00"}).partition("\x00")
        return f"<p><b>{e(head.rstrip(': '))}:</b> {e(value)}{e(rest)}</p>"

    service = p["service_name_en" if en else "service_name"]
    sector = p["sector_en" if en else "sector"]
    docs = "".join(
        f"<li style='margin-bottom:14px'><b>{e(d['name_en'] if en else d['name'])}</b><br>"
        f"<span style='color:#374151'>{e(amount_text(d['originals'], d['copies'], lang))}"
        + (f" – {e(d['note'])}" if d.get("note") and not en else "")
        + "</span></li>"
        for d in p["documents"]
    )
    return (
        f"<p style='color:#374151'>{e(tr('guide_code', lang, code=p['code']))} · {e(sector)}</p>"
        + fact("guide_service", service)
        + fact("guide_days", days_text(p["processing_days"], lang))
        + fact("guide_fees", p["fees_en" if en else "fees"])
        + f"<h2 style='margin-top:18px'>{e(tr('guide_documents', lang))}</h2>"
        + f"<ol style='margin-left:10px'>{docs}</ol>"
    )


_FIELD = {"guide_service": "service", "guide_days": "days", "guide_fees": "fees"}
