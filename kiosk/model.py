"""The kiosk's brain: asyncio only, no Qt. Widgets render it and forward taps to it.

It keeps what the citizen sees (`page`, `language`, the chosen sector, priority and search
text), what the server said (the catalogue from the welcome, kept fresh by `queue`
events) and how the printer is. One tap on a service, or one booking code typed or
scanned, is one `Intent` with one request id: the ticket is issued by the server (`issue`
or `checkin`), printed, or, if printing fails after the server issued it, voided again.
Both kinds share that one path. The server is the truth; with no server or no printer,
no ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiohttp

from announce.player import CommandPlayer
from kiosk.cccd import CardError, IdCard, looks_like_card, parse_card
from kiosk.config import KioskSettings
from kiosk.dossier import DossierLookup
from kiosk.guide import ServerSearch, guide_slip, guide_url
from kiosk.text import matches, minutes, tr, wait_sentence
from kiosk.voice import VoiceGuide, prompt_clips
from printer.device import (
    CoverOpen,
    PaperOut,
    PrinterOffline,
    PrintError,
    PrinterStatus,
    PrinterTimeout,
    StatusUnknown,
    TicketPrinter,
    refuse_unless_ready,
)
from printer.guide_slip import encode_guide
from printer.status import Paper
from printer.ticket import SlipLayout, TicketSlip
from queue_protocol.client import (
    ClientError,
    NotConnected,
    QueueClient,
    RequestTimeout,
    new_request_id,
)
from queue_protocol.errors import ERRORS
from vntext import fold

log = logging.getLogger(__name__)

SERVER_TROUBLE = (NotConnected, RequestTimeout)
RETRY_PAUSE = 0.3  # seconds before asking again after an "unavailable" refusal
PRINTABLE = ("ok", "paper_near_end")
_ERROR_STATES: dict[type[PrintError], str] = {
    PaperOut: "paper_out",
    CoverOpen: "cover_open",
    PrinterOffline: "offline",
    PrinterTimeout: "offline",
    StatusUnknown: "unknown",
}
# Voiding a ticket that is already voided (or gone) has nothing left to do.
_VOID_SETTLED = frozenset({"invalid_transition", "unknown_ticket"})
NOTIFY_AHEAD = (3, 5)  # "tell me when this many people are ahead", until the server says its own
PHONE_DIGITS = 11  # 0 + 9 digits, or 84 + 9 digits: the server judges the rest
PHONE_MIN_DIGITS = 10


class Page(StrEnum):
    HOME = "home"
    SECTOR = "sector"
    SEARCH = "search"
    PRIORITY = "priority"
    BOOKING = "booking"
    CARD = "card"  # an ID card was scanned: its offers, or why it was not read
    STAFF = "staff"  # the hidden maintenance page: PIN, then printer and connection
    NOTIFY = "notify"  # after the ticket: a phone number for "your turn is near"
    PRINTING = "printing"
    TICKET = "ticket"
    NOTICE = "notice"
    OUT_OF_SERVICE = "out_of_service"
    GUIDE_SEARCH = "guide_search"  # "Tra cứu thủ tục": the procedures found (issue 16)
    GUIDE = "guide"  # one procedure's guide: take a number for it, print it
    DOSSIER = "dossier"  # "Tra cứu hồ sơ": a dossier's state by its code (issue 16)


class Phase(StrEnum):
    """Where the current tap is; PRINTING means the server has issued the number."""

    IDLE = "idle"
    CHECKING = "checking"
    ISSUING = "issuing"
    PRINTING = "printing"


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    name_en: str
    sector: str
    open: bool
    opens_at: float | None
    waiting: int
    estimated_wait: int


@dataclass(frozen=True)
class PriorityGroup:
    id: str
    name: str
    name_en: str
    rank: int
    min_age: int | None = None  # an ID card this old is offered the group (issue 20)


@dataclass(frozen=True)
class Intent:
    """One tap on a service, or one booking code to check in, that asks for a ticket; its
    request id survives retries and reconnects. A check-in's service is the server's answer."""

    service: str | None
    priority: str | None
    request_id: str
    booking: str | None = None  # the code as typed or scanned: `checkin` instead of `issue`
    cccd: str | None = None  # an ID card's number: `checkin_card` (kept only in memory)
    paperless: bool = False  # the number on screen with the tracking QR, nothing printed


@dataclass(frozen=True)
class IssuedTicket:
    id: int
    number: str
    service: Service
    priority: PriorityGroup | None
    ahead: int
    estimated_wait: int | None  # seconds; None: no counter expected to call (see calling)
    public_id: str
    booking: str | None = None  # the booking code (normalised) this ticket checked in
    message: str = ""  # the server's check-in message (a late arrival, …)
    message_en: str = ""
    tracking_url: str = ""  # the QR on screen: the phone follows the ticket there
    paperless: bool = False  # nothing was printed: the screen is the ticket
    calling: Mapping[str, Any] | None = None  # why nobody calls now (the server's note)


@dataclass(frozen=True)
class Notice:
    """A message page after a tap that gave no ticket; `detail` is the server's wording."""

    title: str
    body: str
    detail: str = ""


@dataclass(frozen=True)
class Refusal:
    """The server's "no" to a booking code (unknown, cancelled, another day, too early…)."""

    code: str
    message: str
    message_en: str


@dataclass(frozen=True)
class CardOffer:
    """What a scanned ID card offers until the screen goes home: the priority group its
    age entitles to (the officer still checks the card) and today's booking. The ID
    number is kept only to send `checkin_card`; name, address and the rest are dropped
    at once. `refusal` is the server's answer when no booking was found."""

    cccd: str
    age: int
    group: PriorityGroup | None
    refusal: Refusal | None = None

    def __repr__(self) -> str:
        return f"CardOffer(age {self.age}, group {self.group.id if self.group else None})"


@dataclass(frozen=True)
class NotifyForm:
    """The optional step after a ticket: a phone number typed on the number pad and how
    many people ahead the citizen wants the message at. `done` once the server said yes."""

    ticket: IssuedTicket
    ahead: int
    phone: str = ""
    sending: bool = False
    refusal: Refusal | None = None
    done: bool = False

    @property
    def complete(self) -> bool:
        """Enough digits for a mobile number; whether it is one is the server's call."""
        return len(self.phone) >= PHONE_MIN_DIGITS


def plain_refusal(code: str) -> str:
    """The server's refusal in the citizen's plain Vietnamese: the shared table's words
    for a known code, a general sentence for any other (the code goes to the log)."""
    return ERRORS[code].vi if code in ERRORS else tr("refused_body", "vi")


def booking_key(code: str) -> str:
    """A booking code as the server reads it: case, spaces and the dash do not matter."""
    return re.sub(r"[\s\-]", "", code).upper()


@dataclass(frozen=True)
class PrinterHealth:
    state: str  # a device_status value: ok, paper_near_end, paper_out, cover_open, offline…
    detail: str = ""


def printer_health(status: PrinterStatus, status_required: bool) -> PrinterHealth:
    """What to tell the staff about a status answer (the same rules as printing uses)."""
    try:
        refuse_unless_ready(status, status_required)
    except PrintError as exc:
        return PrinterHealth(_ERROR_STATES.get(type(exc), "unknown"), status.detail or str(exc))
    if status.paper is Paper.NEAR_END:
        return PrinterHealth("paper_near_end", status.detail)
    return PrinterHealth("ok" if status.known else "unknown", status.detail)


class KioskModel:
    """State and intents of one kiosk. Call `start()` inside a running loop."""

    def __init__(
        self,
        client: QueueClient,
        printer: TicketPrinter,
        settings: KioskSettings,
        server_base: str | Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client, self.printer, self.settings = client, printer, settings
        # one HTTP base, or one for each of the client's addresses (issue 19: the active
        # server and its standby), in the same order
        bases = [server_base] if isinstance(server_base, str) else list(server_base)
        self.server_bases = [base.rstrip("/") for base in bases]
        self.public_base = self.server_base  # until the welcome names the public address
        self.clock = clock
        self.layout = SlipLayout(
            header_lines=settings.slip_header,
            show_english=settings.slip_english,
            display_tz=settings.tz,
        )
        # What the citizen sees.
        self.page = Page.HOME
        self.language = "vi"
        self.dossier = DossierLookup(self)
        self.dossier.listeners.append(self._changed)
        self.sector_id: str | None = None
        self.query = ""
        self.booking_code = ""
        self.booking_refusal: Refusal | None = None  # shown on the booking page
        self.priority: PriorityGroup | None = None
        self.ticket: IssuedTicket | None = None
        self.notice: Notice | None = None
        self.notify: NotifyForm | None = None
        # "Tra cứu thủ tục" (kiosk/guide.py): what is typed, the guide open, its print
        self.guide_query = ""
        self.guide_procedure: dict[str, Any] | None = None
        self.guide_print = ""  # "", "printing", "printed", "failed"
        self.card: CardOffer | None = None  # an ID card scanned: dropped when home
        self.card_error: str | None = None  # why a scan was not read as a card (a CardError)
        self.paperless = False  # the citizen chose the number on screen instead of paper
        self.large_text = False  # larger, high-contrast text; back to normal when idle
        self.voice = False  # spoken guidance (kiosk/voice.py); off again when idle
        self.guide = VoiceGuide(CommandPlayer())  # the tests give it their loudspeaker
        self._spoken_for: tuple[str, str] | None = None  # the screen last prompted
        self._fault_logged = ""  # the technical reason last written to the log
        # The hidden maintenance page: five taps in the corner, then the PIN.
        self._corner_taps: list[float] = []
        self.staff_pin_typed = ""
        self.staff_open = False  # the PIN was right
        self.staff_message = ""  # the last maintenance action's outcome (for staff)
        self._wrong_pins = 0
        # What the server offers (`GET /api/messaging/options`, asked after each welcome):
        # no button for a step the server would refuse.
        self.notify_offered = False
        self.notify_choices: tuple[int, ...] = NOTIFY_AHEAD
        self.notify_default = NOTIFY_AHEAD[0]
        self.phase = Phase.IDLE
        # What the server and the printer said.
        self.site_name = self.site_name_en = ""
        self.sectors: list[Sector] = []
        self.services: dict[str, Service] = {}
        self.priority_groups: list[PriorityGroup] = []
        self.catalogue_version = 0  # bumps on each welcome: widgets rebuild their tiles
        self.printer_health = PrinterHealth("unknown", "not checked yet")
        self._printer_checked = False  # report nothing to the staff before the first answer
        self._reported: PrinterHealth | None = None
        self._reported_at = 0.0  # time.monotonic() of the last report
        self._intent: Intent | None = None
        self._orphans: list[Intent] = []  # maybe issued, never printed: void once reachable
        self._unvoided: list[tuple[int, str]] = []  # (ticket id, reason) still to void
        self._listeners: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle: asyncio.TimerHandle | None = None
        # The server's one search, for the service search and the guides.
        self.lookup = ServerSearch(client, self._changed, self._spawn)
        client.on_welcome(self._on_welcome)
        client.on_event(self._on_event)
        client.on_state(self._on_state)

    @property
    def server_base(self) -> str:
        """The HTTP base of the server the connection uses now (links, the options)."""
        urls = self.client.urls
        if len(self.server_bases) == len(urls) and self.client.url in urls:
            return self.server_bases[urls.index(self.client.url)]
        return self.server_bases[0]

    # -- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        await self.client.start()
        self._spawn(self._poll_printer())

    async def stop(self) -> None:
        await self.guide.close()
        if self._idle:
            self._idle.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.stop()
        self.printer.close()

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` after every change of anything a screen shows."""
        self._listeners.append(listener)

    def off_change(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- what to show -------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.client.state == "connected" and bool(self.services)

    @property
    def printer_ready(self) -> bool:
        state = self.printer_health.state
        return state in PRINTABLE or (
            state == "unknown" and not self.printer.config.status_required
        )

    @property
    def in_service(self) -> bool:
        """Connected, and a ticket can be given: printed, or (`paperless_fallback`, the
        default) on screen while the printer is out (issue 12)."""
        return self.connected and (self.printer_ready or self.settings.paperless_fallback)

    @property
    def printer_out(self) -> bool:
        """In service without a printer that prints (checked, not a guess at the start):
        every ticket now is a ticket on screen."""
        return self.in_service and self._printer_checked and not self.printer_ready

    @property
    def busy(self) -> bool:
        return self._intent is not None

    @property
    def screen(self) -> Page:
        """The page to show now: a tap in flight and its outcome win over everything;
        the maintenance page shows even out of service (that is when it is needed)."""
        if self.page is Page.STAFF:
            return Page.STAFF
        if self._intent is not None:
            return Page.PRINTING
        if self.page in (Page.TICKET, Page.NOTICE, Page.NOTIFY):
            return self.page  # the citizen's ticket is printed: finish with them first
        if not self.in_service:
            return Page.OUT_OF_SERVICE
        return self.page

    def out_of_service_cause(self) -> str:
        """Why the kiosk is paused, in the citizen's plain words: a `STRINGS` key (the
        technical detail is `out_of_service_reason`, for the log and the staff)."""
        if self.client.state == "refused":
            return "cause_setup"
        if not self.connected:
            return "cause_server"
        return "cause_printer"

    def out_of_service_reason(self) -> str:
        """One line for the staff, in both languages (never shown to a citizen)."""

        def both(key: str, **kw: object) -> str:
            return f"{tr(key, 'vi', **kw)} / {tr(key, 'en', **kw)}"

        state = self.client.state
        if state == "refused":
            return both("reason_refused", detail=self.client.last_error)
        if not self.connected:
            detail = self.client.last_error or state
            return both("reason_server", url=self.server_base, detail=detail)
        health = self.printer_health
        key = f"printer_{health.state}"
        return (
            f"{tr(key, 'vi')} / {tr(key, 'en')} "
            f"({health.state}{': ' + health.detail if health.detail else ''})"
        )

    @property
    def sector(self) -> Sector | None:
        return next((s for s in self.sectors if s.id == self.sector_id), None)

    def services_in(self, sector_id: str) -> list[Service]:
        return [s for s in self.services.values() if s.sector == sector_id]

    def sector_waiting(self, sector_id: str) -> int:
        return sum(s.waiting for s in self.services_in(sector_id))

    def search_results(self, query: str | None = None) -> list[Service]:
        """The services the server's search found for `query`, best first; until it
        answers (or if it cannot), those whose name or sector holds every word."""
        query = self.query if query is None else query
        if not fold(query):
            return []
        found = self.lookup.answer(query)
        if found is not None:
            return [self.services[s] for s in found.services if s in self.services]
        sectors = {s.id: s for s in self.sectors}
        by_name, by_sector = [], []
        for service in self.services.values():
            sector = sectors.get(service.sector)
            if matches(query, service.name, service.name_en):
                by_name.append(service)
            elif sector and matches(
                query, sector.name, sector.name_en, service.name, service.name_en
            ):
                by_sector.append(service)
        return by_name + by_sector

    # -- what the citizen does ----------------------------------------------

    def touch(self) -> None:
        """Any touch: the idle clock starts again, and the voice stops (the citizen
        is doing something; the next screen speaks for itself)."""
        self.guide.stop()
        self._arm_idle()

    def go_home(self) -> None:
        self.lookup.clear()
        self.dossier.clear()
        self._navigate(
            Page.HOME,
            sector_id=None,
            query="",
            booking_code="",
            booking_refusal=None,
            notify=None,
            guide_query="",
            guide_procedure=None,
            guide_print="",
            card=None,
            card_error=None,
        )

    def open_sector(self, sector_id: str) -> None:
        if any(s.id == sector_id for s in self.sectors):
            self._navigate(Page.SECTOR, sector_id=sector_id)

    def open_search(self) -> None:
        self._navigate(Page.SEARCH, query="")

    def set_query(self, text: str) -> None:
        self.lookup.ask(text)
        self._navigate(Page.SEARCH, query=text)

    # -- "Tra cứu thủ tục": procedure guides (issue 16) ------------------------

    def open_guides(self) -> None:
        """From the home screen: the keyboard and the procedures found."""
        self.lookup.ask(self.guide_query)
        self._navigate(Page.GUIDE_SEARCH, guide_procedure=None, guide_print="")

    def set_guide_query(self, text: str) -> None:
        self.lookup.ask(text)
        self._navigate(Page.GUIDE_SEARCH, guide_query=text)

    def guide_results(self) -> list[dict[str, Any]]:
        found = self.lookup.answer(self.guide_query)
        return list(found.procedures) if found is not None else []

    def open_guide(self, code: str) -> None:
        procedure = next((p for p in self.guide_results() if p["code"] == code), None)
        if procedure is not None:
            self._navigate(Page.GUIDE, guide_procedure=procedure, guide_print="")

    def guide_service(self) -> Service | None:
        """The service that receives the open guide's procedure, if the site has it."""
        p = self.guide_procedure
        return None if p is None else self.services.get(p["service"])

    def take_guide_ticket(self) -> asyncio.Task[None] | None:
        """ "Lấy số cho thủ tục này": a ticket for the service that receives it."""
        service = self.guide_service()
        return None if service is None else self.take_ticket(service.id)

    def print_guide(self) -> asyncio.Task[None] | None:
        """ "In hướng dẫn": the documents checklist with a QR to the guide online."""
        self._arm_idle()
        p = self.guide_procedure
        if p is None or self.guide_print == "printing" or self._intent is not None:
            return None
        self.guide_print = "printing"
        self._changed()
        return self._spawn(self._print_guide(p, self.language))

    async def _print_guide(self, procedure: dict[str, Any], lang: str) -> None:
        now = datetime.fromtimestamp(self.clock(), self.settings.tz)
        centre = self.site_name_en if lang == "en" and self.site_name_en else self.site_name
        url = guide_url(procedure, self.server_base, lang)
        slip = guide_slip(procedure, centre, url, lang, now)
        try:
            data = await asyncio.to_thread(encode_guide, slip, self.printer.config)
            await self.printer.print_job(data)
        except PrintError as exc:
            log.warning("guide %s not printed: %s", procedure["code"], exc)
            outcome = "failed"
        else:
            outcome = "printed"
        if self.guide_procedure is procedure:
            self.guide_print = outcome
            self._changed()

    def open_dossier(self, scanned: str = "") -> None:
        """ "Tra cứu hồ sơ": from the home screen, or a slip's code scanned on any screen."""
        self.dossier.clear()
        if scanned:
            self.dossier.scanned(scanned)
        self._navigate(Page.DOSSIER)

    def open_priority(self) -> None:
        self._navigate(Page.PRIORITY)

    def choose_priority(self, group_id: str | None) -> None:
        group = next((g for g in self.priority_groups if g.id == group_id), None)
        self._navigate(Page.HOME, priority=group)

    def open_booking(self) -> None:
        self._navigate(Page.BOOKING, booking_code="", booking_refusal=None)

    def set_booking_code(self, text: str) -> None:
        self._navigate(Page.BOOKING, booking_code=text, booking_refusal=None)

    def submit_booking(self, code: str | None = None) -> asyncio.Task[None] | None:
        """Check a booking in: the code typed on the booking page, or `code` from the
        scanner (on any screen). The same way to a printed ticket as `take_ticket`; a
        second code while one is in flight, or the code of the ticket on screen scanned
        again, does nothing."""
        self._arm_idle()
        code = " ".join((self.booking_code if code is None else code).split())[:64]
        if not code or self._intent is not None or not self.in_service:
            return None
        if (
            self.page is Page.TICKET
            and self.ticket is not None
            and self.ticket.booking == booking_key(code)
        ):
            return None  # a double scan: the number is already printed and on screen
        self.booking_code = code
        return self._start(Intent(None, None, new_request_id(), booking=code))

    def scan(self, text: str) -> None:
        """What the scanner typed, then Enter: an ID card's QR or a booking code."""
        if looks_like_card(text):
            self.read_card(text)
        else:
            self.submit_booking(text)

    # -- the ID card (CCCD) at the scanner: issue 20 ----------------------------

    def read_card(self, text: str) -> None:
        """Read an ID card's QR: the card page with what it offers, or a plain refusal.
        Of the card only the ID number (for `checkin_card`) and the age stay, in memory,
        until the screen goes home; nothing of it is logged."""
        self._arm_idle()
        if self._intent is not None:
            log.info("an ID card was scanned while a ticket is on its way: ignored")
            return
        if not self.in_service:
            return
        today = datetime.fromtimestamp(self.clock(), self.settings.tz).date()
        try:
            card = parse_card(text, today)
        except CardError as exc:
            log.info("scan not read as an ID card: %s", exc.reason)
            self._navigate(Page.CARD, card=None, card_error=exc.reason)
            return
        self._navigate(Page.CARD, card=self._offer(card, today), card_error=None)

    def _offer(self, card: IdCard, today: Any) -> CardOffer:
        age = card.age(today)
        entitled = [g for g in self.priority_groups if g.min_age is not None and age >= g.min_age]
        group = min(entitled, key=lambda g: (g.rank, -(g.min_age or 0)), default=None)
        return CardOffer(card.id_number, age, group)

    def accept_card_priority(self) -> None:
        """The one confirmation tap: the group the card's age entitles to, then home to
        choose the service (with the priority banner)."""
        card = self.card
        if card is not None and card.group is not None:
            self._navigate(Page.HOME, priority=card.group, card=None, card_error=None)

    def checkin_by_card(self) -> asyncio.Task[None] | None:
        """Today's booking made with this card, checked in by the server (`checkin_card`)."""
        self._arm_idle()
        card = self.card
        if card is None or self._intent is not None or not self.in_service:
            return None
        return self._start(
            Intent(None, None, new_request_id(), cccd=card.cccd, paperless=self.paperless)
        )

    # -- the hidden maintenance page (staff) -------------------------------------

    STAFF_TAPS = 5  # taps on the top left corner …
    STAFF_TAP_SECONDS = 4.0  # … within this many seconds
    STAFF_TRIES = 3  # wrong PINs before the pad closes

    def corner_tap(self, now: float | None = None) -> None:
        """A tap on the screen's top left corner (the site's name: no button there):
        five in a row open the PIN pad, when `[kiosk] staff_pin` is set."""
        now = time.monotonic() if now is None else now
        taps = [t for t in self._corner_taps if now - t < self.STAFF_TAP_SECONDS] + [now]
        self._corner_taps = taps
        if len(taps) >= self.STAFF_TAPS and self.settings.staff_pin and self._intent is None:
            self._corner_taps = []
            log.info("maintenance page asked for")
            self._wrong_pins = 0
            self._navigate(Page.STAFF, staff_pin_typed="", staff_open=False, staff_message="")

    def type_staff_pin(self, digit: str) -> None:
        if self.page is not Page.STAFF or self.staff_open or not digit.isdigit():
            return
        typed = (self.staff_pin_typed + digit)[:12]
        if typed == self.settings.staff_pin:
            log.info("maintenance page opened")
            self._navigate(Page.STAFF, staff_pin_typed="", staff_open=True, staff_message="")
        elif len(typed) >= len(self.settings.staff_pin):
            self._wrong_pins += 1
            log.warning("maintenance page: wrong PIN (%d)", self._wrong_pins)
            if self._wrong_pins >= self.STAFF_TRIES:  # back to the citizens' screens
                self.close_staff()
                return
            self._navigate(Page.STAFF, staff_pin_typed="", staff_message="wrong_pin")
        else:
            self._navigate(Page.STAFF, staff_pin_typed=typed, staff_message="")

    def staff_status(self) -> list[str]:
        """For the staff, technical words allowed: the printer and the server link."""
        health = self.printer_health
        error = self.client.last_error
        return [
            f"Máy in / Printer: {health.state} {health.detail}".strip(),
            f"Máy chủ / Server: {self.server_base} ({self.client.state})"
            + (f": {error}" if error and self.client.state != "connected" else ""),
            f"Giấy / Paper fallback: {'on' if self.settings.paperless_fallback else 'off'}",
        ]

    async def print_test_page(self) -> None:
        """The printer test page: a slip marked TEST, through the same path as tickets."""
        if not self.staff_open:
            return
        slip = TicketSlip(
            number="TEST",
            service_name="Trang in thử / Test page",
            issued_at=datetime.fromtimestamp(self.clock(), self.settings.tz),
            tracking_url=self.server_base,
            centre_name=self.site_name,
        )
        try:
            await self.printer.print_ticket(slip, self.layout)
            self.staff_message = "test_printed"
        except PrintError as exc:
            log.warning("test page not printed: %s", exc)
            self.staff_message = "test_failed"
            self._set_printer(PrinterHealth(_ERROR_STATES.get(type(exc), "unknown"), str(exc)))
        self._changed()

    async def reregister(self) -> None:
        """Say hello to the server again with the device token: a fresh welcome (the
        catalogue, the options) and the printer's state reported anew."""
        if not self.staff_open:
            return
        log.info("maintenance: re-registering with the server")
        await self.client.stop()
        await self.client.start()
        self.staff_message = "reregistered"
        self._changed()

    def close_staff(self) -> None:
        self.staff_open, self.staff_pin_typed, self.staff_message = False, "", ""
        self.page = Page.HOME
        self._arm_idle()
        self._changed()

    # -- large text, voice, paper: the citizen's choices, reset when idle --------

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text
        self._arm_idle()
        self._changed()

    def toggle_voice(self) -> None:
        self.voice = not self.voice
        self._spoken_for = None  # on: say what this screen asks
        if not self.voice:
            self.guide.stop()
        self._arm_idle()
        self._changed()

    def toggle_paperless(self) -> None:
        """ "No paper, thanks": the next ticket is the number on screen with its QR."""
        self.paperless = not self.paperless
        self._arm_idle()
        self._changed()

    # -- "your turn is near" by SMS: optional, after the ticket -----------------

    def open_notify(self) -> None:
        """From the ticket page: the number pad. The ticket is already printed, so
        nothing here can hold it back; skipping or walking away loses nothing."""
        if self.ticket is None or self.page is not Page.TICKET or not self.notify_offered:
            return
        self._navigate(Page.NOTIFY, notify=NotifyForm(self.ticket, self.notify_default))

    def type_phone(self, digit: str) -> None:
        form = self.notify
        if form is None or form.sending or form.done or not digit.isdigit():
            return
        if len(form.phone) < PHONE_DIGITS:
            self._navigate(
                Page.NOTIFY, notify=replace(form, phone=form.phone + digit, refusal=None)
            )

    def delete_phone(self) -> None:
        form = self.notify
        if form is not None and not form.sending and not form.done:
            self._navigate(Page.NOTIFY, notify=replace(form, phone=form.phone[:-1], refusal=None))

    def choose_ahead(self, ahead: int) -> None:
        form = self.notify
        if form is not None and not form.sending and ahead in self.notify_choices:
            self._navigate(Page.NOTIFY, notify=replace(form, ahead=ahead))

    def skip_notify(self) -> None:
        """Bỏ qua: back to the number on screen, which goes home by itself."""
        if self.notify is not None and self.ticket is not None:
            self._navigate(Page.TICKET, notify=None)
        else:
            self.go_home()

    def submit_notify(self) -> asyncio.Task[None] | None:
        """Send `notify_me`; tapping the button is the consent the text above it asks for."""
        self._arm_idle()
        form = self.notify
        if form is None or form.sending or form.done or not form.complete:
            return None
        self.notify = replace(form, sending=True, refusal=None)
        self._changed()
        return self._spawn(self._send_notify(self.notify, self.language))

    async def _send_notify(self, form: NotifyForm, language: str) -> None:
        refusal: Refusal | None = None
        try:
            await self.client.request(
                "notify_me",
                ticket=form.ticket.public_id,
                phone=form.phone,
                ahead=form.ahead,
                lang=language,
                consent=True,
            )
        except ClientError as exc:
            message = exc.message or exc.code
            english = ERRORS[exc.code].en if exc.code in ERRORS else message
            refusal = Refusal(exc.code, message, english)
        except SERVER_TROUBLE:
            refusal = Refusal(
                "unavailable", tr("notify_unreachable", "vi"), tr("notify_unreachable", "en")
            )
        if self.notify is None or self.notify.ticket != form.ticket:
            return  # the citizen went away (idle, or the next one scanned): nothing to show
        self.notify = replace(form, sending=False, refusal=refusal, done=refusal is None)
        self._arm_idle()  # done: the thanks stays `ticket_seconds`, like the number
        self._changed()

    def toggle_language(self) -> None:
        self.language = "en" if self.language == "vi" else "vi"
        self._arm_idle()
        self._changed()

    def take_ticket(self, service_id: str) -> asyncio.Task[None] | None:
        """Ask for a ticket; a second tap while one is in flight does nothing."""
        self._arm_idle()
        service = self.services.get(service_id)
        if self._intent is not None or not self.in_service or service is None or not service.open:
            return None
        return self._start(
            Intent(
                service_id,
                self.priority.id if self.priority else None,
                new_request_id(),
                paperless=self.paperless,
            )
        )

    # -- one intent, start to end -------------------------------------------

    def _start(self, intent: Intent) -> asyncio.Task[None]:
        self._intent = intent
        self.ticket = self.notice = self.booking_refusal = self.notify = None
        if intent.booking is None and intent.cccd is None:
            self.card = None  # a service tapped after the card's priority: done with it
        self.phase = Phase.CHECKING
        self._changed()
        return self._spawn(self._fulfil(intent))

    async def _fulfil(self, intent: Intent) -> None:
        try:
            if not intent.paperless:
                await self.refresh_printer()
            if not intent.paperless and not self.printer_ready:
                if not self.settings.paperless_fallback:
                    self._reset()
                    return
                intent = replace(intent, paperless=True)  # no paper: the screen is the ticket
                self._intent = intent
            self._set_phase(Phase.ISSUING)
            try:
                answer = await self._issue(intent)
            except ClientError as exc:
                log.info("request %s refused: %s", intent.request_id, exc.code)
                if intent.booking is not None:
                    self._refuse_booking(intent.booking, exc)
                elif intent.cccd is not None:
                    self._refuse_card(exc)
                else:
                    self._show_notice("refused", None, plain_refusal(exc.code))
                return
            except (*SERVER_TROUBLE, TimeoutError):
                self._orphans.append(intent)
                self._show_notice("not_issued", "not_issued_body")
                return
            ticket = answer["ticket"]
            if intent.paperless:
                self._show_ticket(ticket, intent, answer.get("checkin"))
                return
            self._set_phase(Phase.PRINTING)
            if await self._print(ticket, intent):
                self._show_ticket(ticket, intent, answer.get("checkin"))
            else:
                self._show_notice("print_failed", "print_failed_body")
        finally:
            self._intent = None
            self.phase = Phase.IDLE
            self._arm_idle()
            self._changed()

    async def _send(self, intent: Intent) -> dict[str, Any]:
        """One try: `checkin` for a booking code, `issue` for a service; the result."""
        if intent.booking is not None:
            return await self.client.request(
                "checkin", code=intent.booking, request_id=intent.request_id
            )
        if intent.cccd is not None:
            return await self.client.request(
                "checkin_card", cccd=intent.cccd, request_id=intent.request_id
            )
        assert intent.service is not None
        return await self.client.issue(intent.service, intent.priority, intent.request_id)

    async def _issue(self, intent: Intent) -> dict[str, Any]:
        """Send with the intent's request id, retrying through reconnects until the
        deadline: the server answers a retry with the first ticket, never a second one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.issue_retry_seconds
        while True:
            try:
                return await self._send(intent)
            except SERVER_TROUBLE:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise
                log.info("issue %s not answered; retrying after reconnect", intent.request_id)
                await self.client.wait_connected(remaining)
            except ClientError as exc:  # "unavailable": the server lost a commit, reloads
                if exc.code != "unavailable" or loop.time() + RETRY_PAUSE > deadline:
                    raise
                log.info("issue %s refused for now; retrying", intent.request_id)
                await asyncio.sleep(RETRY_PAUSE)

    async def _print(self, ticket: dict[str, Any], intent: Intent) -> bool:
        """Print; on any failure void the issued number so it does not stay in the queue."""
        try:
            await self.printer.print_ticket(self._slip(ticket, intent), self.layout)
            return True
        except PrintError as exc:
            log.warning("ticket %s not printed: %s", ticket["number"], exc)
            self._set_printer(PrinterHealth(_ERROR_STATES.get(type(exc), "unknown"), str(exc)))
            reason = f"not_printed: {_ERROR_STATES.get(type(exc), 'unknown')}"
        except Exception as exc:
            log.exception("ticket %s not printed", ticket["number"])
            reason = f"not_printed: {type(exc).__name__}"
        await self._void(ticket["id"], reason)
        return False

    async def _void(self, ticket_id: int, reason: str) -> None:
        try:
            await self.client.void(ticket_id, reason)
            log.info("ticket %s voided (%s)", ticket_id, reason)
        except ClientError as exc:
            if exc.code not in _VOID_SETTLED:
                log.error("server refused to void ticket %s: %s", ticket_id, exc)
        except SERVER_TROUBLE:
            log.warning("ticket %s not voided yet: no server; will retry", ticket_id)
            self._unvoided.append((ticket_id, reason))

    async def _settle_leftovers(self) -> None:
        """After a reconnect: void what a failed tap may have left in the queue."""
        orphans, self._orphans = self._orphans, []
        for intent in orphans:
            try:
                ticket = (await self._send(intent))["ticket"]
            except ClientError:
                continue  # it never was issued, and now cannot be: nothing to undo
            except SERVER_TROUBLE:
                self._orphans.append(intent)
                continue
            if ticket["status"] in ("waiting", "called"):
                self._unvoided.append((ticket["id"], "not_printed: server unreachable"))
        unvoided, self._unvoided = self._unvoided, []
        for ticket_id, reason in unvoided:
            await self._void(ticket_id, reason)

    def _service(self, ticket: dict[str, Any], intent: Intent) -> Service:
        """The ticket's service: the server's answer (a check-in names it), else the tap's."""
        return self.services[ticket.get("service") or intent.service or ""]

    def _slip(self, ticket: dict[str, Any], intent: Intent) -> TicketSlip:
        service = self._service(ticket, intent)
        group = self._group(ticket.get("priority") or intent.priority)
        return TicketSlip(
            number=ticket["number"],
            service_name=service.name,
            issued_at=datetime.fromtimestamp(ticket["issued_at"], self.settings.tz),
            tracking_url=self._tracking_url(ticket),
            centre_name=self.site_name,
            waiting_ahead=max(0, int(ticket.get("ahead") or 0)),
            priority_group=group.name if group else None,
            **_slip_wait(ticket),
        )

    def _tracking_url(self, ticket: dict[str, Any]) -> str:
        """The ticket's page at the site's public address (a phone can open it)."""
        return f"{self.public_base}/t/{ticket['public_id']}"

    def _group(self, group_id: str | None) -> PriorityGroup | None:
        return next((g for g in self.priority_groups if g.id == group_id), None)

    def _show_ticket(
        self, ticket: dict[str, Any], intent: Intent, checkin: dict[str, Any] | None = None
    ) -> None:
        checkin = checkin or {}
        self.ticket = IssuedTicket(
            id=ticket["id"],
            number=ticket["number"],
            service=self._service(ticket, intent),
            priority=self._group(ticket.get("priority") or intent.priority),
            ahead=int(ticket.get("ahead") or 0),
            estimated_wait=_seconds(ticket.get("estimated_wait")),
            public_id=ticket["public_id"],
            booking=booking_key(intent.booking) if intent.booking is not None else None,
            message=str(checkin.get("message") or ""),
            message_en=str(checkin.get("message_en") or checkin.get("message") or ""),
            tracking_url=self._tracking_url(ticket),
            paperless=intent.paperless,
            calling=ticket.get("calling"),
        )
        self.priority = None  # the next citizen chooses again
        self.card = None  # the card's use is over: nothing of it stays
        self.page = Page.TICKET

    def _refuse_booking(self, code: str, exc: ClientError) -> None:
        """Back to the booking page with the code and the server's words; nothing issued.
        The client keeps only the Vietnamese message: the English is the server's own
        table for that code (the one its `message_en` comes from)."""
        message = exc.message or exc.code
        english = ERRORS[exc.code].en if exc.code in ERRORS else message
        self.booking_refusal = Refusal(exc.code, message, english)
        self.booking_code = code
        self.page = Page.BOOKING

    def _refuse_card(self, exc: ClientError) -> None:
        """Back to the card page with the server's plain words (no booking today…)."""
        if self.card is not None:
            message = plain_refusal(exc.code)
            english = ERRORS[exc.code].en if exc.code in ERRORS else tr("refused_body", "en")
            self.card = replace(self.card, refusal=Refusal(exc.code, message, english))
        self.page = Page.CARD

    def _show_notice(self, title: str, body: str | None, detail: str = "") -> None:
        self.notice = Notice(title, body or "", detail)
        self.priority = None
        self.page = Page.NOTICE

    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self._changed()

    # -- the printer ----------------------------------------------------------

    async def refresh_printer(self) -> PrinterHealth:
        status = await self.printer.status()
        self._set_printer(printer_health(status, self.printer.config.status_required))
        return self.printer_health

    async def _poll_printer(self) -> None:
        while True:
            if self._intent is None:
                try:
                    await self.refresh_printer()
                except Exception:
                    log.exception("printer status poll failed")
            await asyncio.sleep(self.settings.printer_poll_seconds)

    def _set_printer(self, health: PrinterHealth) -> None:
        was_ready = self.printer_ready
        state_changed = health.state != self.printer_health.state
        self.printer_health = health
        self._printer_checked = True
        if state_changed:
            log.info("printer %s %s", health.state, health.detail)
            if (
                was_ready
                and not self.printer_ready
                and self._intent is None
                and not self._keeps_page()
            ):
                self._reset()
            self._changed()
        self._report_printer()

    def _report_printer(self, force: bool = False) -> None:
        health = self.printer_health
        if self.client.state != "connected" or not self._printer_checked:
            return
        fresh = time.monotonic() - self._reported_at < self.settings.status_report_seconds
        if not force and self._reported and self._reported.state == health.state and fresh:
            return
        self._reported, self._reported_at = health, time.monotonic()
        message = tr(f"printer_{health.state}", "vi")
        if health.detail:
            message = f"{message}: {health.detail}"[:200]
        self._spawn(self._send_status(health.state, message))

    async def _send_status(self, state: str, message: str) -> None:
        try:
            await self.client.device_status(state, message)
        except (ClientError, *SERVER_TROUBLE) as exc:
            log.warning("printer state %s not reported: %s", state, exc)
            self._reported = None  # say it again after the reconnect

    # -- the server -----------------------------------------------------------

    def _on_welcome(self, welcome: dict[str, Any]) -> None:
        self._take_catalogue(welcome)
        self._reported = None  # a restarted server forgot our printer: tell it again
        self._report_printer(force=True)
        if self._orphans or self._unvoided:
            self._spawn(self._settle_leftovers())
        self._spawn(self._ask_notify_options())
        self._changed()

    def _take_catalogue(self, welcome: dict[str, Any]) -> None:
        """Sectors, services and priority groups from a welcome or a `config` event."""
        site = welcome.get("site") or {}
        self.site_name, self.site_name_en = site.get("name", ""), site.get("name_en", "")
        # links on the slip: the site's public address, else (not configured) our own
        self.public_base = (site.get("public_url") or self.server_base).rstrip("/")
        self.sectors = [
            Sector(s["id"], s["name"], s.get("name_en") or s["name"])
            for s in welcome.get("sectors", [])
        ]
        self.services = {
            s["id"]: Service(
                s["id"],
                s["name"],
                s.get("name_en") or s["name"],
                s["sector"],
                bool(s["open"]),
                s.get("opens_at"),
                int(s.get("waiting") or 0),
                int(s.get("estimated_wait") or 0),
            )
            for s in welcome.get("services", [])
        }
        self.priority_groups = sorted(
            (
                PriorityGroup(
                    g["id"],
                    g["name"],
                    g.get("name_en") or g["name"],
                    g.get("rank", 1),
                    g.get("min_age") if type(g.get("min_age")) is int else None,
                )
                for g in welcome.get("priority_groups", [])
            ),
            key=lambda g: g.rank,
        )
        if self.priority is not None:
            self.priority = self._group(self.priority.id)
        self.catalogue_version += 1

    async def _ask_notify_options(self) -> None:
        """Whether the server sends "your turn is near" messages, and at which counts."""
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
                http.get(f"{self.server_base}/api/messaging/options") as response,
            ):
                response.raise_for_status()
                options = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("messaging options not read, no text-message step: %s", exc)
            self.notify_offered = False
            self._changed()
            return
        choices = tuple(
            n for n in options.get("near_thresholds") or () if type(n) is int and n > 0
        )[:3]  # three buttons fit a row
        self.notify_offered = bool(options.get("enabled")) and bool(choices)
        self.notify_choices = choices or NOTIFY_AHEAD
        default = options.get("default_near")
        self.notify_default = default if default in self.notify_choices else self.notify_choices[0]
        self._changed()

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "config":  # an administrator changed the catalogue
            self._take_catalogue(event)
            self._changed()
            return
        if event.get("type") != "queue":
            return
        for figures in event.get("services", []):
            service = self.services.get(figures.get("id"))
            if service is None:
                continue
            self.services[service.id] = replace(
                service,
                waiting=int(figures.get("waiting") or 0),
                estimated_wait=int(figures.get("estimated_wait") or 0),
                open=bool(figures.get("open", service.open)),
                opens_at=figures.get("opens_at", service.opens_at),
            )
        self._changed()

    def _on_state(self, state: str) -> None:
        if state != "connected" and self._intent is None and not self._keeps_page():
            self._reset()
        self._changed()

    # -- helpers --------------------------------------------------------------

    def _outcome_showing(self) -> bool:
        """The outcome of a tap is on screen: a number, a notice, the sign-up's thanks."""
        return self.page in (Page.TICKET, Page.NOTICE) or (
            self.page is Page.NOTIFY and self.notify is not None and self.notify.done
        )

    def _keeps_page(self) -> bool:
        """A blip of the server or the printer leaves this page as it is: the staff
        re-registering, and a citizen reading an outcome (the idle timer ends it)."""
        return self.page is Page.STAFF or self._outcome_showing()

    def _navigate(self, page: Page, **changes: Any) -> None:
        if self._intent is not None:
            return  # nothing moves while a ticket is on its way
        for key, value in changes.items():
            setattr(self, key, value)
        self.page = page
        self._arm_idle()
        self._changed()

    def _reset(self) -> None:
        """Back to the start for the next citizen: home, Vietnamese, no choices kept."""
        self.page, self.language, self.sector_id = Page.HOME, "vi", None
        self.query = self.booking_code = ""
        self.priority = None
        self.ticket = self.notice = self.booking_refusal = None
        self.notify = None
        self.guide_query, self.guide_procedure, self.guide_print = "", None, ""
        self.lookup.clear()
        self.dossier.clear()
        self.card, self.card_error = None, None
        self.paperless = self.large_text = self.voice = False
        self.guide.stop()
        self.staff_open, self.staff_pin_typed = False, ""

    def _arm_idle(self) -> None:
        if self._idle:
            self._idle.cancel()
        delay = (
            self.settings.ticket_seconds if self._outcome_showing() else self.settings.idle_seconds
        )
        with contextlib.suppress(RuntimeError):  # no loop yet: nothing to time
            self._idle = asyncio.get_running_loop().call_later(delay, self._on_idle)

    def _on_idle(self) -> None:
        self._idle = None
        if self._intent is not None:
            self._arm_idle()
            return
        fresh = (
            self.page is Page.HOME
            and self.language == "vi"
            and self.priority is None
            and not (self.large_text or self.voice or self.paperless)
        )
        if not fresh:
            self._reset()
            self._changed()

    def _changed(self) -> None:
        starting = self.client.state == "connecting" and not self.client.last_error
        fault = "" if self.in_service or starting else self.out_of_service_reason()
        if fault != self._fault_logged:  # the technical detail: to the log, once a change
            if fault:
                log.warning("out of service: %s", fault)
            self._fault_logged = fault
        self._speak()
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("kiosk view failed to render")

    def _speak(self) -> None:
        """With the voice on, say once what a newly shown screen asks."""
        if not self.voice:
            self._spoken_for = None
            return
        screen = self.screen
        number = self.ticket.number if screen is Page.TICKET and self.ticket else ""
        if self._spoken_for == (screen.value, number):
            return
        self._spoken_for = (screen.value, number)
        paperless = bool(self.ticket and self.ticket.paperless)
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to play on
            self.guide.say(prompt_clips(screen.value, number or None, paperless))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _seconds(value: Any) -> int | None:
    return None if value is None else int(value)


def _slip_wait(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The slip's wait line: minutes, or the screen's own sentence (soon, no estimate, the
    counters away) in both languages, so paper and screen say the same thing."""
    seconds, calling = _seconds(ticket.get("estimated_wait")), ticket.get("calling")
    if calling or seconds is None or seconds < 60:
        return {
            "wait_note": wait_sentence(seconds, calling, "vi"),
            "wait_note_en": wait_sentence(seconds, calling, "en"),
        }
    return {"estimated_wait_minutes": minutes(seconds)}
