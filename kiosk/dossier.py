"""The kiosk's "Tra cứu hồ sơ": a citizen types the code of the appointment slip (or
scans its barcode or QR) and the last 4 digits of the phone on the dossier, and sees
where the dossier stands; a dossier ready for pickup offers a ticket straight for the
result-return service.

`DossierLookup` is the asyncio part (no Qt): it asks the server (`dossier_lookup`) and
keeps the answer or the refusal in the citizen's language — "Vui lòng thử lại sau"
when the province's system or the server does not answer, never a raw error.
The Qt view over it is `kiosk.dossier_page.DossierPage`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from queue_protocol.client import ClientError, NotConnected, QueueClient


class Kiosk(Protocol):
    """What the look-up needs of the kiosk's model (`kiosk.model.KioskModel`)."""

    language: str
    client: QueueClient

    def take_ticket(self, service_id: str) -> asyncio.Task[None] | None: ...


# Vietnamese first, English second; the citizen is "Ông/Bà".
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Tra cứu hồ sơ", "Dossier status"),
    "hint": (
        "Nhập mã hồ sơ trên phiếu hẹn (hoặc đưa mã vạch vào máy quét) và 4 số cuối "
        "của số điện thoại Ông/Bà đã khai.",
        "Type the code on your appointment slip (or scan its barcode) and the last 4 "
        "digits of the phone number on the dossier.",
    ),
    "code": ("Mã hồ sơ", "Dossier code"),
    "phone4": ("4 số cuối điện thoại", "Last 4 phone digits"),
    "submit": ("Tra cứu", "Look up"),
    "back": ("Quay lại", "Back"),
    "due": ("Ngày hẹn trả kết quả: {due}", "Result due on: {due}"),
    "pickup": ("Lấy số nhận kết quả", "Take a number to collect it"),
    "retry": (
        "Hệ thống tra cứu hồ sơ đang bận. Vui lòng thử lại sau.",
        "The dossier system is busy. Please try again later.",
    ),
    "need_both": (
        "Vui lòng nhập mã hồ sơ và đủ 4 số cuối của số điện thoại.",
        "Please enter the dossier code and the last 4 digits of the phone number.",
    ),
}
_CODE_CHARS = re.compile(r"[^A-Z0-9.\-/]")
_SEPARATORS = re.compile(r"[.\-/]")


def say(key: str, language: str, **fields: object) -> str:
    vi, en = TEXT[key]
    return (en if language == "en" else vi).format(**fields)


def code_from_scan(text: str) -> str:
    """The dossier code in what the scanner typed: the Code 128 holds the code itself,
    the QR may hold the look-up page's link (`…/tra-cuu/ho-so?ma=CODE`)."""
    text = text.strip()
    if text.lower().startswith(("http://", "https://")):
        found = parse_qs(urlsplit(text).query).get("ma", [""])[0]
        return _CODE_CHARS.sub("", found.upper())
    return _CODE_CHARS.sub("", text.upper())


def is_dossier_scan(text: str) -> bool:
    """Whether the scanner read a slip's code (not a booking's): the look-up link, or a
    code with two or more separators (`HS-261203-0001`, `000.00.15.H09-…`); a booking
    code has at most one dash."""
    text = text.strip()
    if text.lower().startswith(("http://", "https://")):
        return "ma=" in text
    return len(_SEPARATORS.findall(text)) >= 2


class DossierLookup:
    """What the page shows: the two fields, then the answer or the refusal."""

    def __init__(self, model: Kiosk) -> None:
        self.model = model
        self.code = ""
        self.phone4 = ""
        self.result: dict[str, Any] | None = None
        self.refusal: str | None = None
        self.busy = False
        self.listeners: list[Callable[[], None]] = []

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    def clear(self) -> None:
        self.code = self.phone4 = ""
        self.result = self.refusal = None
        self._changed()

    def set_code(self, text: str) -> None:
        self.code, self.result, self.refusal = code_from_scan(text)[:40], None, None
        self._changed()

    def set_phone4(self, digits: str) -> None:
        self.phone4 = "".join(ch for ch in digits if ch.isdigit())[:4]
        self.result = self.refusal = None
        self._changed()

    def scanned(self, text: str) -> None:
        """The slip scanned: the code goes in; the digits are still the citizen's to give."""
        self.set_code(text)

    async def ask(self, timeout: float = 10.0) -> None:
        lang = self.model.language
        if not self.code or len(self.phone4) != 4:
            self.refusal = say("need_both", lang)
            self._changed()
            return
        self.busy, self.result, self.refusal = True, None, None
        self._changed()
        try:
            async with asyncio.timeout(timeout):  # the server answers in its own time bound
                answer = await self.model.client.request(
                    "dossier_lookup", code=self.code, phone4=self.phone4
                )
        except ClientError as exc:
            self.refusal = _refusal(exc, lang)
        except (NotConnected, TimeoutError, ConnectionError):
            self.refusal = say("retry", lang)
        else:
            self.result = answer["dossier"]
        finally:
            self.busy = False
            self._changed()

    def status_text(self) -> str:
        r = self.result or {}
        return str(r.get("status_text_en" if self.model.language == "en" else "status_text", ""))

    def pickup_service(self) -> dict[str, Any] | None:
        return (self.result or {}).get("result_service")

    def take_pickup_ticket(self) -> asyncio.Task[None] | None:
        """ "Lấy số nhận kết quả": a ticket straight for the result-return service."""
        service = self.pickup_service()
        return None if service is None else self.model.take_ticket(service["id"])


def _refusal(exc: ClientError, lang: str) -> str:
    """The server's own sentence for a wrong code or digits; "thử lại sau" otherwise."""
    if exc.code in ("dossier_unavailable", "unavailable", "internal") or not exc.message:
        return say("retry", lang)
    return exc.message_en if lang == "en" else exc.message
