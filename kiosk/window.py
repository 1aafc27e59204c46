"""The kiosk's Qt side: pages that render the model and forward taps to it, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.dossier import is_dossier_scan, say
from kiosk.dossier_page import DossierPage
from kiosk.guide_pages import GuidePage, GuideScreen, GuideSearchPage
from kiosk.model import KioskModel, Page, Service
from kiosk.style import LARGE_STYLE, NAVY
from kiosk.text import minutes, opens_text, phone_text, tr, wait_sentence, waiting_text
from kiosk.widgets import (
    Keyboard,
    NumberPad,
    Tile,
    TileGrid,
    WrapButton,
    button,
    label,
    speaker_icon,
    typing_layout,
)
from printer.draw import qr_matrix

CENTER = Qt.AlignmentFlag.AlignHCenter


def service_detail(model: KioskModel, service: Service) -> str:
    lang = model.language
    if not service.open:
        return opens_text(service.opens_at, model.clock(), model.settings.tz, lang)
    text = waiting_text(service.waiting, lang)
    wait = minutes(service.estimated_wait)
    return f"{text} · {tr('wait_minutes', lang, m=wait)}" if wait else text


def service_name(model: KioskModel, service: Service) -> str:
    return service.name_en if model.language == "en" else service.name


class PageWidget(QWidget):
    """One page; `refresh` reads the model, `set_portrait` adapts to the screen.

    A page lays itself out in `inner`, inside a scroll area: when its words do not fit
    (a small screen, large text), a finger scrolls them instead of their being cut or
    drawn over each other (issue 20). The home page's tiles scroll on their own.
    """

    def __init__(self, model: KioskModel, scroll: bool = True) -> None:
        super().__init__()
        self.model = model
        self.portrait = True
        self.inner: QWidget = self
        if scroll:
            self.inner = QWidget()
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            area.setWidget(self.inner)
            QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(area)

    def refresh(self) -> None:
        raise NotImplementedError

    def set_portrait(self, portrait: bool) -> None:
        self.portrait = portrait


def header(
    model: KioskModel, on_back: Callable[[], object] | None = None
) -> tuple[QHBoxLayout, QPushButton, QLabel]:
    """The page's back button (home, unless `on_back` says otherwise) and its title."""
    row = QHBoxLayout()
    row.setSpacing(24)
    back = button("", "", on_back or model.go_home)
    back.setMinimumWidth(260)
    title = label(role="title")
    row.addWidget(back, 0, Qt.AlignmentFlag.AlignTop)
    row.addWidget(title, 1)
    return row, back, title


class HomePage(PageWidget):
    """Sector tiles and the five other ways in: search, procedure guides, priority,
    booking, dossier look-up."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        self.layout_ = QGridLayout(self.inner)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(20)
        self.title = label(role="title")
        self.grid = TileGrid()
        self.commands = QGridLayout()  # the ways in: 2 × 2 in portrait, a column beside
        self.commands.setSpacing(20)
        self.search = button("", "search", model.open_search)
        self.priority = button("", "priority", model.open_priority)
        self.booking = button("", "booking", model.open_booking)
        self.guide = button("", "guide", model.open_guides)  # issue 16
        self.dossier = button("", "guide", model.open_dossier)  # issue 16
        self.ways = (self.search, self.guide, self.priority, self.booking, self.dossier)
        for i, widget in enumerate(self.ways):
            self.commands.addWidget(widget, 0, i)
        # Printer out, landscape: said beside the tiles (portrait: the window's banner).
        self.paper_note = label(role="refusal")
        self._laid_large = False
        self._version = -1

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        if m.large_text != self._laid_large:
            self.set_portrait(self.portrait)
        if self._version != m.catalogue_version:
            self._version = m.catalogue_version
            self.grid.set_tiles(
                [Tile(s.id, m.open_sector, 120) for s in m.sectors], self._columns()
            )
        self.title.setText(tr("choose_sector", lang))
        for tile, sector in zip(self.grid.tiles, m.sectors, strict=True):
            waiting = m.sector_waiting(sector.id)
            tile.set_text(
                sector.name_en if lang == "en" else sector.name, waiting_text(waiting, lang)
            )
            # Large text: the sector's name alone, so every sector stays on one screen.
            tile.set_compact(m.large_text)
        self.grid.set_columns(self._columns())
        self.paper_note.setText(tr("printer_out_short", lang))
        self.paper_note.setVisible(m.printer_out and not self.portrait and not m.large_text)
        self._side_width()
        self.search.setText(tr("search", lang))
        self.priority.setText(tr("priority", lang))
        self.booking.setText(tr("booking", lang))
        self.guide.setText(tr("guide", lang))
        self.dossier.setText(say("title", lang))

    def _side(self) -> int:
        """The landscape column of title and ways in: wider for large text."""
        return 400 if self.model.large_text else 380

    def _columns(self) -> int:
        if not self.model.large_text:
            return 2 if self.portrait else 3
        width = self.width() - (0 if self.portrait else self._side() + 20)
        return max(1, min(3, width // 440))  # large names on one or two lines

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.grid.set_columns(self._columns())

    def _side_width(self) -> None:
        side = 16777215 if self.portrait else self._side()
        for widget in self.ways:
            widget.setMinimumWidth(0 if self.portrait else side)
            widget.setMaximumWidth(side)
        self.title.setMaximumWidth(side)
        self.paper_note.setMaximumWidth(side)

    def set_portrait(self, portrait: bool) -> None:
        """Portrait: title, tiles, then the five ways in, in a row. Landscape: the
        tiles take the whole height (15 sectors fit without scrolling), with the title and
        the ways in stacked beside them."""
        super().set_portrait(portrait)
        self.grid.set_columns(self._columns())
        grid = self.layout_
        for item in (self.title, self.grid, self.commands, self.paper_note):
            grid.removeItem(item) if isinstance(item, QLayout) else grid.removeWidget(item)
        for row in range(4):
            grid.setRowStretch(row, 0)
        if portrait:
            grid.addWidget(self.title, 0, 0)
            grid.addWidget(self.grid, 1, 0)
            grid.addLayout(self.commands, 2, 0)
            grid.addWidget(self.paper_note, 3, 0)  # hidden: the window's banner says it
            grid.setRowStretch(1, 1)
            grid.setColumnStretch(1, 0)
        else:
            grid.addWidget(self.grid, 0, 0, 3, 1)
            grid.addWidget(self.title, 0, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self.paper_note, 1, 1)
            grid.addLayout(self.commands, 2, 1)
            grid.setRowStretch(2, 1)
            grid.setColumnStretch(0, 1)
        # Large text: the five ways and every sector on one screen; the prompt is then
        # spoken (🔊) and the tiles say what they are, so the title gives its room.
        self.title.setVisible(not self.model.large_text)
        grid.setSpacing(10 if self.model.large_text else 20)
        self.commands.setSpacing(10 if self.model.large_text or not portrait else 20)
        self._laid_large = self.model.large_text
        for i, widget in enumerate(self.ways):
            self.commands.removeWidget(widget)
            self.commands.addWidget(widget, *((0, i) if portrait else (i, 0)))
        self.paper_note.setVisible(
            self.model.printer_out and not portrait and not self.model.large_text
        )
        self._side_width()


class ServiceList:
    """Service tiles that take a ticket on tap (sector page and search results)."""

    def __init__(self, model: KioskModel) -> None:
        self.model = model
        self.grid = TileGrid()
        self.ids: list[str] = []

    def show(self, services: list[Service], columns: int) -> None:
        ids = [s.id for s in services]
        if ids != self.ids:
            self.ids = ids
            self.grid.set_tiles([Tile(i, self.model.take_ticket, 170) for i in ids], columns)
        for tile, service in zip(self.grid.tiles, services, strict=True):
            tile.set_text(service_name(self.model, service), service_detail(self.model, service))
            tile.setEnabled(service.open and not self.model.busy)


class SectorPage(PageWidget):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(20)
        row, self.back, self.title = header(model)
        self.hint = label()
        self.list = ServiceList(model)
        self.paperless = button("", "choice", model.toggle_paperless)
        self.paperless.setCheckable(True)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(self.list.grid, 1)
        layout.addWidget(self.paperless)

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        sector = m.sector
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(
            "" if sector is None else sector.name_en if lang == "en" else sector.name
        )
        self.hint.setText(tr("choose_service", lang))
        self.paperless.setVisible(not m.printer_out)  # without paper every ticket is one
        self.paperless.setChecked(m.paperless)
        self.paperless.setText(tr("paperless_on" if m.paperless else "paperless_choice", lang))
        self.list.show(m.services_in(sector.id) if sector else [], 1 if self.portrait else 2)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.list.grid.set_columns(1 if portrait else 2)


class SearchPage(PageWidget):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(16)
        row, self.back, self.title = header(model)
        self.none = label(role="body")
        self.list = ServiceList(model)
        self.field, self.keyboard, self.body = typing_layout(
            layout, row, self.none, self.list.grid, lambda: model.query, model.set_query
        )

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(tr("search_title", lang))
        self.field.setText(m.query)
        self.field.setPlaceholderText(tr("search_hint", lang))
        results = m.search_results()
        self.none.setVisible(bool(m.query.strip()) and not results)
        self.none.setText(tr("search_none", lang))
        self.list.show(results, 1)
        self.keyboard.set_language(lang)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        place_keyboard(self.body, self.keyboard, portrait)


class PriorityPage(PageWidget):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(20)
        row, self.back, self.title = header(model)
        self.note = label()
        self.grid = TileGrid()
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.grid, 1)
        self._version = -1

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        if self._version != m.catalogue_version:
            self._version = m.catalogue_version
            keys = [g.id for g in m.priority_groups] + [""]
            self.grid.set_tiles([Tile(k, self._choose, 130) for k in keys], self._columns())
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(tr("priority_title", lang))
        self.note.setText(tr("priority_note", lang))
        for tile, group in zip(self.grid.tiles, m.priority_groups, strict=False):
            tile.set_text(group.name_en if lang == "en" else group.name, "")
            tile.detail.hide()
        none = self.grid.tiles[-1]
        none.set_text(tr("priority_none", lang), "")
        none.detail.hide()

    def _choose(self, key: str) -> None:
        self.model.choose_priority(key or None)

    def _columns(self) -> int:
        return 1 if self.portrait else 2

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.grid.set_columns(self._columns())


class BookingPage(PageWidget):
    """The booking code, typed on the keyboard (or scanned: see `ScannerInput`), and the
    server's refusal when it gave no ticket for it."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(20)
        row, self.back, self.title = header(model)
        self.hint = label()
        self.field = QLineEdit()
        self.field.setReadOnly(True)
        self.field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.refusal = label(role="refusal")
        self.submit = button("", "search", lambda: model.submit_booking())
        self.keyboard = Keyboard()
        self.keyboard.typed.connect(lambda ch: model.set_booking_code(model.booking_code + ch))
        self.keyboard.deleted.connect(lambda: model.set_booking_code(model.booking_code[:-1]))
        self.keyboard.cleared.connect(lambda: model.set_booking_code(""))
        entry = QHBoxLayout()
        entry.addWidget(self.field, 1)
        entry.addWidget(self.submit)
        code = QVBoxLayout()
        code.setSpacing(20)
        code.addWidget(self.hint)
        code.addLayout(entry)
        code.addWidget(self.refusal)
        code.addStretch(1)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(24)
        self.body.addLayout(code, 1)
        self.body.addWidget(self.keyboard)
        layout.addLayout(row)
        layout.addLayout(self.body, 1)

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(tr("booking_title", lang))
        self.hint.setText(tr("booking_hint", lang))
        self.field.setText(m.booking_code)
        self.field.setPlaceholderText(tr("booking_placeholder", lang))
        refusal = m.booking_refusal
        self.refusal.setVisible(refusal is not None)
        if refusal is not None:
            self.refusal.setText(refusal.message_en if lang == "en" else refusal.message)
        self.submit.setText(tr("booking_submit", lang))
        self.submit.setEnabled(bool(m.booking_code.strip()) and not m.busy)
        self.keyboard.set_language(lang)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        place_keyboard(self.body, self.keyboard, portrait)


def place_keyboard(body: QBoxLayout, keyboard: QWidget, portrait: bool) -> None:
    """Portrait: the text above the keyboard; landscape: side by side, so a message
    has room without squeezing the keyboard off the screen."""
    body.setDirection(
        QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
    )
    keyboard.setMaximumWidth(16777215 if portrait else 980)


class MessagePage(PageWidget):
    """Printing, notices and out of service: words, and maybe "Done"."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        self.card = QFrame()
        card = QVBoxLayout(self.card)
        card.setContentsMargins(48, 64, 48, 64)
        card.setSpacing(32)
        self.title = label(role="big", align=CENTER)
        self.title_en = label(role="title", align=CENTER)
        self.body = label(role="body", align=CENTER)
        self.detail = label(role="small", align=CENTER)
        self.done = button("", "", model.go_home)
        self.done.setMinimumWidth(360)
        for widget in (self.title, self.title_en, self.body, self.detail):
            card.addWidget(widget)
        card.addWidget(self.done, 0, CENTER)
        layout.addStretch(1)
        layout.addWidget(self.card)
        layout.addStretch(2)

    def refresh(self) -> None:
        m, lang, screen = self.model, self.model.language, self.model.screen
        self.card.setObjectName("outofservice" if screen is Page.OUT_OF_SERVICE else "")
        self.card.style().unpolish(self.card)
        self.card.style().polish(self.card)
        for child in self.card.findChildren(QLabel):
            child.style().unpolish(child)
            child.style().polish(child)
        title, title_en, body, detail, done = "", "", "", "", True
        if screen is Page.OUT_OF_SERVICE:
            title, title_en = tr("out_of_service", "vi"), tr("out_of_service", "en")
            cause = m.out_of_service_cause()
            body = "\n\n".join(
                f"{tr('out_of_service_body', lang)} {tr(cause, lang)}" for lang in ("vi", "en")
            )
            # Plain words only: the technical reason is in the log and on the staff's
            # screens (the device's state), never in front of a citizen (issue 12).
            detail, done = f"{tr('staff_told', 'vi')} / {tr('staff_told', 'en')}", False
        elif screen is Page.PRINTING:
            title, body, done = tr("printing", lang), tr("printing_wait", lang), False
        elif screen is Page.NOTICE and m.notice is not None:
            title = tr(m.notice.title, lang)
            body = tr(m.notice.body, lang) if m.notice.body else m.notice.detail
        self.title.setText(title)
        self.title_en.setText(title_en)
        self.title_en.setVisible(bool(title_en))
        self.body.setText(body)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.done.setText(tr("done", lang))
        self.done.setVisible(done)


class QrCode(QWidget):
    """The tracking page's QR, drawn module by module (sharp at any size, see FIELD-NOTES)."""

    QUIET = 2  # modules of white around the code

    def __init__(self, side: int = 260) -> None:
        super().__init__()
        self.setFixedSize(side, side)
        self.url = ""
        self.matrix: list[list[bool]] = []

    def set_url(self, url: str) -> None:
        if url != self.url:
            self.url, self.matrix = url, qr_matrix(url) if url else []
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.matrix:
            return
        count = len(self.matrix) + 2 * self.QUIET
        module = min(self.width(), self.height()) // count
        left = (self.width() - module * count) // 2 + module * self.QUIET
        top = (self.height() - module * count) // 2 + module * self.QUIET
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    painter.fillRect(left + x * module, top + y * module, module, module, "black")
        painter.end()


class CardPage(PageWidget):
    """An ID card was scanned: the priority its age entitles to (one tap), today's
    booking by the card, the privacy text; or, for a scan that is no card, why."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(24)
        row, self.back, self.title = header(model)
        self.refusal = label(role="refusal")
        self.age = label(role="body")
        self.offer = label(role="body")
        self.accept = button("", "priority", model.accept_card_priority)
        self.booking = button("", "booking", lambda: model.checkin_by_card())
        self.privacy = label(role="small_body")
        layout.addLayout(row)
        for widget in (self.refusal, self.age, self.offer, self.accept, self.booking):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.privacy)

    def refresh(self) -> None:
        m, lang, card = self.model, self.model.language, self.model.card
        self.back.setText("‹ " + tr("back", lang))
        self.title.setText(tr("card_title", lang))
        refusal = ""
        if m.card_error is not None:
            refusal = tr(f"card_{m.card_error}", lang)
        elif card is not None and card.refusal is not None:
            refusal = card.refusal.message_en if lang == "en" else card.refusal.message
        self.refusal.setText(refusal)
        self.refusal.setVisible(bool(refusal))
        group = card.group if card is not None else None
        self.age.setVisible(card is not None)
        self.age.setText(tr("card_age", lang, age=card.age) if card else "")
        self.offer.setVisible(group is not None)
        self.accept.setVisible(group is not None)
        if group is not None:
            name = group.name_en if lang == "en" else group.name
            self.offer.setText(tr("card_offer", lang, group=name))
            self.accept.setText(tr("card_accept", lang))
        self.booking.setVisible(card is not None and card.refusal is None)
        self.booking.setText(tr("card_booking", lang))
        self.booking.setEnabled(not m.busy)
        self.privacy.setText(tr("card_privacy", lang))


class TicketPage(PageWidget):
    """The number, large, with the service, the people ahead and, for a booking checked
    in, the server's check-in message."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setContentsMargins(0, 0, 0, 0)  # the card's own margins are enough
        card_frame = QFrame()
        card_frame.setObjectName("ticketcard")
        self.card = QBoxLayout(QBoxLayout.Direction.TopToBottom, card_frame)
        self.card.setContentsMargins(32, 24, 32, 24)
        self.card.setSpacing(24)
        self.caption = label(role="title", align=CENTER)
        self.number = label(role="number", wrap=False, align=CENTER)
        self.service = label(role="title", align=CENTER)
        self.priority = label(role="body", align=CENTER)
        self.checkin = label(role="checkin", align=CENTER)
        self.ahead = label(role="body", align=CENTER)
        self.estimate = label(role="body", align=CENTER)
        self.slip = label(role="body", align=CENTER)
        self.qr = QrCode()
        self.qr_caption = label(role="small_body", align=CENTER)
        self.notify = button("", "search", model.open_notify)
        self.done = button("", "", model.go_home)
        self.done.setMinimumWidth(360)
        big, facts = QVBoxLayout(), QVBoxLayout()
        facts.setSpacing(10)
        big.addWidget(self.caption)
        big.addWidget(self.number)
        big.addWidget(self.qr, 0, CENTER)
        big.addWidget(self.qr_caption)
        for widget in (
            self.service,
            self.priority,
            self.checkin,
            self.ahead,
            self.estimate,
            self.slip,
        ):
            facts.addWidget(widget)
        facts.addWidget(self.notify)
        facts.addWidget(self.done, 0, CENTER)
        self.card.addLayout(big, 1)
        self.card.addLayout(facts, 1)
        layout.addStretch(1)
        layout.addWidget(card_frame)
        layout.addStretch(1)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.card.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )

    def refresh(self) -> None:
        m, lang, ticket = self.model, self.model.language, self.model.ticket
        if ticket is None:
            return
        self.caption.setText(tr("your_number", lang))
        self.number.setText(ticket.number)
        self.service.setText(service_name(m, ticket.service))
        group = ticket.priority
        self.priority.setVisible(group is not None)
        if group is not None:
            self.priority.setText(
                tr("priority_chosen", lang, group=group.name_en if lang == "en" else group.name)
            )
        message = ticket.message_en if lang == "en" else ticket.message
        self.checkin.setVisible(bool(message))
        self.checkin.setText(message)
        self.ahead.setText(tr("ahead", lang, n=ticket.ahead))
        self.estimate.setText(wait_sentence(ticket.estimated_wait, ticket.calling, lang))
        self.slip.setText(tr("paperless_note" if ticket.paperless else "take_slip", lang))
        self.qr.set_url(ticket.tracking_url)
        self.qr.setFixedSize(*(2 * (200 if m.large_text else 260,)))
        self.qr_caption.setText(tr("track_qr", lang))
        self.qr_caption.setVisible(not m.large_text)  # the note below says it in full
        self.notify.setText(tr("notify", lang))
        self.notify.setVisible(m.notify_offered)
        self.done.setText(tr("done", lang))


class NotifyPage(PageWidget):
    """The optional "text me when my turn is near" step: the number pad, how many people
    ahead, what is kept and for how long, and the server's answer."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(20)
        row, self.skip, self.title = header(model, model.skip_notify)
        self.form = QWidget()
        # Portrait: the phone, the pad, the consent under each other; landscape: the
        # pad beside the rest, so neither is squeezed (see `set_portrait`).
        self.grid = QGridLayout(self.form)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(24)
        self.phone_label = label()
        self.field = QLineEdit()
        self.field.setReadOnly(True)
        self.field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.refusal = label(role="refusal")
        self.when = label()
        self.left = QWidget()
        self.column = QVBoxLayout(self.left)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(18)
        top = QVBoxLayout()
        top.setSpacing(18)
        self.column.addLayout(top, 1)
        for widget in (self.phone_label, self.field, self.refusal, self.when):
            top.addWidget(widget)
        self.choice_row = QHBoxLayout()
        self.choice_row.setSpacing(20)
        self.choices: dict[int, QPushButton] = {}
        top.addLayout(self.choice_row)
        top.addStretch(1)
        self.pad = NumberPad()
        self.pad.typed.connect(model.type_phone)
        self.pad.deleted.connect(model.delete_phone)
        self.consent = label(role="small_body")
        self.submit = button("", "submit", lambda: model.submit_notify())
        self.bottom = QWidget()
        bottom = QVBoxLayout(self.bottom)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.setSpacing(18)
        bottom.addWidget(self.consent)
        bottom.addWidget(self.submit)
        self.thanks = QFrame()
        self.thanks.setObjectName("ticketcard")
        thanks = QVBoxLayout(self.thanks)
        thanks.setContentsMargins(48, 64, 48, 64)
        thanks.setSpacing(32)
        self.done_title = label(role="big", align=CENTER)
        self.done_body = label(role="body", align=CENTER)
        self.done = button("", "", model.go_home)
        self.done.setMinimumWidth(360)
        thanks.addWidget(self.done_title)
        thanks.addWidget(self.done_body)
        thanks.addWidget(self.done, 0, CENTER)
        layout.addLayout(row)
        layout.addWidget(self.form, 1)
        # With the form hidden, these two share the height: the thanks sits in the middle.
        layout.addStretch(0)
        layout.addWidget(self.thanks)
        layout.addStretch(0)
        self.set_portrait(True)

    def _chooser(self, n: int) -> Callable[[], None]:
        return lambda: self.model.choose_ahead(n)

    def _set_choices(self, counts: tuple[int, ...]) -> None:
        """One button per count the server offers (its options may change on a welcome)."""
        if tuple(self.choices) == counts:
            return
        for choice in self.choices.values():
            self.choice_row.removeWidget(choice)
            choice.deleteLater()
        self.choices = {}
        for n in counts:
            choice = button("", "choice", self._chooser(n))
            choice.setCheckable(True)
            self.choices[n] = choice
            self.choice_row.addWidget(choice, 1)

    def set_portrait(self, portrait: bool) -> None:
        """Portrait: phone, pad, consent under each other. Landscape: the pad beside
        one column of the rest; a column lays its wrapped text out at its real width."""
        super().set_portrait(portrait)
        grid, column = self.grid, self.column
        for widget in (self.left, self.pad, self.bottom):
            grid.removeWidget(widget)
        column.removeWidget(self.bottom)
        if portrait:
            grid.addWidget(self.left, 0, 0)
            grid.addWidget(self.pad, 1, 0)
            grid.addWidget(self.bottom, 2, 0)
            grid.setColumnStretch(1, 0)
            grid.setRowStretch(1, 1)
        else:
            column.addWidget(self.bottom)
            grid.addWidget(self.left, 0, 0)
            grid.addWidget(self.pad, 0, 1)
            grid.setColumnStretch(0, 1)
            grid.setColumnStretch(1, 1)
            grid.setRowStretch(1, 0)
        self.pad.setMaximumWidth(16777215 if portrait else 860)

    def refresh(self) -> None:
        m, lang, form = self.model, self.model.language, self.model.notify
        if form is None:
            return
        number = form.ticket.number
        self.skip.setText("‹ " + tr("notify_skip", lang))
        self.title.setText(tr("notify_title", lang))
        self.form.setVisible(not form.done)
        self.thanks.setVisible(form.done)
        self.skip.setVisible(not form.done)
        if form.done:
            self.done_title.setText(tr("notify_done", lang))
            self.done_body.setText(
                tr(
                    "notify_done_body",
                    lang,
                    phone=phone_text(form.phone),
                    n=form.ahead,
                    number=number,
                )
            )
            self.done.setText(tr("done", lang))
            return
        self.phone_label.setText(tr("notify_phone", lang))
        self.field.setText(phone_text(form.phone))
        self.field.setPlaceholderText(tr("notify_phone_hint", lang))
        refusal = form.refusal
        self.refusal.setVisible(refusal is not None)
        if refusal is not None:
            self.refusal.setText(refusal.message_en if lang == "en" else refusal.message)
        self.when.setText(tr("notify_when", lang))
        self._set_choices(m.notify_choices)
        for n, choice in self.choices.items():
            choice.setText(tr("notify_ahead", lang, n=n))
            choice.setChecked(n == form.ahead)
        self.pad.set_language(lang)
        self.pad.setEnabled(not form.sending)
        self.consent.setText(tr("notify_consent", lang, number=number))
        self.submit.setText(tr("notify_sending" if form.sending else "notify_submit", lang))
        self.submit.setEnabled(form.complete and not form.sending)


class StaffPage(PageWidget):
    """The hidden maintenance page: the PIN pad, then the printer's and the server's
    state in technical words, a printer test page, re-registering, leaving."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model)
        layout = QVBoxLayout(self.inner)
        layout.setSpacing(20)
        self.title = label(role="title")
        self.message = label(role="refusal")
        self.status = label(role="small_body")
        self.pad = NumberPad()
        self.pad.typed.connect(model.type_staff_pin)
        self.pad.deleted.connect(lambda: None)
        self.test = button("", "submit", lambda: self._spawn(model.print_test_page()))
        self.reregister = button("", "search", lambda: self._spawn(model.reregister()))
        self.leave = button("", "", model.close_staff)
        parts: tuple[QWidget, ...] = (self.title, self.message, self.status, self.pad)
        for part in (*parts, self.test, self.reregister, self.leave):
            layout.addWidget(part)
        layout.addStretch(1)
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refresh(self) -> None:
        m, lang = self.model, self.model.language
        opened = m.staff_open
        self.title.setText(tr("staff_title" if opened else "staff_pin", lang))
        self.message.setVisible(bool(m.staff_message))
        if m.staff_message:
            self.message.setText(tr(f"staff_{m.staff_message}", lang))
        self.status.setVisible(opened)
        self.status.setText("\n".join(m.staff_status()) if opened else "")
        self.pad.setVisible(not opened)
        self.pad.set_language(lang)
        for widget in (self.test, self.reregister):
            widget.setVisible(opened)
        self.test.setText(tr("staff_test", lang))
        self.reregister.setText(tr("staff_reregister", lang))
        self.leave.setText(tr("staff_close", lang))


class KioskWindow(QWidget):
    """The whole screen: top bar, priority banner, and the page the model says."""

    closed = Signal()

    def __init__(self, model: KioskModel) -> None:
        super().__init__()
        self.model = model
        self.setObjectName("kiosk")
        self.setWindowTitle("Xếp hàng – Lấy số")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        outer = QVBoxLayout(self)
        # The screen decides the size; a page too tall for it must adapt, not grow the window.
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._top_bar())
        body = QVBoxLayout()
        body.setContentsMargins(30, 16, 30, 20)
        body.setSpacing(20)
        body.addWidget(self._banner())
        self.stack = QStackedWidget()
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        message = MessagePage(model)
        self.home, self.sector, self.search = HomePage(model), SectorPage(model), SearchPage(model)
        self.priority, self.booking = PriorityPage(model), BookingPage(model)
        self.ticket, self.message = TicketPage(model), message
        self.notify = NotifyPage(model)
        self.guides, self.guide = GuideSearchPage(model), GuidePage(model)
        self.dossier = DossierPage(model.dossier, model.go_home)
        self.card = CardPage(model)
        self.staff = StaffPage(model)
        self.pages: dict[Page, PageWidget | GuideScreen | DossierPage] = {
            Page.HOME: self.home,
            Page.SECTOR: self.sector,
            Page.SEARCH: self.search,
            Page.PRIORITY: self.priority,
            Page.BOOKING: self.booking,
            Page.TICKET: self.ticket,
            Page.NOTIFY: self.notify,
            Page.CARD: self.card,
            Page.STAFF: self.staff,
            Page.PRINTING: message,
            Page.NOTICE: message,
            Page.OUT_OF_SERVICE: message,
            Page.GUIDE_SEARCH: self.guides,
            Page.GUIDE: self.guide,
            Page.DOSSIER: self.dossier,
        }
        for page in dict.fromkeys(self.pages.values()):
            self.stack.addWidget(page)
        self.scanner = ScannerInput(model, self)
        app = QApplication.instance()
        if app is not None:  # there is one: a widget cannot be made without it
            app.installEventFilter(self.scanner)
        model.on_change(self.refresh)
        self.refresh()

    def _top_bar(self) -> QFrame:
        """The site's name and the citizen's three aids: voice, large text, English.
        Narrow screens put the aids under the name (see `resizeEvent`)."""
        bar = QFrame()
        bar.setObjectName("topbar")
        self.bar = QBoxLayout(QBoxLayout.Direction.LeftToRight, bar)
        self.bar.setContentsMargins(30, 8, 30, 8)
        self.bar.setSpacing(8)
        self.site = label(role="")
        self.site.setObjectName("site")
        self.voice = button("", "", self.model.toggle_voice)
        if isinstance(self.voice, WrapButton):
            self.voice.set_icon(speaker_icon(56, NAVY))
        self.large = button("", "", self.model.toggle_large_text)
        self.language = button("", "", self.model.toggle_language)
        self.aids = QGridLayout()
        self.aids.setSpacing(12)
        for aid in (self.voice, self.large, self.language):
            aid.setObjectName("language")
            if isinstance(aid, WrapButton):
                aid.box.setContentsMargins(8, 4, 8, 4)
        self.bar.addWidget(self.site, 1)
        self.bar.addLayout(self.aids)
        self._narrow = True
        self._portrait: bool | None = None
        self._place_aids(False)
        self._large_style: bool | None = None
        return bar

    def _banner(self) -> QFrame:
        self.banner = QFrame()
        self.banner.setObjectName("banner")
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(24, 10, 10, 10)
        self.banner_text = label(role="")
        self.banner_cancel = button("", "", lambda: self.model.choose_priority(None))
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.banner_cancel)
        return self.banner

    def _place_aids(self, narrow: bool) -> None:
        """Wide: the aids side by side at their own widths. Narrow: they share the row;
        with large text the voice takes a row of its own, so no word is cut."""
        two_rows = narrow and self.model.large_text
        if (narrow, two_rows) == (self._narrow, getattr(self, "_two_rows", None)):
            return
        self._narrow, self._two_rows = narrow, two_rows
        for aid in (self.voice, self.large, self.language):
            self.aids.removeWidget(aid)
        if two_rows:
            self.aids.addWidget(self.voice, 0, 0, 1, 2)
            self.aids.addWidget(self.large, 1, 0)
            self.aids.addWidget(self.language, 1, 1)
        else:
            for column, aid in enumerate((self.voice, self.large, self.language)):
                self.aids.addWidget(aid, 0, column)
        for column in range(3):
            used = column < (2 if two_rows else 3)
            self.aids.setColumnStretch(column, 1 if narrow and used else 0)

    def refresh(self) -> None:
        m, lang, screen = self.model, self.model.language, self.model.screen
        narrow = self.width() < (1500 if m.large_text else 1200)
        self.bar.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )
        self._place_aids(narrow)
        self.site.setText(m.site_name_en if lang == "en" and m.site_name_en else m.site_name)
        if self._large_style != m.large_text:
            self._large_style = m.large_text
            self.setStyleSheet(LARGE_STYLE if m.large_text else "")
        self.site.setVisible(not m.large_text)  # room for the choices; the aids stay
        self.language.setText(tr("language", lang))
        self.large.setText(tr("normal_text" if m.large_text else "large_text", lang))
        self.voice.setText(tr("voice_on" if m.voice else "voice_off", lang))
        for aid in (self.voice, self.large, self.language):
            aid.setVisible(screen not in (Page.OUT_OF_SERVICE, Page.PRINTING))
        group = m.priority
        choosing = screen in (Page.HOME, Page.SECTOR, Page.SEARCH)
        self.banner.setVisible((group is not None or m.printer_out) and choosing)
        self.banner_cancel.setVisible(group is not None)
        lines = []
        if group is not None:
            name = group.name_en if lang == "en" else group.name
            lines.append(tr("priority_chosen", lang, group=name))
            self.banner_cancel.setText(tr("priority_cancel", lang))
        # Landscape home: beside the tiles. Large text: not on the home page, where the
        # sectors need the room; the service page and the ticket say it.
        home = screen is Page.HOME
        if m.printer_out and not (home and (m.large_text or not self.home.portrait)):
            lines.append(tr("printer_out_short" if m.large_text else "printer_out_banner", lang))
        self.banner.setVisible(bool(lines) and choosing)
        self.banner_text.setText("\n".join(lines))
        page = self.pages[screen]
        page.refresh()
        self.stack.setCurrentWidget(page)

    def resizeEvent(self, event: QResizeEvent) -> None:
        portrait = event.size().height() >= event.size().width()
        narrow = event.size().width() < (1500 if self.model.large_text else 1200)
        self.bar.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )
        self._place_aids(narrow)
        if portrait != self._portrait:  # re-laying a page out is for a turn of the screen
            self._portrait = portrait
            for page in dict.fromkeys(self.pages.values()):
                page.set_portrait(portrait)
            self.refresh()  # what shows where may depend on the orientation
        super().resizeEvent(event)

    def closeEvent(self, event) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.scanner)
        self.model.off_change(self.refresh)
        super().closeEvent(event)
        self.closed.emit()


class ScannerInput(QObject):
    """Every touch restarts the idle clock; typed keys come from the 2D scanner (a
    keyboard wedge: it types the QR content, the booking code, and presses Enter) and
    check that booking in, whatever the screen shows."""

    CORNER = 100  # px: the top left square whose taps open the maintenance page

    def __init__(self, model: KioskModel, window: QWidget | None = None) -> None:
        super().__init__()
        self.model = model
        self.window = window
        self.buffer = ""
        self._last_press = -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self.model.touch()
            if (
                isinstance(event, QMouseEvent)
                and isinstance(watched, QWidget)
                and self.window is not None
                and watched.window() is self.window
                and event.timestamp() != self._last_press  # once per tap, not per parent
            ):
                self._last_press = event.timestamp()
                at = self.window.mapFromGlobal(event.globalPosition().toPoint())
                if 0 <= at.x() < self.CORNER and 0 <= at.y() < self.CORNER:
                    self.model.corner_tap()
        elif (
            kind == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QWidget)
            and watched.isWindow()
        ):
            self._key(event)
            return True
        return False

    def _key(self, event: QKeyEvent) -> None:
        self.model.touch()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            code, self.buffer = self.buffer.strip(), ""
            if code and is_dossier_scan(code):  # a slip's code: its dossier (issue 16)
                self.model.open_dossier(code)
            elif code:
                self.model.scan(code)  # an ID card, or a booking code
        elif event.text() and event.text().isprintable():
            self.buffer = (self.buffer + event.text())[-512:]
