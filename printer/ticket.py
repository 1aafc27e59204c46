"""What goes on a ticket (`TicketSlip`) and how it is worded and laid out (`SlipLayout`).

Both are plain dataclasses the caller fills; they know nothing of the server's types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

import assets

FONT_DIR = assets.FONTS


@dataclass(frozen=True)
class TicketSlip:
    """One issued ticket, as the kiosk knows it at print time."""

    number: str
    service_name: str
    issued_at: datetime
    tracking_url: str
    centre_name: str
    waiting_ahead: int = 0
    estimated_wait_minutes: int | None = None
    priority_group: str | None = None
    # what the kiosk's screen says instead of minutes (soon, no estimate, the counters
    # away until 13:00): printed as it is, so screen and paper say the same thing
    wait_note: str = ""
    wait_note_en: str = ""

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("TicketSlip.issued_at must be timezone-aware")
        if self.waiting_ahead < 0:
            raise ValueError("TicketSlip.waiting_ahead must be >= 0")


@dataclass(frozen=True)
class SlipLayout:
    """Wording and layout of the slip; `{…}` fields are filled from the `TicketSlip`."""

    header_lines: tuple[str, ...] = ()
    title: str = "SỐ THỨ TỰ"
    title_en: str = "YOUR NUMBER"
    priority_text: str = "Ưu tiên: {group}"
    priority_text_en: str = "Priority"
    waiting_text: str = "Số người chờ trước Ông/Bà: {n}"
    waiting_text_en: str = "People ahead of you: {n}"
    wait_text: str = "Thời gian chờ dự kiến: khoảng {minutes} phút"
    wait_text_en: str = "Estimated wait: about {minutes} min"
    issued_text: str = "Giờ lấy số: {time}  ngày {date}"
    issued_text_en: str = "Issued {date} {time}"
    qr_caption: str = "Quét mã để theo dõi lượt của Ông/Bà"
    qr_caption_en: str = "Scan to follow your turn"
    footer: str = "Vui lòng theo dõi số trên màn hình và loa gọi số"
    footer_en: str = "Please watch the screens and listen for your number"
    show_english: bool = True
    show_qr: bool = True
    logo_path: str | None = None
    date_format: str = "%d/%m/%Y"
    time_format: str = "%H:%M"
    display_tz: tzinfo | None = None
    font_regular: Path = field(default=FONT_DIR / "NotoSans-Regular.ttf")
    font_bold: Path = field(default=FONT_DIR / "NotoSans-Bold.ttf")
    margin_dots: int = 12
    number_cap_dots: int = 136
