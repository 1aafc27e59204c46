"""The QR on the front of a chip ID card (CCCD / thẻ căn cước), read by the kiosk's scanner.

Pure: no Qt, no I/O, no clock (today is passed in). The card's QR holds fields separated
by ``|``::

    001095012345|123456789|Nguyễn Văn An|01011950|Nam|Số 1 Lý Thái Tổ, Hoàn Kiếm, Hà Nội|15082021

the 12-digit ID number, the old 9-digit number (may be empty), full name, date of birth
(ddmmyyyy), sex, address, date of issue (ddmmyyyy). Tolerated, because they circulate:
no old number, a missing address or date of issue (older and newer cards), extra fields at
the end (the 2024 thẻ căn cước), spaces around fields, decomposed (NFD) Vietnamese, and
UTF-8 that a keyboard-wedge scanner typed as Latin-1/CP-1252 ("Nguyá»…n"). Anything else
is refused with a `CardError` whose `reason` keys a plain sentence (kiosk/text.py).

What is parsed lives only as long as the screen that uses it: see `KioskModel.card`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

ID_DIGITS = re.compile(r"\d{12}")
OLD_DIGITS = re.compile(r"\d{9}")
DATE_DIGITS = re.compile(r"\d{8}")
OLDEST = 130  # years: a date of birth further back is a damaged field, not a citizen
MIN_FIELDS = 4  # ID number, old number, name, date of birth: without them it is no card


class CardError(ValueError):
    """Not a readable ID card QR; `reason` is one of: not_card, damaged, future_birth."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail  # for the log: never the card's content


@dataclass(frozen=True)
class IdCard:
    """What the card says. `repr` hides the personal fields, so a log line cannot leak them."""

    id_number: str
    name: str
    birth: date
    sex: str = ""
    old_number: str = ""
    issued: date | None = None

    def __repr__(self) -> str:
        return f"IdCard(born {self.birth.year}, …)"

    __str__ = __repr__

    def age(self, today: date) -> int:
        """Whole years on `today`."""
        had_birthday = (today.month, today.day) >= (self.birth.month, self.birth.day)
        return today.year - self.birth.year - (0 if had_birthday else 1)


def looks_like_card(text: str) -> bool:
    """Whether a scan goes to the card reader rather than to the booking check-in: any
    ``|`` (a booking code or a URL never has one). So a damaged card is refused here,
    plainly, and never sent to the server as a "booking code" with a name in it."""
    return "|" in text


def parse_card(text: str, today: date) -> IdCard:
    """The card in `text`, or `CardError`."""
    text = _repair(text).strip().strip("\x00")
    if "|" not in text:
        raise CardError("not_card", "no field separator")
    parts = [p.strip() for p in text.split("|")]
    while parts and not parts[-1]:
        parts.pop()  # a trailing "|" (some scanners, some cards)
    if len(parts) < MIN_FIELDS:
        raise CardError("damaged" if ID_DIGITS.fullmatch(parts[0]) else "not_card", "too few")
    id_number, old, name, born = parts[:4]
    if not ID_DIGITS.fullmatch(id_number):
        raise CardError("not_card", f"first field is not 12 digits ({len(id_number)} chars)")
    if old and not OLD_DIGITS.fullmatch(old):
        raise CardError("damaged", "old number is not 9 digits")
    name = " ".join(name.split())
    if not name or any(c.isdigit() for c in name) or not all(_letter(c) for c in name):
        raise CardError("damaged", "name field is not a name")
    birth = _date(born)
    if birth is None:
        raise CardError("damaged", "date of birth is not ddmmyyyy")
    if birth > today:
        raise CardError("future_birth", "date of birth after today")
    if today.year - birth.year > OLDEST:
        raise CardError("damaged", "date of birth too far back")
    sex = parts[4] if len(parts) > 4 else ""
    issued = _date(parts[6]) if len(parts) > 6 else None
    return IdCard(id_number, name, birth, sex, old, issued)


def _letter(c: str) -> bool:
    return c.isalpha() or c in " .-'"


def _date(text: str) -> date | None:
    if not DATE_DIGITS.fullmatch(text):
        return None
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def _repair(text: str) -> str:
    """NFC, and UTF-8 bytes that arrived as CP-1252 (or, for the bytes CP-1252 lacks,
    Latin-1) characters decoded again. Genuine Vietnamese never survives that round trip
    (its letters are not all one-byte characters, or the bytes are not UTF-8), so it
    is left as it is."""
    if any("\u0080" <= c <= "\u00ff" for c in text):
        try:
            raw = b"".join(_byte(c) for c in text)
            text = raw.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return unicodedata.normalize("NFC", text)


def _byte(c: str) -> bytes:
    try:
        return c.encode("cp1252")
    except UnicodeEncodeError:
        return c.encode("latin-1")
