"""Stable error codes with a Vietnamese message (and an English one for logs and docs).

Every refusal anywhere in the server is a `QueueError`: the protocol edge turns it
into `{"code": ..., "message": ...}` and nothing is changed.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("Yêu cầu không hợp lệ.", "Malformed request."),
    "unknown_service": ("Không có dịch vụ này.", "Unknown service."),
    "unknown_counter": ("Không có quầy này.", "Unknown counter."),
    "unknown_ticket": ("Không tìm thấy số thứ tự này.", "Unknown ticket."),
    "unknown_priority": ("Không có nhóm ưu tiên này.", "Unknown priority group."),
    "unknown_outcome": ("Không có kết quả xử lý này.", "Unknown outcome."),
    "service_closed": ("Dịch vụ này hiện không nhận số.", "The service is closed now."),
    "daily_cap_reached": (
        "Dịch vụ này đã hết số trong ngày hôm nay.",
        "The service has issued all of today's numbers.",
    ),
    "counter_closed": ("Quầy chưa mở.", "The counter is not open."),
    "counter_paused": ("Quầy đang tạm dừng.", "The counter is paused."),
    "counter_busy": (
        "Quầy đang phục vụ một số khác; hãy kết thúc số đó trước.",
        "The counter is serving a ticket; finish it first.",
    ),
    "counter_taken": ("Quầy đang có cán bộ khác đăng nhập.", "Another officer is signed in."),
    "nothing_called": ("Quầy chưa gọi số nào.", "The counter has no ticket called."),
    "queue_empty": ("Không còn ai chờ.", "Nobody is waiting."),
    "invalid_transition": (
        "Không thể thực hiện thao tác này với số thứ tự ở trạng thái hiện tại.",
        "This action is not allowed in the ticket's current state.",
    ),
    "same_service": ("Số này đã ở dịch vụ đó.", "The ticket is already in that service."),
    "unknown_rating": ("Không có mức đánh giá này.", "Unknown rating."),
    "not_ratable": (
        "Số này chưa được phục vụ xong tại quầy này nên chưa thể đánh giá.",
        "This ticket was not finished at this counter.",
    ),
    "already_rated": ("Số này đã được đánh giá rồi. Xin cảm ơn!", "Already rated."),
    "bad_phone": (
        "Số điện thoại di động không hợp lệ. Vui lòng nhập 10 chữ số, ví dụ 0912345678.",
        "Invalid mobile number: 10 digits, e.g. 0912345678.",
    ),
    "bad_cccd": (
        "Số căn cước công dân (CCCD) phải gồm đúng 12 chữ số.",
        "The citizen ID (CCCD) must be exactly 12 digits.",
    ),
    "bad_name": ("Vui lòng nhập họ và tên (2–80 ký tự).", "Please enter your full name."),
    "consent_required": (
        "Vui lòng đọc và đồng ý với thông báo xử lý dữ liệu cá nhân trước khi đặt lịch.",
        "Please read and accept the personal data notice before booking.",
    ),
    "not_bookable": ("Dịch vụ này không nhận đặt lịch qua mạng.",
                     "This service cannot be booked online."),
    "booking_day_closed": (
        "Ngày này không nhận đặt lịch (ngày nghỉ, ngày lễ hoặc ngoài thời gian cho phép).",
        "No bookings on this day (closed, holiday or outside the booking period).",
    ),
    "bad_slot": ("Khung giờ này không có hoặc đã qua. Vui lòng chọn khung giờ khác.",
                 "This time slot does not exist or has passed."),
    "slot_full": ("Khung giờ này đã hết chỗ. Vui lòng chọn khung giờ khác.",
                  "This time slot is full. Please choose another."),
    "already_booked": (
        "Số điện thoại này đã có một lịch hẹn cho dịch vụ này trong ngày đã chọn.",
        "This phone number already has a booking for this service on that day.",
    ),
    "too_many_requests": (
        "Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.",
        "Too many requests. Please try again in a few minutes.",
    ),
    "unknown_booking": ("Không tìm thấy lịch hẹn với mã này. Vui lòng kiểm tra lại mã.",
                        "No booking with this code."),
    "bad_cancel_link": ("Liên kết huỷ lịch hẹn không đúng.", "The cancel link is not valid."),
    "booking_cancelled": ("Lịch hẹn này đã bị huỷ.", "This booking was cancelled."),
    "booking_used": ("Mã đặt lịch này đã được dùng để lấy số.",
                     "This booking has already been checked in."),
    "booking_wrong_day": ("Lịch hẹn này không phải của ngày hôm nay.",
                          "This booking is not for today."),
    "checkin_too_early": (
        "Chưa đến giờ nhận số cho lịch hẹn này. Vui lòng quay lại gần giờ hẹn.",
        "Too early to check in for this booking; please come back nearer the time.",
    ),
    "unauthorized": ("Chưa xác thực hoặc mã truy cập sai.", "Not authenticated."),
    "forbidden": ("Không có quyền thực hiện thao tác này.", "Not allowed."),
    "unavailable": ("Hệ thống tạm thời không phục vụ.", "The system is unavailable."),
    "internal": ("Lỗi hệ thống; vui lòng thử lại.", "Internal error; please retry."),
}


class QueueError(Exception):
    """A refused command: a stable machine code and a Vietnamese message."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail or MESSAGES[code][1]}")

    @property
    def message(self) -> str:
        """The Vietnamese sentence a citizen or an officer reads."""
        return MESSAGES[self.code][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.code][1]

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.detail:
            out["detail"] = self.detail  # for staff and logs: which item, in plain words
        return out
