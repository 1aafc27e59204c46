"""Every text a citizen receives by message, Vietnamese first, English second.

One table: text id → (Vietnamese, English), with `{placeholders}` filled from the
notice's parameters (`queue_server.domain.notify`). The citizen is "Ông/Bà". Each
text has a budget of SMS parts (`BUDGET`), checked by a test with the longest
values the sample site can produce, so a change of wording cannot quietly double
the centre's SMS bill.
"""

from __future__ import annotations

from collections.abc import Mapping

from vntext import nfc

TEXTS: dict[str, tuple[str, str]] = {
    "booking_made": (
        "{place}: Ông/Bà đã đặt lịch {service} lúc {time} ngày {date}, mã {code}.{cancel}",
        "{place}: you booked {service} at {time} on {date}, code {code}.{cancel}",
    ),
    "cancel_link": (" Huỷ lịch: {cancel_link}", " To cancel: {cancel_link}"),
    "reminder_day": (
        "Nhắc lịch hẹn: ngày mai {date} lúc {time}, {service}, mã {code}. Mời Ông/Bà đến đúng giờ.",
        "Reminder: tomorrow {date} at {time}, {service}, code {code}. Please come on time.",
    ),
    "reminder_hour": (
        "Nhắc lịch hẹn: hôm nay lúc {time}, {service}, mã {code}. "
        "Ông/Bà nhập mã tại kiosk để lấy số.",
        "Reminder: today at {time}, {service}, code {code}. "
        "Enter the code at the kiosk for your number.",
    ),
    "booking_cancelled": (
        "Trung tâm xin lỗi Ông/Bà: lịch hẹn {code} ({service}, {time} ngày {date}) "
        "đã bị huỷ. Lý do: {reason}. Mời Ông/Bà đặt lịch ngày khác.",
        "We are sorry: your booking {code} ({service}, {time} on {date}) was cancelled. "
        "Reason: {reason}. Please book another day.",
    ),
    "near": (
        "Số {number}: còn {ahead} người trước Ông/Bà. Mời Ông/Bà về khu vực chờ.",
        "Number {number}: {ahead} people ahead of you. Please come back to the waiting area.",
    ),
    "near_next": (
        "Số {number}: Ông/Bà là người tiếp theo. Mời Ông/Bà về khu vực chờ.",
        "Number {number}: you are next. Please come back to the waiting area.",
    ),
    "called": (
        "Mời Ông/Bà có số {number} đến quầy số {counter}{where}.",
        "Number {number}, please go to counter {counter}{where}.",
    ),
    "rate_link": (
        "Cảm ơn Ông/Bà. Mời Ông/Bà đánh giá sự phục vụ (số {number}): {link}",
        "Thank you. Please rate our service (number {number}): {link}",
    ),
    "lookup_waiting": (
        "Số {number} ({service}): đang chờ, còn {ahead} người trước Ông/Bà.",
        "Number {number} ({service}): waiting, {ahead} people ahead of you.",
    ),
    "lookup_called": (
        "Số {number}: đã được mời đến quầy số {counter}{where}.",
        "Number {number}: called to counter {counter}{where}.",
    ),
    "lookup_ended": (
        "Số {number}: đã kết thúc lượt phục vụ.",
        "Number {number}: this turn is over.",
    ),
    "lookup_booking": (
        "Lịch hẹn {code}: {service} lúc {time} ngày {date} ({status}).",
        "Booking {code}: {service} at {time} on {date} ({status}).",
    ),
    "lookup_help": (
        "Không tìm thấy mã này. Nhắn STT <số thứ tự> (ví dụ STT A012) hoặc mã đặt lịch.",
        "Code not found. Text STT <number> (e.g. STT A012) or your booking code.",
    ),
    "lookup_dossier": (
        "Hồ sơ {code} ({procedure}): {status}.",
        "Dossier {code} ({procedure}): {status}.",
    ),
    "lookup_dossier_none": (
        "Không tìm thấy hồ sơ {code} của số điện thoại này. Ông/Bà xem lại mã trên phiếu hẹn.",
        "No dossier {code} for this phone number. Please check the code on your slip.",
    ),
    "lookup_dossier_retry": (
        "Hệ thống tra cứu hồ sơ đang bận. Vui lòng thử lại sau.",
        "The dossier system is busy. Please try again later.",
    ),
    "booking_active": ("còn hiệu lực", "active"),
    "booking_cancelled_state": ("đã huỷ", "cancelled"),
    "booking_checked_in": ("đã lấy số", "checked in"),
}

# E-mail subjects, by message kind.
SUBJECTS: dict[str, tuple[str, str]] = {
    "booking_made": ("Xác nhận lịch hẹn {code}", "Booking {code} confirmed"),
    "reminder_day": ("Nhắc lịch hẹn {code}", "Booking reminder {code}"),
    "reminder_hour": ("Nhắc lịch hẹn {code}", "Booking reminder {code}"),
    "booking_cancelled": ("Lịch hẹn {code} đã bị huỷ", "Booking {code} cancelled"),
}

# SMS parts a text may take: (with Vietnamese marks, UCS-2; folded, GSM 7-bit). Links
# and the centre's name are long: the booking confirmation is the one that pays.
BUDGET: dict[str, tuple[int, int]] = {
    "booking_made": (4, 2),
    "booking_cancelled": (3, 2),
    "reminder_day": (3, 1),
    "reminder_hour": (3, 1),
    "near": (1, 1),
    "near_next": (1, 1),
    "called": (2, 1),  # one without a zone; a long zone takes a second UCS-2 part
    "rate_link": (2, 1),
    "lookup_waiting": (2, 1),
    "lookup_called": (2, 1),
    "lookup_ended": (1, 1),
    "lookup_booking": (2, 1),
    "lookup_help": (2, 1),
    "lookup_dossier": (3, 2),
    "lookup_dossier_none": (2, 1),
    "lookup_dossier_retry": (1, 1),
}


def render(text_id: str, lang: str, params: Mapping[str, str]) -> str:
    """The text `text_id` in `lang` ("vi" or "en"; anything else: Vietnamese), NFC."""
    values = dict(params)
    if text_id == "near" and values.get("ahead") == "0":
        text_id = "near_next"
    vi, en = TEXTS[text_id]
    if text_id == "booking_made":
        link = values.get("cancel_link", "")
        values["cancel"] = render("cancel_link", lang, values) if link else ""
    if text_id in ("called", "lookup_called"):  # the counter's zone, if any ("…, Khu A")
        values["where"] = f", {values['zone']}" if values.get("zone") else ""
    if text_id == "booking_cancelled" and not values.get("reason"):
        values["reason"] = "dịch vụ tạm ngừng" if lang != "en" else "service suspended"
    return nfc((en if lang == "en" else vi).format_map(values))


def subject(kind: str, lang: str, params: Mapping[str, str]) -> str | None:
    """The e-mail subject of a message of `kind`, if it has one."""
    pair = SUBJECTS.get(kind)
    if pair is None:
        return None
    return nfc((pair[1] if lang == "en" else pair[0]).format_map(dict(params)))
