"""Dossiers (hồ sơ): what a citizen handed in at a counter, and where it stands now.

A dossier gets a code at reception; the appointment slip (phiếu hẹn) carries it with the
return date, counted in working days (`return_date`). Citizens look a dossier up by its
code and the last four digits of the phone on it (`check_phone_digits`): a code alone
reveals nothing, and a refusal never says which of the two was wrong.

Where the record comes from (the province's one-stop system over HTTP, or the centre's
own table) is the adapters' business (`queue_server.dossiers`); this module holds the
record, its states, the mapping of a foreign JSON record onto it and the date rules.
Pure: no I/O, no clock (today is passed in).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from queue_protocol.errors import QueueError
from vntext import nfc


class DossierStatus(StrEnum):
    RECEIVED = "received"  # đã tiếp nhận
    IN_PROGRESS = "in_progress"  # đang giải quyết (at `unit`)
    ADDITIONAL_DOCUMENTS = "additional_documents"  # cần bổ sung giấy tờ
    READY = "ready"  # có kết quả, chờ trả
    RETURNED = "returned"  # đã trả kết quả
    OVERDUE = "overdue"  # quá hạn


# What the citizen reads for each state: Vietnamese, then English. `{unit}` and `{due}`
# are filled from the record.
STATUS_TEXT: dict[DossierStatus, tuple[str, str]] = {
    DossierStatus.RECEIVED: (
        "Đã tiếp nhận, hẹn trả kết quả ngày {due}",
        "Received; result due on {due}",
    ),
    DossierStatus.IN_PROGRESS: (
        "Đang giải quyết tại {unit}, hẹn trả kết quả ngày {due}",
        "Being processed at {unit}; result due on {due}",
    ),
    DossierStatus.ADDITIONAL_DOCUMENTS: (
        "Cần bổ sung giấy tờ: {note}",
        "Additional documents needed: {note}",
    ),
    DossierStatus.READY: (
        "Đã có kết quả, mời Ông/Bà đến nhận",
        "The result is ready for pickup",
    ),
    DossierStatus.RETURNED: ("Đã trả kết quả", "The result has been returned"),
    DossierStatus.OVERDUE: (
        "Quá hạn hẹn trả (ngày {due}); Trung tâm xin lỗi Ông/Bà và sẽ báo ngày trả mới",
        "Overdue (due on {due}); the centre apologises and will set a new date",
    ),
}

# Still with the administration: a past due date makes these overdue.
_OPEN = {DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS, DossierStatus.ADDITIONAL_DOCUMENTS}
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{3,39}$")
DATE_FORMAT = "%d/%m/%Y"


@dataclass(frozen=True)
class Dossier:
    code: str  # as printed on the slip, e.g. "000.00.15.H09-261203-0001"
    procedure_code: str
    procedure_name: str
    citizen_name: str
    phone: str  # national form, 0xxxxxxxxx
    status: DossierStatus
    received_on: dt.date
    due_on: dt.date
    unit: str = ""  # the body processing it now
    note: str = ""  # e.g. which documents to add
    documents: tuple[str, ...] = ()  # the papers received
    officer: str = ""
    counter: int | None = None
    ticket_id: int | None = None  # the ticket being served when it was received
    updated_at: float = 0.0

    def shown_status(self, today: dt.date) -> DossierStatus:
        """The state to tell the citizen: an open dossier past its date is overdue."""
        if self.status in _OPEN and self.due_on < today:
            return DossierStatus.OVERDUE
        return self.status

    def status_text(self, today: dt.date, lang: str = "vi") -> str:
        vi, en = STATUS_TEXT[self.shown_status(today)]
        return (vi if lang == "vi" else en).format(
            unit=self.unit or ("cơ quan chuyên môn" if lang == "vi" else "the department"),
            due=self.due_on.strftime(DATE_FORMAT),
            note=self.note
            or ("xin liên hệ quầy tiếp nhận" if lang == "vi" else "ask at the counter"),
        )


def normalize_code(text: str) -> str:
    """A dossier code as typed or scanned → its canonical form, or `bad_request`."""
    code = nfc(text).strip().upper().replace(" ", "")
    if not _CODE.match(code):
        raise QueueError("bad_dossier_code")
    return code


def check_phone_digits(dossier: Dossier | None, digits: str) -> Dossier:
    """The dossier, if `digits` are the last four of its phone; else one refusal that
    does not say whether the code or the digits were wrong."""
    digits = digits.strip()
    if dossier is None or len(digits) != 4 or not digits.isdigit():
        raise QueueError("dossier_not_found")
    if not dossier.phone.endswith(digits):
        raise QueueError("dossier_not_found")
    return dossier


def return_date(
    received: dt.date,
    working_days: int,
    holidays: Iterable[dt.date] = (),
    workdays: frozenset[int] = frozenset(range(5)),
) -> dt.date:
    """The day the result is due: `working_days` working days after `received` (the day
    of receipt does not count; 0 = the same day). Weekends (days not in `workdays`,
    Monday = 0) and `holidays` (including compensating days off) are skipped."""
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    off = set(holidays)
    day, left = received, working_days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() in workdays and day not in off:
            left -= 1
    return day


# --- a foreign system's JSON record → Dossier -------------------------------------------


@dataclass(frozen=True)
class FieldMapping:
    """Where each of our fields sits in the province system's JSON (dotted paths), and
    how its states and dates are written. Defaults are our own names."""

    code: str = "code"
    procedure_code: str = "procedure_code"
    procedure_name: str = "procedure_name"
    citizen_name: str = "citizen_name"
    phone: str = "phone"
    status: str = "status"
    received_on: str = "received_on"
    due_on: str = "due_on"
    unit: str = "unit"
    note: str = "note"
    date_format: str = "%Y-%m-%d"
    # their state value → ours; a state not listed is refused as a bad record
    statuses: Mapping[str, DossierStatus] = field(
        default_factory=lambda: {s.value: s for s in DossierStatus}
    )


class BadRecord(ValueError):
    """The foreign record does not fit the mapping (says which field)."""


def _path(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def from_record(record: Mapping[str, Any], mapping: FieldMapping) -> Dossier:
    """Map one JSON record of the province system onto a `Dossier` (or `BadRecord`)."""

    def text(name: str, required: bool = True) -> str:
        value = _path(record, getattr(mapping, name))
        if value is None or value == "":
            if required:
                raise BadRecord(f"{getattr(mapping, name)} is missing")
            return ""
        return nfc(str(value)).strip()

    def date(name: str) -> dt.date:
        raw = text(name)
        try:
            return dt.datetime.strptime(raw, mapping.date_format).date()
        except ValueError:
            pass
        try:  # ISO dates with a time part, as many systems send them
            return dt.datetime.fromisoformat(raw).date()
        except ValueError:
            raise BadRecord(f"{getattr(mapping, name)}: {raw!r} is not a date") from None

    raw_status = text("status")
    status = mapping.statuses.get(raw_status)
    if status is None:
        raise BadRecord(f"{mapping.status}: {raw_status!r} is not a known state")
    return Dossier(
        code=normalize_code(text("code")),
        procedure_code=text("procedure_code", required=False),
        procedure_name=text("procedure_name", required=False),
        citizen_name=text("citizen_name", required=False),
        phone=normalize_phone_digits(text("phone")),
        status=status,
        received_on=date("received_on"),
        due_on=date("due_on"),
        unit=text("unit", required=False),
        note=text("note", required=False),
    )


def normalize_phone_digits(phone: str) -> str:
    """Digits only, +84/84 written as the national 0."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits
