"""Online bookings: what a citizen may book, the details they give, and the check-in window.

Pure like the rest of the domain: no clock (time is passed in), no randomness
(codes are chosen at the edge), no I/O. `BookingBook` holds the bookings of today
and the days ahead; `QueueState` owns one and changes it only through events.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter as Tally
from dataclasses import dataclass
from enum import StrEnum

from queue_protocol.errors import QueueError
from queue_server.domain.config import SiteConfig
from queue_server.domain.hours import _is_working_day, local_time
from vntext import nfc

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read aloud, typed on a kiosk
CODE_LENGTH = 8
_PHONE = re.compile(r"0[35789]\d{8}")
_CCCD = re.compile(r"\d{12}")
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
MAX_NAME = 80


# ----- the citizen's details ------------------------------------------------


def normalize_phone(text: str) -> str:
    """A Vietnamese mobile number as 0xxxxxxxxx; `+84…` and spaces, dots, dashes accepted."""
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise QueueError("bad_phone", text[:40] if text else "empty")
    return digits


def normalize_cccd(text: str) -> str:
    """The 12 digits of a citizen identity card (spaces allowed between groups)."""
    digits = re.sub(r"\s", "", text or "")
    if not _CCCD.fullmatch(digits):
        raise QueueError("bad_cccd")
    return digits


def normalize_name(text: str) -> str:
    """The name as typed, NFC, single spaces; letters needed, no control characters."""
    name = " ".join(nfc(text or "").split())
    if (
        not (2 <= len(name) <= MAX_NAME)
        or not any(ch.isalpha() for ch in name)
        or not name.isprintable()
        or any(ch in "<>{}" for ch in name)
    ):
        raise QueueError("bad_name")
    return name


def normalize_code(text: str) -> str:
    """A booking code as typed or scanned: case, spaces and dashes do not matter."""
    code = re.sub(r"[\s\-]", "", text or "").upper()
    if not _CODE.fullmatch(code):
        raise QueueError("unknown_booking", (text or "")[:40])
    return code


def format_code(code: str) -> str:
    """ABCD-2345: easier to read out and to type."""
    return f"{code[:4]}-{code[4:]}"


# ----- days and slots -------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: float  # epoch seconds
    end: float
    label: str  # "07:30", local time
    places: int


def booking_days(config: SiteConfig, now: float) -> list[dt.date]:
    """Working days from today to the horizon (closed days and holidays left out)."""
    today = local_time(config.site, now).date()
    days = (today + dt.timedelta(days=n) for n in range(config.booking.horizon_days + 1))
    return [day for day in days if _is_working_day(config.site, day)]


def bookable(config: SiteConfig, service: str) -> bool:
    allowed = config.booking.services
    return (
        config.booking.enabled
        and service in config.services
        and (allowed is None or service in allowed)
    )


# The slots of (configuration, service, day), computed once: every booking asks (a
# day's 16 slots cost ~0.2 ms of datetime arithmetic on the writer's path). The few
# latest configurations are kept (a configuration is immutable; the admin makes new ones).
_SLOTS: dict[int, tuple[SiteConfig, dict[tuple[str, dt.date], list[Slot]]]] = {}
_SLOTS_CONFIGS = 4


def slots(config: SiteConfig, service: str, day: dt.date) -> list[Slot]:
    """The day's slots for a service: its opening hours cut into `slot_minutes` pieces."""
    held = _SLOTS.get(id(config))
    if held is None or held[0] is not config:
        while len(_SLOTS) >= _SLOTS_CONFIGS:
            del _SLOTS[next(iter(_SLOTS))]
        held = _SLOTS[id(config)] = (config, {})
    known = held[1]
    if (service, day) not in known:
        if len(known) > 4096:
            known.clear()
        known[(service, day)] = _cut(config, service, day)
    return list(known[(service, day)])


def _cut(config: SiteConfig, service: str, day: dt.date) -> list[Slot]:
    site, rules = config.site, config.booking
    step = dt.timedelta(minutes=rules.slot_minutes)
    out = []
    for open_at, close_at in config.services[service].hours or site.hours:
        start = dt.datetime.combine(day, open_at, site.tz)
        close = dt.datetime.combine(day, close_at, site.tz)
        while start + step <= close:
            places = rules.places(service, start.time())
            if places > 0:
                out.append(
                    Slot(start.timestamp(), (start + step).timestamp(), f"{start:%H:%M}", places)
                )
            start += step
    return out


def find_slot(config: SiteConfig, service: str, day: dt.date, start: float) -> Slot | None:
    return next((s for s in slots(config, service, day) if s.start == start), None)


def checkin_window(config: SiteConfig, slot_at: float) -> tuple[float, float]:
    rules = config.booking
    return (slot_at - rules.checkin_before_minutes * 60, slot_at + rules.checkin_after_minutes * 60)


# ----- the bookings ---------------------------------------------------------


class BookingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"


@dataclass
class Booking:
    code: str
    service: str
    day: str  # ISO date, the site's time zone
    slot_at: float
    created_at: float  # also when the citizen consented to the notice below
    notice_version: str
    name: str | None  # personal data: None once purged
    phone: str | None
    cccd: str | None
    cancel_hash: str
    status: BookingStatus = BookingStatus.ACTIVE
    ticket_id: int | None = None
    checked_in_at: float | None = None
    late: bool | None = None
    cancelled_at: float | None = None
    messages: bool = False  # the citizen asked for the confirmation and reminders by SMS


class BookingBook:
    """Today's and future bookings, with the counts the rules need."""

    def __init__(self) -> None:
        self.by_code: dict[str, Booking] = {}
        self._taken: Tally[tuple[str, float]] = Tally()
        self._by_phone: dict[tuple[str, str, str], str] = {}
        self._per_phone: Tally[str] = Tally()  # standing bookings per phone

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def get(self, code: str) -> Booking | None:
        return self.by_code.get(code)

    def taken(self, service: str, slot_at: float) -> int:
        return self._taken[(service, slot_at)]

    def holder_of(self, phone: str, service: str, day: str) -> str | None:
        """The code of the phone's booking for this service and day, if it stands."""
        return self._by_phone.get((phone, service, day))

    def standing(self, phone: str) -> int:
        """How many bookings of today and later this phone holds (not cancelled)."""
        return self._per_phone[phone]

    def add(self, booking: Booking) -> None:
        if booking.code in self.by_code:
            return  # already loaded from the bookings table
        self.by_code[booking.code] = booking
        if booking.status is not BookingStatus.CANCELLED:
            self._taken[(booking.service, booking.slot_at)] += 1
            if booking.phone:
                self._by_phone[(booking.phone, booking.service, booking.day)] = booking.code
                self._per_phone[booking.phone] += 1

    def cancel(self, code: str, at: float) -> None:
        booking = self.by_code[code]
        if booking.status is BookingStatus.CANCELLED:
            return
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, at
        self._taken[(booking.service, booking.slot_at)] -= 1
        if booking.phone:
            self._by_phone.pop((booking.phone, booking.service, booking.day), None)
            self._per_phone[booking.phone] -= 1

    def of_day(self, service: str, day: str) -> list[Booking]:
        """The bookings of a service on a day (a scan: the centre's rare cancellations)."""
        return [b for b in self.by_code.values() if b.service == service and b.day == day]

    def for_card(self, cccd: str, day: str) -> str:
        """The code of the active booking on `day` made with this CCCD (the kiosk's ID
        card scan; issue 20): the earliest slot if there are several. Compares with what
        the booking already holds and keeps nothing."""
        mine = [b for b in self.by_code.values() if b.day == day and b.cccd == cccd]
        found = sorted((b.slot_at, b.code) for b in mine if b.status is BookingStatus.ACTIVE)
        if found:
            return found[0][1]
        if any(b.status is BookingStatus.CHECKED_IN for b in mine):
            raise QueueError("booking_used")  # a second scan: the number is given already
        raise QueueError("no_booking_for_card")

    def drop_before(self, day: str) -> None:
        """Forget bookings of past days (the bookings table keeps them)."""
        for code in [c for c, b in self.by_code.items() if b.day < day]:
            booking = self.by_code.pop(code)
            if booking.status is not BookingStatus.CANCELLED:
                self._taken[(booking.service, booking.slot_at)] -= 1
                if booking.phone:
                    self._per_phone[booking.phone] -= 1
            if booking.phone:
                self._by_phone.pop((booking.phone, booking.service, booking.day), None)
