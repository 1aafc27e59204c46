"""Issue 12: the kiosk, the slip and the tracking page say the same thing about the wait.
Seen: the slip said "khoảng 0 phút" where the screen said "sẽ được gọi ngay", and both
said "soon" while every counter serving the service was on its lunch break."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.model import _slip_wait
from kiosk.text import wait_sentence
from printer.render import render_ticket
from printer.ticket import SlipLayout, TicketSlip
from queue_server.web.pages import TEXT

LUNCH = {
    "kind": "paused",
    "reason": "nghi-trua",
    "reason_name": "Nghỉ trưa",
    "reason_name_en": "Lunch break",
    "back_at": 0.0,
    "back_time": "13:00",
}


@pytest.mark.parametrize(
    ("seconds", "calling", "said"),
    [
        (None, None, "Chưa ước tính được thời gian chờ"),
        (0, None, "Sắp đến lượt Ông/Bà"),
        (45, None, "Sắp đến lượt Ông/Bà"),
        (600, None, "Thời gian chờ dự kiến: khoảng 10 phút"),
        (5400, LUNCH, "Các quầy đang nghỉ trưa, phục vụ lại lúc 13:00"),
        (None, {"kind": "closed"}, "Chưa có quầy nào mở cho dịch vụ này"),
    ],
)
def test_screen_and_slip_say_the_same(seconds, calling, said):
    assert wait_sentence(seconds, calling, "vi") == said
    slip = _slip_wait({"estimated_wait": seconds, "calling": calling})
    if seconds and seconds >= 60 and not calling:
        assert slip == {"estimated_wait_minutes": seconds // 60}  # "khoảng 10 phút" on paper
    else:
        assert slip["wait_note"] == said  # never "khoảng 0 phút"
        assert slip["wait_note_en"] == wait_sentence(seconds, calling, "en")


def test_the_tracking_page_uses_the_same_words_for_the_counters_away():
    texts = TEXT["vi"]
    page = texts["calling_paused_until"].format(reason="nghỉ trưa", time="13:00")
    assert page == wait_sentence(5400, LUNCH, "vi")
    assert texts["calling_closed"] == wait_sentence(None, {"kind": "closed"}, "vi")


def test_the_slip_prints_the_note_instead_of_minutes():
    at = dt.datetime(2026, 5, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    base = {"number": "A001", "service_name": "Khai sinh", "issued_at": at}
    common = {"tracking_url": "https://x/t/1", "centre_name": "Trung tâm"}
    with_note = TicketSlip(
        **base, **common, **_slip_wait({"estimated_wait": 5400, "calling": LUNCH})
    )
    zero = TicketSlip(**base, **common, estimated_wait_minutes=0)
    layout = SlipLayout()
    assert (
        render_ticket(with_note, layout, 576).tobytes()
        != render_ticket(zero, layout, 576).tobytes()
    )
