"""Stable error codes: for each, its HTTP status, a Vietnamese message and an English one.

Every refusal anywhere in the server is a `QueueError` with one of these codes and
changes nothing. The websocket edge sends `{"code", "message", "message_en"}`; the HTTP
edge sends the same under `"error"` with the code's status (`QueueError.http_status`).
The messages address the citizen as "Ông/Bà", as a public centre does.
"""

from __future__ import annotations

from typing import NamedTuple


class ErrorInfo(NamedTuple):
    status: int  # HTTP status of a refusal over HTTP
    vi: str  # the sentence a citizen or an officer reads
    en: str  # for the English pages, logs and docs


# 400: the request itself is wrong; 401/403: who asks; 404: no such thing;
# 409: right request, but the state of the queue or the booking refuses it.
ERRORS: dict[str, ErrorInfo] = {
    "bad_request": ErrorInfo(400, "Yêu cầu không hợp lệ.", "Malformed request."),
    "unknown_service": ErrorInfo(404, "Không có dịch vụ này.", "Unknown service."),
    "unknown_counter": ErrorInfo(404, "Không có quầy này.", "Unknown counter."),
    "unknown_ticket": ErrorInfo(404, "Không tìm thấy số thứ tự này.", "Unknown ticket."),
    "unknown_priority": ErrorInfo(404, "Không có nhóm ưu tiên này.", "Unknown priority group."),
    "unknown_outcome": ErrorInfo(404, "Không có kết quả xử lý này.", "Unknown outcome."),
    "service_closed": ErrorInfo(
        409, "Dịch vụ này hiện không nhận số.", "The service is closed now."
    ),
    "daily_cap_reached": ErrorInfo(
        409,
        "Dịch vụ này đã hết số trong ngày hôm nay.",
        "The service has issued all of today's numbers.",
    ),
    "counter_closed": ErrorInfo(409, "Quầy chưa mở.", "The counter is not open."),
    "counter_paused": ErrorInfo(409, "Quầy đang tạm dừng.", "The counter is paused."),
    "counter_busy": ErrorInfo(
        409,
        "Quầy đang phục vụ một số khác; hãy kết thúc số đó trước.",
        "The counter is serving a ticket; finish it first.",
    ),
    "counter_taken": ErrorInfo(
        409, "Quầy đang có cán bộ khác đăng nhập.", "Another officer is signed in."
    ),
    "nothing_called": ErrorInfo(409, "Quầy chưa gọi số nào.", "The counter has no ticket called."),
    "queue_empty": ErrorInfo(409, "Không còn ai chờ.", "Nobody is waiting."),
    "invalid_transition": ErrorInfo(
        409,
        "Không thể thực hiện thao tác này với số thứ tự ở trạng thái hiện tại.",
        "This action is not allowed in the ticket's current state.",
    ),
    "unknown_number": ErrorInfo(
        404, "Hôm nay không có số thứ tự này.", "There is no ticket with this number today."
    ),
    "other_service": ErrorInfo(
        409,
        "Số này thuộc dịch vụ mà quầy không phục vụ.",
        "This ticket is for a service this counter does not serve.",
    ),
    "not_held": ErrorInfo(
        409, "Số này không được giữ tại quầy.", "This ticket is not held at this counter."
    ),
    "tickets_held": ErrorInfo(
        409,
        "Quầy còn giữ số chờ bổ sung hồ sơ; hãy phục vụ tiếp các số đó trước.",
        "The counter still holds tickets; serve them first.",
    ),
    "same_service": ErrorInfo(
        409, "Số này đã ở dịch vụ đó.", "The ticket is already in that service."
    ),
    "unknown_rating": ErrorInfo(404, "Không có mức đánh giá này.", "Unknown rating."),
    "not_ratable": ErrorInfo(
        409,
        "Số này chưa được phục vụ xong tại quầy này nên chưa thể đánh giá.",
        "This ticket was not finished at this counter.",
    ),
    "already_rated": ErrorInfo(409, "Số này đã được đánh giá rồi. Xin cảm ơn!", "Already rated."),
    "bad_phone": ErrorInfo(
        400,
        "Số điện thoại di động không hợp lệ. Vui lòng nhập 10 chữ số, ví dụ 0912345678.",
        "Invalid mobile number: 10 digits, e.g. 0912345678.",
    ),
    "bad_cccd": ErrorInfo(
        400,
        "Số căn cước công dân (CCCD) phải gồm đúng 12 chữ số.",
        "The citizen ID (CCCD) must be exactly 12 digits.",
    ),
    "bad_name": ErrorInfo(
        400, "Vui lòng nhập họ và tên (2–80 ký tự).", "Please enter your full name."
    ),
    "consent_required": ErrorInfo(
        400,
        "Vui lòng đọc và đồng ý với thông báo xử lý dữ liệu cá nhân trước khi đặt lịch.",
        "Please read and accept the personal data notice before booking.",
    ),
    "not_bookable": ErrorInfo(
        409, "Dịch vụ này không nhận đặt lịch qua mạng.", "This service cannot be booked online."
    ),
    "booking_day_closed": ErrorInfo(
        409,
        "Ngày này không nhận đặt lịch (ngày nghỉ, ngày lễ hoặc ngoài thời gian cho phép).",
        "No bookings on this day (closed, holiday or outside the booking period).",
    ),
    "bad_slot": ErrorInfo(
        409,
        "Khung giờ này không có hoặc đã qua. Vui lòng chọn khung giờ khác.",
        "This time slot does not exist or has passed.",
    ),
    "slot_full": ErrorInfo(
        409,
        "Khung giờ này đã hết chỗ. Vui lòng chọn khung giờ khác.",
        "This time slot is full. Please choose another.",
    ),
    "already_booked": ErrorInfo(
        409,
        "Số điện thoại này đã có một lịch hẹn cho dịch vụ này trong ngày đã chọn.",
        "This phone number already has a booking for this service on that day.",
    ),
    "phone_limit": ErrorInfo(
        409,
        "Số điện thoại này đã có đủ số lịch hẹn được phép; Ông/Bà có thể huỷ một lịch hẹn "
        "cũ rồi đặt lại.",
        "This phone number already holds as many bookings as allowed; cancel one to book another.",
    ),
    "too_many_requests": ErrorInfo(
        429,
        "Ông/Bà đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.",
        "Too many requests. Please try again in a few minutes.",
    ),
    "unknown_booking": ErrorInfo(
        404,
        "Không tìm thấy lịch hẹn với mã này. Vui lòng kiểm tra lại mã.",
        "No booking with this code.",
    ),
    "no_booking_for_card": ErrorInfo(
        404,
        "Không tìm thấy lịch hẹn hôm nay theo căn cước của Ông/Bà. "
        "Ông/Bà có thể nhập mã đặt lịch hoặc lấy số như thường.",
        "No booking for today was found for your ID card. "
        "You can type your booking code or take a number as usual.",
    ),
    "bad_cancel_link": ErrorInfo(
        403, "Liên kết huỷ lịch hẹn không đúng.", "The cancel link is not valid."
    ),
    "booking_cancelled": ErrorInfo(409, "Lịch hẹn này đã bị huỷ.", "This booking was cancelled."),
    "booking_used": ErrorInfo(
        409, "Mã đặt lịch này đã được dùng để lấy số.", "This booking has already been checked in."
    ),
    "booking_wrong_day": ErrorInfo(
        409, "Lịch hẹn này không phải của ngày hôm nay.", "This booking is not for today."
    ),
    "checkin_too_early": ErrorInfo(
        409,
        "Chưa đến giờ nhận số cho lịch hẹn này. Vui lòng quay lại gần giờ hẹn.",
        "Too early to check in for this booking; please come back nearer the time.",
    ),
    "unknown_alert": ErrorInfo(404, "Không có cảnh báo này.", "Unknown alert."),
    "alert_acknowledged": ErrorInfo(
        409, "Cảnh báo này đã có người xác nhận.", "This alert has already been acknowledged."
    ),
    "unknown_officer": ErrorInfo(404, "Không có cán bộ này.", "Unknown officer."),
    "messaging_off": ErrorInfo(
        409,
        "Trung tâm chưa bật gửi tin nhắn cho công dân.",
        "The centre does not send messages to citizens.",
    ),
    "unknown_message": ErrorInfo(404, "Không có tin nhắn này.", "Unknown message."),
    "not_resendable": ErrorInfo(
        409,
        "Chỉ gửi lại được tin nhắn đã thất bại.",
        "Only a failed message can be sent again.",
    ),
    "unsupported_schema": ErrorInfo(
        422,
        "Máy chủ tỉnh chưa hỗ trợ phiên bản dữ liệu này; dữ liệu vẫn được giữ tại trung tâm.",
        "The province server does not know this schema version yet; the site keeps its data.",
    ),
    "out_of_order": ErrorInfo(
        409,
        "Lô dữ liệu không nối tiếp phần máy chủ tỉnh đã nhận.",
        "The batch does not follow what the province server has received.",
    ),
    "bad_dossier_code": ErrorInfo(
        400,
        "Mã hồ sơ không hợp lệ. Vui lòng kiểm tra mã trên phiếu hẹn.",
        "Invalid dossier code. Please check the code on your appointment slip.",
    ),
    "dossier_not_found": ErrorInfo(
        404,
        "Không tìm thấy hồ sơ với mã và số điện thoại này. Vui lòng kiểm tra lại.",
        "No dossier matches this code and phone number. Please check them.",
    ),
    "dossier_unavailable": ErrorInfo(
        503,
        "Hệ thống tra cứu hồ sơ đang bận. Vui lòng thử lại sau.",
        "The dossier system is busy. Please try again later.",
    ),
    "unknown_procedure": ErrorInfo(404, "Không tìm thấy thủ tục này.", "Unknown procedure."),
    "config_refused": ErrorInfo(
        409,
        "Không thể áp dụng thay đổi cấu hình này lúc này.",
        "This configuration change cannot be applied now.",
    ),
    "config_invalid": ErrorInfo(400, "Cấu hình không hợp lệ.", "The configuration is not valid."),
    "stale_config": ErrorInfo(
        409,
        "Cấu hình đã được người khác thay đổi; hãy tải lại.",
        "The configuration was changed meanwhile; reload it.",
    ),
    "unauthorized": ErrorInfo(401, "Chưa xác thực hoặc mã truy cập sai.", "Not authenticated."),
    "bad_login": ErrorInfo(
        401, "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password."
    ),
    "forbidden": ErrorInfo(403, "Không có quyền thực hiện thao tác này.", "Not allowed."),
    "unavailable": ErrorInfo(503, "Hệ thống tạm thời không phục vụ.", "The system is unavailable."),
    "internal": ErrorInfo(500, "Lỗi hệ thống; vui lòng thử lại.", "Internal error; please retry."),
}


class QueueError(Exception):
    """A refused command: a stable machine code and a Vietnamese message."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail or ERRORS[code].en}")

    @property
    def message(self) -> str:
        """The Vietnamese sentence a citizen or an officer reads."""
        return ERRORS[self.code].vi

    @property
    def message_en(self) -> str:
        return ERRORS[self.code].en

    @property
    def http_status(self) -> int:
        return ERRORS[self.code].status

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.detail:
            out["detail"] = self.detail  # for staff and logs: which item, in plain words
        return out
