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
