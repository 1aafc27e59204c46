"""The ID card (CCCD) at the kiosk's scanner, against the real server and a virtual printer:
the priority its age entitles to, today's booking found by the card and checked in, plain
refusals, and nothing of the card kept (the SQLite file is read afterwards)."""

from __future__ import annotations

import sqlite3

import aiohttp
import pytest

from kiosk.model import Page
from tests.support.booking import post, request
from tests.support.clock import FakeClock
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.servers import InProcessServer
from tests.support.siteconfig import WEDNESDAY, WEDNESDAY_9AM

pytestmark = pytest.mark.timeout(60)

SERVICE = "ly-lich-tu-phap"  # of the sample site: booked with the CCCD
CARD_ID = "074049012345"
ADDRESS = "Số 7 Đường Bạch Đằng, Phường Phú Cường, Thủ Dầu Một"
# Born 2 December 1949: 76 on Wednesday 27 May 2026, so "Người cao tuổi (từ 75 tuổi)".
CARD = f"{CARD_ID}|281234567|NGUYỄN VĂN ẤN|02121949|Nam|{ADDRESS}|15082021"
YOUNG = f"{CARD_ID[:-1]}9||Lê Thị Hoa|15061990|Nữ|{ADDRESS}|01022022"


@pytest.fixture
async def card_kiosk(tmp_path, vp):
    """08:00 on the Wednesday; a 09:00 booking made with CARD_ID; a kiosk."""
    clock = FakeClock(WEDNESDAY_9AM - 3600)
    async with InProcessServer(tmp_path / "q.db", clock=clock) as server:
        async with aiohttp.ClientSession() as http:
            body = request(SERVICE, WEDNESDAY, "09:00", cccd=CARD_ID)
            status, answer = await post(http, server.base, "/api/bookings", body)
        assert status == 201, answer
        async with running_kiosk(server.base, vp) as model:
            model.clock = clock  # the card's age on the server's day
            yield server, clock, answer["booking"], model


async def test_a_card_of_76_is_offered_the_seniors_priority_with_one_tap(card_kiosk):
    server, _clock, _booking, kiosk = card_kiosk
    kiosk.scan(CARD)
    assert kiosk.screen is Page.CARD and kiosk.card is not None
    assert kiosk.card.age == 76 and kiosk.card.group is not None
    assert kiosk.card.group.id == "nguoi-cao-tuoi"
    kiosk.accept_card_priority()
    assert kiosk.screen is Page.HOME and kiosk.priority is not None
    assert kiosk.priority.id == "nguoi-cao-tuoi" and kiosk.card is None
    await kiosk.take_ticket(BIRTH)
    (ticket,) = server.tickets(BIRTH)
    assert ticket.priority == "nguoi-cao-tuoi"


async def test_a_younger_card_gets_no_priority_offer(card_kiosk):
    _server, _clock, _booking, kiosk = card_kiosk
    kiosk.scan(YOUNG)
    assert kiosk.screen is Page.CARD and kiosk.card is not None
    assert kiosk.card.age == 35 and kiosk.card.group is None
    kiosk.accept_card_priority()  # nothing to accept
    assert kiosk.priority is None and kiosk.screen is Page.CARD


@pytest.mark.parametrize(
    ("scan", "reason"),
    [
        ("074049012345|281234567|NGUYỄN VĂN ẤN", "damaged"),
        ("074049012345|281234567|NGUYỄN VĂN ẤN|02122030|Nam", "future_birth"),
        ("07404901234|281234567|NGUYỄN VĂN ẤN|02121949|Nam", "not_card"),
    ],
)
async def test_a_bad_card_is_refused_plainly(card_kiosk, scan, reason):
    server, _clock, _booking, kiosk = card_kiosk
    kiosk.scan(scan)
    assert kiosk.screen is Page.CARD and kiosk.card is None and kiosk.card_error == reason
    assert server.tickets() == []


async def test_the_booking_is_found_by_the_card_and_nothing_of_the_card_is_kept(
    card_kiosk, tmp_path, vp
):
    server, clock, booking, kiosk = card_kiosk
    clock.now = WEDNESDAY_9AM + 300
    kiosk.scan(CARD)
    await kiosk.checkin_by_card()
    assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
    (ticket,) = server.tickets(SERVICE)
    assert ticket.booking == booking["code"].replace("-", "")
    assert kiosk.ticket.message.startswith("Đã nhận lịch hẹn 09:00")
    assert len(await vp.wait_for_jobs(1)) == 1
    assert kiosk.card is None  # the card's use is over
    kiosk.go_home()
    # A second scan: the booking is used, said plainly on the card page.
    kiosk.scan(CARD)
    await kiosk.checkin_by_card()
    assert kiosk.screen is Page.CARD and kiosk.card is not None
    assert kiosk.card.refusal is not None and kiosk.card.refusal.code == "booking_used"
    kiosk.go_home()
    await server.stop()
    # Of the card, the database holds only what the booking held already: the ID
    # number in the booking's own row; no name as the card spells it, no date of
    # birth, no address, no old number, no date of issue.
    with sqlite3.connect(tmp_path / "q.db") as db:
        dump = "\n".join(db.iterdump())
        rows = db.execute("SELECT cccd FROM bookings").fetchall()
    for secret in ("NGUYỄN VĂN ẤN", "02121949", "Bạch Đằng", "281234567", "15082021"):
        assert secret not in dump, secret
    assert rows == [(CARD_ID,)]
    assert dump.count(CARD_ID) == 1, "the ID number is only in the booking"
    await server.start()


async def test_no_booking_today_for_this_card(card_kiosk):
    server, _clock, _booking, kiosk = card_kiosk
    kiosk.scan(YOUNG)
    await kiosk.checkin_by_card()
    assert kiosk.screen is Page.CARD and kiosk.card is not None
    refusal = kiosk.card.refusal
    assert refusal is not None and refusal.code == "no_booking_for_card"
    assert "Ông/Bà" in refusal.message and server.tickets() == []


async def test_a_card_scanned_while_printing_is_ignored(card_kiosk):
    _server, clock, _booking, kiosk = card_kiosk
    seen: list[Page] = []

    def scan_while_printing() -> None:
        if kiosk.busy and not seen:
            seen.append(kiosk.screen)
            kiosk.scan(CARD)

    kiosk.on_change(scan_while_printing)
    await kiosk.take_ticket(BIRTH)
    assert seen == [Page.PRINTING]
    assert kiosk.screen is Page.TICKET and kiosk.card is None


async def test_large_text_and_voice_are_reset_when_idle(card_kiosk):
    _server, _clock, _booking, kiosk = card_kiosk
    kiosk.toggle_large_text()  # on the home page, then nobody touches the screen
    kiosk._on_idle()
    assert not kiosk.large_text
    kiosk.toggle_large_text()
    kiosk.toggle_voice()
    kiosk.scan(CARD)
    assert kiosk.large_text and kiosk.voice and kiosk.card is not None
    kiosk._on_idle()
    assert not kiosk.large_text and not kiosk.voice and kiosk.card is None
    assert kiosk.screen is Page.HOME
