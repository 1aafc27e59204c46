"""Sample tickets for the demo, the bench and the tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from printer.ticket import TicketSlip

VIETNAM = timezone(timedelta(hours=7), "ICT")
LONG_SERVICE = "ỨNG DỤNG CÔNG NGHỆ – Hộ tịch, Đất đai, Ưu tiên"
# every Vietnamese vowel with no mark and the five tone marks, capital then small
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
ALL_TONED_VOWELS = " ".join("".join(v + t for t in _TONES) for v in [*_VOWELS.upper(), *_VOWELS])


def sample_slip(**changes: Any) -> TicketSlip:
    slip = TicketSlip(
        number="A015",
        service_name=LONG_SERVICE,
        issued_at=datetime(2026, 3, 2, 8, 15, tzinfo=VIETNAM),
        tracking_url="https://xephang.example.vn/t/A015-7F3K",
        centre_name="Trung tâm Phục vụ Hành chính công tỉnh Bình Dương",
        waiting_ahead=7,
        estimated_wait_minutes=25,
        priority_group="Người cao tuổi",
    )
    return replace(slip, **changes)
