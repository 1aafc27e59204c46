"""The citizens' pages: booking, cancelling, tracking a ticket, and the hall in a browser.

Plain HTML rendered here (Vietnamese at the usual paths, English under `/en/`),
small scripts and one stylesheet from `static/`, the Noto Sans font from
`assets/fonts`, the hall's voice built by `announce`: nothing comes
from outside the server, so the pages work on a network with no internet.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

import assets
from announce import DEFAULT_VOICE_DIR, build_call_announcement, render_announcement
from queue_protocol.errors import QueueError
from queue_server.domain.booking import fold, normalize_code
from queue_server.domain.hours import business_day

if TYPE_CHECKING:
    from queue_server.app import QueueServer
    from queue_server.web.booking import BookingDesk
    from queue_server.web.tracking import Tracker

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
FONT_DIR = assets.FONTS
_NUMBER = re.compile(r"[A-Z]{0,2}\d{1,6}")

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "lang_switch": "English", "lang_switch_lang": "en", "skip": "Bỏ qua, đến nội dung chính",
        "booking_title": "Đặt lịch lấy số trực tuyến",
        "booking_intro": "Chọn dịch vụ, ngày và giờ; mang mã đặt lịch đến máy lấy số "
                         "trong khung giờ nhận số.",
        "step_service": "1. Chọn dịch vụ", "search_label": "Tìm dịch vụ (gõ có dấu hoặc không dấu)",
        "search_placeholder": "Ví dụ: khai sinh, dat dai…", "no_match": "Không có dịch vụ phù hợp.",
        "step_day": "2. Chọn ngày", "step_time": "3. Chọn giờ",
        "pick_service_first": "Hãy chọn dịch vụ và ngày trước.",
        "step_details": "4. Thông tin của bạn", "name": "Họ và tên",
        "phone": "Số điện thoại di động", "phone_hint": "10 chữ số, ví dụ 0912 345 678 "
        "(nhận cả +84…)", "cccd": "Số căn cước công dân (12 chữ số)",
        "cccd_hint": "Dịch vụ này cần số CCCD để cán bộ chuẩn bị hồ sơ.",
        "notice_title": "Thông báo xử lý dữ liệu cá nhân",
        "consent": "Tôi đã đọc và đồng ý với thông báo trên.",
        "submit": "Đặt lịch", "sending": "Đang gửi…",
        "done_title": "Đặt lịch thành công",
        "done_code": "Mã đặt lịch của bạn", "done_qr": "Mã QR của lịch hẹn",
        "done_keep": "Hãy chụp màn hình hoặc ghi lại mã này. Tại trung tâm, nhập mã hoặc quét "
                     "mã QR ở máy lấy số.",
        "done_cancel": "Huỷ lịch hẹn này", "done_again": "Đặt lịch khác",
        "done_ics": "Thêm vào lịch của điện thoại (nhắc trước 1 giờ)",
        "cancel_title": "Huỷ lịch hẹn", "cancel_confirm": "Bạn muốn huỷ lịch hẹn có mã",
        "cancel_button": "Huỷ lịch hẹn", "cancel_done": "Đã huỷ lịch hẹn. Chỗ của bạn đã được "
        "nhường cho người khác.", "cancel_nokey": "Liên kết huỷ không đầy đủ. Hãy mở đúng "
        "liên kết nhận được khi đặt lịch.",
        "track_title": "Theo dõi số thứ tự", "your_number": "Số của bạn",
        "ahead": "Số người đứng trước", "wait": "Thời gian chờ dự kiến",
        "serving": "Số đang được phục vụ", "sound_on": "Bật âm báo khi đến lượt",
        "sound_ready": "Đã bật âm báo và rung", "called": "Mời đến quầy số",
        "called_ok": "Tôi đã biết", "unknown_ticket": "Không tìm thấy số thứ tự này. Số chỉ "
        "có giá trị trong ngày lấy số.", "connecting": "Đang kết nối…",
        "live": "Đang cập nhật trực tiếp", "offline": "Mất kết nối – đang thử lại…",
        "minutes": "phút", "about": "khoảng", "nobody": "Không ai", "soon": "Sắp đến lượt",
        "status_waiting": "Đang chờ", "status_called": "Đang được mời",
        "status_done": "Đã phục vụ xong", "status_no_show": "Đã gọi nhưng vắng mặt",
        "status_voided": "Số đã huỷ", "status_expired": "Số đã hết hạn (sang ngày mới)",
        "status_transferred": "Đã chuyển sang dịch vụ khác",
        "places_left": "còn {n} chỗ", "full": "hết chỗ", "no_slots": "Ngày này không còn "
        "khung giờ trống.", "loading": "Đang tải…",
        "need_js": "Trang này cần bật JavaScript.",
        "checkin_window": "Đến máy lấy số từ {from} đến {until}",
        "near": "Sắp đến lượt bạn: còn {n} người phía trước. Hãy quay lại gần khu vực "
        "các quầy.", "next_up": "Bạn là người kế tiếp. Hãy đến gần khu vực các quầy.",
        "report_title": "Báo cáo hoạt động", "report_intro": "Số liệu lấy từ nhật ký "
        "sự kiện của hệ thống: thời gian chờ, thời gian phục vụ, mức độ hài lòng.",
        "report_login": "Đăng nhập (lãnh đạo, giám sát, quản trị)", "username": "Tên đăng nhập",
        "password": "Mật khẩu", "sign_in": "Đăng nhập", "sign_out": "Đăng xuất",
        "report_from": "Từ ngày", "report_to": "Đến ngày", "report_show": "Xem báo cáo",
        "report_csv": "Tải danh sách số (CSV)", "report_empty": "Không có số nào trong "
        "khoảng thời gian này.",
        "fig_issued": "Số đã cấp", "fig_served": "Đã phục vụ", "fig_no_show": "Vắng mặt",
        "fig_voided": "Huỷ do lỗi in", "fig_transferred": "Chuyển dịch vụ",
        "fig_waiting_now": "Đang chờ", "fig_longest": "Chờ lâu nhất hiện tại",
        "fig_wait": "Thời gian chờ", "fig_wait_p50": "Chờ (trung vị)",
        "fig_wait_p90": "Chờ (90% số không quá)", "fig_service_p50": "Phục vụ (trung vị)",
        "fig_service_p90": "Phục vụ (90% số không quá)",
        "fig_open": "Mở quầy", "fig_paused": "Tạm dừng",
        "fig_busy": "Tỷ lệ phục vụ",
        "hour_line": "{n} số · chờ trung vị {wait}",
        "fig_bookings": "Lịch hẹn trực tuyến: {checked_in} đã đến ({late} trễ), "
        "{cancelled} huỷ, {not_come} chưa đến",
        "fig_satisfied": "Hài lòng", "fig_rated": "lượt đánh giá",
        "by_hour": "Theo giờ lấy số", "by_service": "Theo dịch vụ", "by_counter": "Theo quầy",
        "by_officer": "Theo cán bộ", "by_day": "Theo ngày", "col_service": "Dịch vụ",
        "counters_now": "Các quầy lúc này", "col_status": "Trạng thái",
        "col_serving": "Đang phục vụ số", "status_open": "Đang mở",
        "status_paused": "Tạm dừng", "status_closed": "Đóng",
        "now_summary": "{open} quầy đang mở, {paused} tạm dừng, {closed} đóng.",
        "col_counter": "Quầy", "col_officer": "Cán bộ", "col_day": "Ngày", "col_hour": "Giờ",
        "definitions": "Cách tính: thời gian chờ tính từ lúc vào hàng (lấy số; người đặt lịch "
        "đến sớm: giờ hẹn; sau khi chuyển: lúc chuyển) đến lần gọi kế tiếp, gọi lại không "
        "tính là gọi mới; số đang chờ chưa được tính. Thời gian phục vụ: từ lúc gọi đến lúc "
        "xong hoặc chuyển. Trung vị: một nửa số chờ không lâu hơn. Hài lòng: tỷ lệ đánh giá "
        "thuộc nửa trên của thang đánh giá. Mở quầy: thời gian cán bộ đăng nhập quầy, trừ "
        "tạm dừng; tỷ lệ phục vụ: phần thời gian đó dành cho phục vụ công dân.",
    },
    "en": {
        "lang_switch": "Tiếng Việt", "lang_switch_lang": "vi", "skip": "Skip to main content",
        "booking_title": "Book a queue number online",
        "booking_intro": "Choose a service, a day and a time; bring your booking code to the "
                         "ticket kiosk within the check-in window.",
        "step_service": "1. Choose a service", "search_label": "Search services",
        "search_placeholder": "e.g. birth, land…", "no_match": "No matching service.",
        "step_day": "2. Choose a day", "step_time": "3. Choose a time",
        "pick_service_first": "Choose a service and a day first.",
        "step_details": "4. Your details", "name": "Full name",
        "phone": "Mobile phone number", "phone_hint": "10 digits, e.g. 0912 345 678 "
        "(+84… accepted)", "cccd": "Citizen ID number (CCCD, 12 digits)",
        "cccd_hint": "This service needs your CCCD so the officer can prepare your file.",
        "notice_title": "Personal data notice",
        "consent": "I have read and accept the notice above.",
        "submit": "Book", "sending": "Sending…",
        "done_title": "Your booking is confirmed",
        "done_code": "Your booking code", "done_qr": "QR code of the booking",
        "done_keep": "Take a screenshot or write the code down. At the centre, type it or "
                     "scan the QR code at the ticket kiosk.",
        "done_cancel": "Cancel this booking", "done_again": "Make another booking",
        "done_ics": "Add to my phone's calendar (reminder 1 hour before)",
        "cancel_title": "Cancel a booking", "cancel_confirm": "Do you want to cancel booking",
        "cancel_button": "Cancel the booking", "cancel_done": "The booking is cancelled. "
        "Your place is free for someone else.", "cancel_nokey": "The cancel link is "
        "incomplete. Open the exact link you received when booking.",
        "track_title": "Follow your number", "your_number": "Your number",
        "ahead": "People ahead of you", "wait": "Estimated wait",
        "serving": "Now serving", "sound_on": "Sound an alert when it is my turn",
        "sound_ready": "Sound and vibration are on", "called": "Please go to counter",
        "called_ok": "OK", "unknown_ticket": "Ticket not found. Numbers are valid on the day "
        "they are issued.", "connecting": "Connecting…",
        "live": "Live updates", "offline": "Connection lost – retrying…",
        "minutes": "min", "about": "about", "nobody": "Nobody", "soon": "Very soon",
        "status_waiting": "Waiting", "status_called": "Called",
        "status_done": "Served", "status_no_show": "Called, not present",
        "status_voided": "Cancelled", "status_expired": "Expired (a new day began)",
        "status_transferred": "Moved to another service",
        "places_left": "{n} left", "full": "full", "no_slots": "No free time slots on this day.",
        "loading": "Loading…", "need_js": "This page needs JavaScript.",
        "checkin_window": "Check in at the kiosk from {from} to "
        "{until}",
        "near": "Your turn is near: {n} people ahead of you. Please come back near the "
        "counters.", "next_up": "You are next. Please come near the counters.",
        "report_title": "Activity report", "report_intro": "Figures from the system's event "
        "log: waiting times, service times, satisfaction.",
        "report_login": "Sign in (leaders, supervisors, admins)", "username": "Username",
        "password": "Password", "sign_in": "Sign in", "sign_out": "Sign out",
        "report_from": "From", "report_to": "To", "report_show": "Show report",
        "report_csv": "Download tickets (CSV)", "report_empty": "No tickets in this period.",
        "fig_issued": "Tickets issued", "fig_served": "Served", "fig_no_show": "No-shows",
        "fig_voided": "Voided (print failed)", "fig_transferred": "Transferred",
        "fig_waiting_now": "Waiting now", "fig_longest": "Longest wait now",
        "fig_wait": "Waiting time", "fig_wait_p50": "Wait (median)",
        "fig_wait_p90": "Wait (90% within)", "fig_service_p50": "Service (median)",
        "fig_service_p90": "Service (90% within)",
        "fig_open": "Open", "fig_paused": "Paused", "fig_busy": "Busy serving",
        "hour_line": "{n} tickets · median wait {wait}",
        "fig_bookings": "Online bookings: {checked_in} came ({late} late), "
        "{cancelled} cancelled, {not_come} not come",
        "fig_satisfied": "Satisfied", "fig_rated": "ratings",
        "by_hour": "By hour of issue", "by_service": "By service", "by_counter": "By counter",
        "by_officer": "By officer", "by_day": "By day", "col_service": "Service",
        "counters_now": "Counters now", "col_status": "Status",
        "col_serving": "Now serving", "status_open": "Open",
        "status_paused": "Paused", "status_closed": "Closed",
        "now_summary": "{open} counters open, {paused} paused, {closed} closed.",
        "col_counter": "Counter", "col_officer": "Officer", "col_day": "Day", "col_hour": "Hour",
        "definitions": "How it is counted: a wait runs from joining a queue (the ticket; an "
        "early booking: its slot; after a transfer: the transfer) to the next call; a recall "
        "is not a new call; tickets still waiting are not yet counted. Service runs from the "
        "call to the finish or transfer. Median: half the waits were no longer. Satisfied: "
        "the share of ratings in the better half of the scale. Open: signed in at the "
        "counter, less pauses; busy: the share of it spent serving.",
    },
}

PATHS = {
    "vi": {"booking": "/dat-lich", "cancel": "/dat-lich/huy", "track": "/t",
           "report": "/bao-cao"},
    "en": {"booking": "/en/booking", "cancel": "/en/booking/cancel", "track": "/en/t",
           "report": "/en/report"},
}


@functools.cache
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class Pages:
    def __init__(self, server: QueueServer, desk: BookingDesk, tracker: Tracker) -> None:
        self.server, self.desk, self.tracker = server, desk, tracker
        self.config = server.config

    def _page(self, lang: str, template: str, title: str, other: str, body: dict[str, str],
              data: dict[str, Any]) -> web.Response:
        t = TEXT[lang]
        site = self.config.site
        content = _template(template).substitute(
            {k: _esc(v) for k, v in t.items()} | body)
        page = _template("page.html").substitute(
            lang=lang, title=_esc(title), site=_esc(site.name if lang == "vi" else site.name_en),
            skip=_esc(t["skip"]), other=_esc(other), other_label=_esc(t["lang_switch"]),
            other_lang=t["lang_switch_lang"], content=content,
            data=_script_json({"lang": lang, "text": t, "paths": PATHS[lang], **data}),
            script=template.removesuffix(".html"))
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store",
                                     "Content-Security-Policy": _CSP})

    # ----- booking ------------------------------------------------------------

    async def booking(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        t, options = TEXT[lang], self.desk.options(self.server.clock())
        name = "name" if lang == "vi" else "name_en"
        sectors = []
        for sector in options["sectors"]:
            services = [s for s in options["services"] if s["sector"] == sector["id"]]
            if not services:
                continue
            words = {s["id"]: fold(" ".join((s["name"], s["name_en"], sector["name"])))
                     for s in services}
            items = "".join(
                f'<li data-search="{_esc(words[s["id"]])}">'
                f'<input type="radio" name="service" id="svc-{_esc(s["id"])}" '
                f'value="{_esc(s["id"])}" data-cccd="{int(s["needs_cccd"])}">'
                f'<label for="svc-{_esc(s["id"])}">{_esc(s[name])}</label></li>'
                for s in services)
            sectors.append(f'<li class="sector"><h3>{_esc(sector[name])}</h3>'
                           f'<ul class="choices">{items}</ul></li>')
        weekday = "weekday" if lang == "vi" else "weekday_en"
        days = "".join(
            f'<li><input type="radio" name="day" id="day-{d["day"]}" value="{d["day"]}">'
            f'<label for="day-{d["day"]}"><span>{_esc(d[weekday])}</span> '
            f'<strong>{d["label"]}</strong></label></li>' for d in options["days"])
        notice = options["notice"]
        return self._page(lang, "booking.html", t["booking_title"],
                          PATHS[_other(lang)]["booking"],
                          {"sectors": "".join(sectors), "days": days,
                           "notice": _esc(notice[lang]),
                           "notice_version": _esc(notice["version"])},
                          {"notice_version": notice["version"]})

    async def cancel(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        try:
            code = normalize_code(request.match_info["code"])
        except QueueError:
            raise web.HTTPNotFound() from None
        other = f'{PATHS[_other(lang)]["cancel"]}/{code}'
        return self._page(lang, "cancel.html", TEXT[lang]["cancel_title"], other,
                          {"code": _esc(f"{code[:4]}-{code[4:]}")}, {"code": code})

    # ----- tracking -----------------------------------------------------------

    async def track(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        public_id = request.match_info["public_id"][:64]
        state = self.server.state
        ticket = state.ticket_by_public_id(public_id)
        view = self.tracker.view(state, ticket) if ticket else None
        if view is None:
            row = await self.server.store.ticket_by_public_id(public_id)
            if row is not None:
                view = {"number": row["number"], "status": row["status"], "ahead": 0,
                        "service_name": self.config.services[row["service"]].name
                        if row["service"] in self.config.services else row["service"],
                        "counter": row["counter"], "old": True}
        other = f'{PATHS[_other(lang)]["track"]}/{public_id}'
        return self._page(lang, "track.html", TEXT[lang]["track_title"], other,
                          {"number": _esc(view["number"] if view else "–")},
                          {"public_id": public_id, "ticket": view})

    # ----- the leaders' report ---------------------------------------------------

    async def report(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        today = business_day(self.config.site, self.server.clock())
        return self._page(lang, "report.html", TEXT[lang]["report_title"],
                          PATHS[_other(lang)]["report"], {"today": today},
                          {"today": today, "timezone": self.config.site.timezone})

    # ----- the hall -------------------------------------------------------------

    async def hall(self, request: web.Request) -> web.Response:
        site = self.config.site
        page = _template("hall.html").substitute(site=_esc(site.name),
                                                 site_en=_esc(site.name_en))
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store",
                                     "Content-Security-Policy": _CSP})

    async def announcement(self, request: web.Request) -> web.Response:
        number = request.match_info["number"].upper()
        try:
            counter = int(request.match_info["counter"])
        except ValueError:
            raise web.HTTPNotFound() from None
        if not _NUMBER.fullmatch(number) or counter not in self.config.counters:
            raise web.HTTPNotFound()
        wav = await asyncio.to_thread(_announcement_wav, number, counter)
        return web.Response(body=wav, content_type="audio/wav",
                            headers={"Cache-Control": "public, max-age=86400"})


@functools.lru_cache(maxsize=32)  # ~330 KB each: a recall or a second hall TV hits it
def _announcement_wav(number: str, counter: int) -> bytes:
    return render_announcement(build_call_announcement(number, counter), DEFAULT_VOICE_DIR)


# Everything from this server; inline <script type="application/json"> data is not code.
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self' ws: wss:; media-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'")


def _lang(request: web.Request) -> str:
    return "en" if request.path.startswith("/en/") else "vi"


def _other(lang: str) -> str:
    return "vi" if lang == "en" else "en"
