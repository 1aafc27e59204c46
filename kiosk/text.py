"""Words on the kiosk screen (Vietnamese first, English second) and diacritic-free search.

Every sentence the citizen reads lives in `STRINGS`, so a translator finds them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from vntext import fold
from vntext.search import telex_plain  # the server's search reads Telex the same way

Language = str  # "vi" or "en"

STRINGS: dict[str, tuple[str, str]] = {
    "choose_sector": ("Chọn lĩnh vực cần làm thủ tục", "Choose a sector"),
    "choose_service": ("Chạm vào thủ tục để lấy số", "Tap a service to take a number"),
    "search": ("Tìm thủ tục", "Search"),
    "search_title": ("Gõ tên thủ tục (không cần dấu)", "Type the service name"),
    "search_hint": ("Ví dụ: khai sinh, ho tich, dat dai", "e.g. birth, land, company"),
    "search_none": (
        "Không tìm thấy thủ tục phù hợp. Hãy thử từ khác.",
        "No matching service. Try other words.",
    ),
    "priority": ("Ưu tiên", "Priority"),
    "priority_title": ("Chọn nhóm ưu tiên của Ông/Bà", "Choose your priority group"),
    "priority_note": (
        "Ông/Bà không cần xuất trình giấy tờ.",
        "You do not need to show any document.",
    ),
    "priority_none": ("Không ưu tiên", "No priority"),
    "priority_chosen": ("Ưu tiên: {group}", "Priority: {group}"),
    "priority_cancel": ("Bỏ ưu tiên", "Cancel priority"),
    "booking": ("Đã đặt lịch hẹn", "I have a booking"),
    "booking_title": (
        "Nhập mã đặt lịch hoặc quét mã QR vào máy quét",
        "Type your booking code or scan its QR code",
    ),
    "booking_hint": (
        "Mã gồm 8 chữ và số, có trên trang đặt lịch và trong mã QR. Không cần gõ dấu gạch ngang.",
        "The code has 8 letters and digits, as shown when you booked and in "
        "its QR code. No need to type the dash.",
    ),
    "booking_placeholder": ("Ví dụ: KMZZ-UJVW", "e.g. KMZZ-UJVW"),
    "booking_submit": ("Lấy số", "Get my number"),
    "home": ("Trang đầu", "Home"),
    "back": ("Quay lại", "Back"),
    "done": ("Xong", "Done"),
    "language": ("English", "Tiếng Việt"),
    "waiting": ("{n} người đang chờ", "{n} waiting"),
    "waiting_one": ("1 người đang chờ", "1 waiting"),
    "waiting_none": ("Không có người chờ", "Nobody waiting"),
    "wait_minutes": ("khoảng {m} phút", "about {m} min"),
    "services_count": ("{n} thủ tục", "{n} services"),
    "closed": ("Đã hết giờ nhận", "Closed now"),
    "opens_at": ("Mở lúc {time}", "Opens at {time}"),
    "opens_at_day": ("Mở lúc {time} ngày {date}", "Opens {date} at {time}"),
    "printing": ("Đang in…", "Printing…"),
    "printing_wait": ("Xin vui lòng chờ trong giây lát", "Please wait a moment"),
    "your_number": ("Số thứ tự của Ông/Bà", "Your number"),
    "ahead": ("Số người chờ trước Ông/Bà: {n}", "People ahead of you: {n}"),
    "estimated": ("Thời gian chờ dự kiến: khoảng {m} phút", "Estimated wait: about {m} min"),
    "estimated_none": ("Sắp đến lượt Ông/Bà", "Your turn is coming up"),
    "estimated_unknown": ("Chưa ước tính được thời gian chờ", "No estimate of the wait yet"),
    # nobody calls the service now (the tracking page says the same: web/texts)
    "calling_closed": (
        "Chưa có quầy nào mở cho dịch vụ này",
        "No counter is open for this service yet",
    ),
    "calling_paused": ("Các quầy đang {reason}", "The counters are away ({reason})"),
    "calling_paused_until": (
        "Các quầy đang {reason}, phục vụ lại lúc {time}",
        "The counters are away ({reason}), back at {time}",
    ),
    "take_slip": (
        "Vui lòng nhận phiếu bên dưới và chờ gọi số",
        "Please take your ticket below and wait for your number",
    ),
    "print_failed": ("Không in được phiếu", "The ticket could not be printed"),
    "print_failed_body": (
        "Số vừa lấy đã được huỷ. Xin Ông/Bà vui lòng hỏi quầy hướng dẫn.",
        "The number was cancelled. Please ask at the information desk.",
    ),
    "not_issued": ("Chưa lấy được số", "No number was issued"),
    "not_issued_body": (
        "Máy chủ không trả lời. Xin Ông/Bà vui lòng hỏi quầy hướng dẫn.",
        "The server did not answer. Please ask at the information desk.",
    ),
    "refused": ("Không lấy được số", "No number could be issued"),
    "out_of_service": ("Tạm dừng phục vụ", "Out of service"),
    "out_of_service_body": (
        "Xin lỗi Ông/Bà. Máy lấy số đang tạm dừng, vui lòng hỏi quầy hướng dẫn.",
        "Sorry, this kiosk is paused. Please ask at the information desk.",
    ),
    "reason_server": (
        "Mất kết nối máy chủ {url}: {detail}. Đang tự kết nối lại.",
        "No connection to the server {url}: {detail}. Reconnecting.",
    ),
    "reason_refused": (
        "Máy chủ từ chối mã thiết bị: {detail}. Cần kiểm tra cấu hình.",
        "The server refused the device token: {detail}. Check the setup.",
    ),
    "reason_printer": ("Máy in: {state} ({detail})", "Printer: {state} ({detail})"),
    "printer_paper_out": ("Máy in hết giấy", "Printer out of paper"),
    "printer_cover_open": ("Nắp máy in đang mở", "Printer cover open"),
    "printer_offline": ("Máy in không hoạt động", "Printer offline"),
    "printer_unknown": ("Máy in không trả lời", "Printer not answering"),
    "printer_paper_near_end": ("Máy in sắp hết giấy", "Printer paper nearly out"),
    "printer_ok": ("Máy in sẵn sàng", "Printer ready"),
    "notify": ("Nhận tin nhắn khi sắp đến lượt", "Get a text message when my turn is near"),
    "notify_title": (
        "Nhận tin nhắn SMS khi sắp đến lượt",
        "Get a text message when your turn is near",
    ),
    "notify_phone": ("Số điện thoại di động của Ông/Bà", "Your mobile phone number"),
    "notify_phone_hint": ("Ví dụ: 0912 345 678", "e.g. 0912 345 678"),
    "notify_when": ("Nhắn tin khi còn:", "Text me when there are:"),
    "notify_ahead": ("{n} người trước", "{n} people ahead"),
    "notify_consent": (
        "Số điện thoại chỉ dùng để nhắn tin về số thứ tự {number} hôm nay "
        "(khi sắp đến lượt và khi được mời đến quầy), và được xoá sau khi hết ngày. "
        "Chạm «Đồng ý và đăng ký» là Ông/Bà đồng ý với việc này.",
        "Your number is used only to text you about ticket {number} today (when your "
        "turn is near and when you are called) and is erased at the end of the day. "
        "Tapping “Agree and sign up” means you agree.",
    ),
    "notify_submit": ("Đồng ý và đăng ký", "Agree and sign up"),
    "notify_sending": ("Đang gửi…", "Sending…"),
    "notify_skip": ("Bỏ qua", "Skip"),
    "notify_done": ("Đã đăng ký nhận tin nhắn", "You are signed up"),
    "notify_done_body": (
        "Ông/Bà sẽ nhận tin nhắn đến số {phone} khi còn {n} người trước số {number}.",
        "We will text {phone} when {n} people are ahead of number {number}.",
    ),
    "notify_unreachable": (
        "Máy chủ không trả lời, chưa đăng ký được. Xin Ông/Bà thử lại.",
        "The server did not answer; you are not signed up yet. Please try again.",
    ),
    "refused_body": (
        "Máy chưa cấp được số. Xin Ông/Bà vui lòng hỏi quầy hướng dẫn.",
        "No number could be given. Please ask at the information desk.",
    ),
    "cause_server": (
        "Máy lấy số đang mất kết nối với hệ thống và đang tự kết nối lại.",
        "The kiosk has lost its connection to the system and is reconnecting.",
    ),
    "cause_setup": (
        "Máy lấy số cần được cán bộ kiểm tra lại cài đặt.",
        "The kiosk needs the staff to check its setup.",
    ),
    "cause_printer": ("Máy in phiếu đang gặp sự cố.", "The ticket printer has a problem."),
    "staff_told": (
        "Cán bộ đã được báo trên màn hình quản lý.",
        "The staff have been told on their screens.",
    ),
    # the ticket without paper (issue 12, issue 20)
    "paperless_choice": (
        "Không in phiếu: hiện số và mã QR để chụp",
        "No paper: show the number and a QR to photograph",
    ),
    "paperless_on": (
        "Đã chọn: số trên màn hình, không in phiếu",
        "Chosen: the number on screen, no paper",
    ),
    "printer_out_banner": (
        "Máy in tạm hết giấy: số sẽ hiện trên màn hình kèm mã QR để Ông/Bà chụp lại.",
        "The printer is out of paper: your number will show on screen with a QR to photograph.",
    ),
    "printer_out_short": (
        "Máy in hết giấy: số sẽ hiện trên màn hình.",
        "Printer out of paper: your number shows on screen.",
    ),
    "paperless_note": (
        "Ông/Bà chụp ảnh màn hình này hoặc quét mã QR để theo dõi số trên điện thoại.",
        "Photograph this screen or scan the QR code to follow your number on your phone.",
    ),
    "track_qr": ("Quét để theo dõi số", "Scan to follow"),
    # the ID card (CCCD) at the scanner
    "card_title": ("Đã đọc thẻ căn cước", "ID card read"),
    "card_age": ("Tuổi theo thẻ: {age}", "Age on the card: {age}"),
    "card_offer": (
        "Ông/Bà thuộc nhóm ưu tiên: {group}. Cán bộ sẽ xem thẻ tại quầy.",
        "You are in a priority group: {group}. The officer will see your card at the counter.",
    ),
    "card_accept": ("Nhận ưu tiên và chọn thủ tục", "Accept priority and choose a service"),
    "card_booking": ("Tìm lịch hẹn hôm nay và lấy số", "Find today's booking and get my number"),
    "card_privacy": (
        "Máy chỉ dùng số căn cước để tìm lịch hẹn hôm nay và ngày sinh để biết nhóm ưu tiên. "
        "Máy không lưu tên, số căn cước hay thông tin nào khác trên thẻ; mọi thông tin được "
        "xoá khi màn hình trở về trang đầu.",
        "The kiosk uses the ID number only to find today's booking and the date of birth "
        "only for the priority group. It keeps no name, ID number or anything else from the "
        "card; all of it is erased when the screen returns home.",
    ),
    "card_not_card": (
        "Mã vừa quét không phải thẻ căn cước hay mã đặt lịch. Ông/Bà vui lòng quét mặt "
        "trước thẻ căn cước, hoặc chọn thủ tục trên màn hình.",
        "That code is neither an ID card nor a booking code. Please scan the front of "
        "your ID card, or choose a service on the screen.",
    ),
    "card_damaged": (
        "Không đọc được đủ thông tin trên thẻ. Ông/Bà vui lòng quét lại, giữ thẻ "
        "phẳng và yên trước máy quét.",
        "The card could not be read completely. Please scan it again, holding it "
        "flat and still in front of the scanner.",
    ),
    "card_future_birth": (
        "Ngày sinh đọc được trên thẻ không hợp lệ. Ông/Bà vui lòng quét lại hoặc hỏi "
        "quầy hướng dẫn.",
        "The date of birth read from the card is not valid. Please scan again or ask "
        "at the information desk.",
    ),
    # the maintenance page (staff only; technical words allowed there)
    "staff_title": ("Bảo trì máy lấy số", "Kiosk maintenance"),
    "staff_pin": ("Nhập mã PIN của cán bộ", "Enter the staff PIN"),
    "staff_wrong_pin": ("Sai mã PIN", "Wrong PIN"),
    "staff_test": ("In trang thử", "Print a test page"),
    "staff_reregister": ("Đăng ký lại với máy chủ", "Register with the server again"),
    "staff_close": ("Thoát bảo trì", "Leave maintenance"),
    "staff_test_printed": ("Đã in trang thử", "Test page printed"),
    "staff_test_failed": ("Không in được trang thử", "The test page did not print"),
    "staff_reregistered": ("Đã đăng ký lại", "Registered again"),
    # the top bar's two aids
    "large_text": ("Aa Chữ to", "Aa Large text"),
    "normal_text": ("Aa Chữ thường", "Aa Normal text"),
    "voice_on": ("Đang đọc", "Voice on"),  # beside a drawn speaker (no font has 🔊)
    "voice_off": ("Đọc hướng dẫn", "Read aloud"),
    "keyboard_space": ("Dấu cách", "Space"),
    "keyboard_delete": ("Xoá", "Delete"),
    "keyboard_clear": ("Xoá hết", "Clear"),
    # "Tra cứu thủ tục": procedure guides (issue 16)
    "guide": ("Tra cứu thủ tục", "Procedure guides"),
    "guide_title": ("Tra cứu thủ tục: gõ việc Ông/Bà cần làm", "Look up a procedure"),
    "guide_hint": ("Ví dụ: khai sinh, so do, doi bang lai", "e.g. birth, marriage, driving"),
    "guide_none": (
        "Không tìm thấy thủ tục phù hợp. Hãy thử từ khác hoặc hỏi quầy hướng dẫn.",
        "No matching procedure. Try other words or ask at the information desk.",
    ),
    "guide_searching": ("Đang tìm…", "Searching…"),
    "guide_unreachable": (
        "Máy chủ không trả lời, chưa tìm được. Xin Ông/Bà thử lại.",
        "The server did not answer. Please try again.",
    ),
    "guide_take": ("Lấy số cho thủ tục này", "Take a number for this procedure"),
    "guide_print": ("In hướng dẫn", "Print this guide"),
    "guide_printing": ("Đang in hướng dẫn…", "Printing the guide…"),
    "guide_printed": (
        "Đã in hướng dẫn. Mời Ông/Bà nhận phiếu bên dưới.",
        "The guide is printed. Please take it below.",
    ),
    "guide_print_failed": (
        "Không in được hướng dẫn. Ông/Bà có thể xem tại trang tra cứu trực tuyến "
        "hoặc hỏi quầy hướng dẫn.",
        "The guide could not be printed. Please read it online or ask at the information desk.",
    ),
    "guide_closed": ("Thủ tục này hiện chưa nhận hồ sơ", "Not receiving now"),
    "guide_code": ("Mã thủ tục: {code}", "Procedure code: {code}"),
    "guide_service": ("Nộp hồ sơ tại: {service}", "Submit at: {service}"),
    "guide_days": ("Thời hạn giải quyết: {days}", "Processing time: {days}"),
    "guide_fees": ("Phí, lệ phí: {fees}", "Fees: {fees}"),
    "guide_documents": ("Giấy tờ cần mang", "Papers to bring"),
    "guide_same_day": ("trong ngày", "the same day"),
    "guide_days_n": ("{n} ngày làm việc", "{n} working days"),
    "guide_days_1": ("1 ngày làm việc", "1 working day"),
    "guide_originals": ("{n} bản chính", "originals: {n}"),
    "guide_copies": ("{n} bản sao", "copies: {n}"),
    "guide_show_only": ("xuất trình", "shown only"),
    "guide_slip_title": ("HƯỚNG DẪN THỦ TỤC", "PROCEDURE GUIDE"),
    "guide_qr": (
        "Quét mã để xem hướng dẫn trên điện thoại",
        "Scan to read this guide on your phone",
    ),
    "guide_printed_at": ("In lúc {time} ngày {date}", "Printed {date} {time}"),
}


def tr(key: str, language: Language, **fields: object) -> str:
    vi, en = STRINGS[key]
    text = en if language == "en" else vi
    return text.format(**fields) if fields else text


def matches(query: str, *haystacks: str) -> bool:
    """Every word of the query appears somewhere in the folded haystacks, typed plain
    or the Telex way ("hoj tichj" finds "Hộ tịch"): the kiosk's own filter while the
    server's search (`kiosk.guide.ServerSearch`) has not answered."""
    words = fold(query).split()
    text = " ".join(fold(h) for h in haystacks)
    return bool(words) and all(word in text or telex_plain(word) in text for word in words)


def phone_text(digits: str) -> str:
    """A phone number as people read it: 0912 345 678."""
    if len(digits) <= 4:
        return digits
    if len(digits) <= 7:
        return f"{digits[:4]} {digits[4:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def waiting_text(n: int, language: Language) -> str:
    if n <= 0:
        return tr("waiting_none", language)
    return tr("waiting_one", language) if n == 1 else tr("waiting", language, n=n)


def wait_sentence(
    seconds: float | None, calling: Mapping[str, Any] | None, language: Language
) -> str:
    """The one sentence about the wait, on the ticket screen and on the slip: why nobody
    calls (the counters away until 13:00, or none open), no estimate, soon, or minutes."""
    if calling:
        if calling.get("kind") != "paused":
            return tr("calling_closed", language)
        name = calling.get("reason_name_en" if language == "en" else "reason_name") or ""
        reason = name[:1].lower() + name[1:]
        if calling.get("back_time"):
            return tr("calling_paused_until", language, reason=reason, time=calling["back_time"])
        return tr("calling_paused", language, reason=reason)
    if seconds is None:
        return tr("estimated_unknown", language)
    if seconds < 60:  # the tracking page's "Sắp đến lượt" from the same minute
        return tr("estimated_none", language)
    return tr("estimated", language, m=minutes(seconds))


def minutes(seconds: float | None) -> int:
    """Whole minutes, rounded up: a citizen would rather wait less than promised."""
    if not seconds or seconds <= 0:
        return 0
    return int(-(-seconds // 60))


def opens_text(opens_at: float | None, now: float, tz: tzinfo, language: Language) -> str:
    if opens_at is None:
        return tr("closed", language)
    when = datetime.fromtimestamp(opens_at, tz)
    today = datetime.fromtimestamp(now, tz).date()
    if when.date() == today:
        return tr("opens_at", language, time=when.strftime("%H:%M"))
    return tr("opens_at_day", language, time=when.strftime("%H:%M"), date=when.strftime("%d/%m"))
