"""A booking as an iCalendar event (RFC 5545), for the citizen's phone calendar.

Pure text: no personal data goes in (no name, no phone), only what the booking code
already tells — the service, the time, where, and how to check in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from queue_server.domain.config import SiteConfig

REMIND_BEFORE = "-PT1H"  # the phone reminds an hour before


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold_line(line: str) -> str:
    """Lines of at most 75 octets, continued with a space, never inside a character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74  # a continuation starts with one space
        if len((current + char).encode()) > limit:
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def booking_ics(config: SiteConfig, view: dict[str, Any], now: float, *, base_url: str = "") -> str:
    """The event of a booking; `view` is `BookingDesk.booking_view(booking)`.

    A cancelled booking gives the cancellation of the same event (RFC 5546: METHOD:CANCEL,
    the same UID, a higher SEQUENCE, STATUS:CANCELLED), so a phone that imported it
    removes or strikes it. Both carry the booking page's link (`[site] public_url`, else
    `base_url`, the address the request came to).
    """
    site = config.site
    cancelled = view.get("status") == "cancelled"
    page = f"{site.public_url or base_url.rstrip('/')}/dat-lich"
    start = view["slot_at"]
    end = start + config.booking.slot_minutes * 60
    code = view["code_display"]
    window = f"{view['checkin_from']}–{view['checkin_until']}"
    description = (
        f"Mã đặt lịch: {code}. Đến máy lấy số từ {window}, nhập mã hoặc quét mã QR.\n"
        f"Booking code: {code}. At the ticket kiosk between {window}, type the code or "
        f"scan the QR code.\nĐặt lịch / Booking: {page}"
    )
    summary = f"{view['service_name']} – {site.name}"
    if cancelled:
        description = (
            f"Lịch hẹn {code} đã được huỷ. Đặt lịch mới: {page}\n"
            f"Booking {code} was cancelled. Book again: {page}"
        )
        summary = f"Đã huỷ / Cancelled: {summary}"
    where = site.name if site.address in ("", "-") else f"{site.name}, {site.address}"
    reminder = f"Lịch hẹn {code} lúc {view['time']}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Xep hang//Dat lich//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{view['code']}@xephang",
        f"SEQUENCE:{1 if cancelled else 0}",
        "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(where)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{page}",
        *(
            ()
            if cancelled
            else (
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:{REMIND_BEFORE}",
                f"DESCRIPTION:{_escape(reminder)}",
                "END:VALARM",
            )
        ),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold_line(line) for line in lines) + "\r\n"
