"""Online booking and check-in: the pure rules, the JSON API and the kiosk's `checkin`."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sqlite3
import uuid

import aiohttp
import pytest

from queue_protocol.errors import QueueError
from queue_server.core.siteconfig import load_config
from queue_server.domain import commands as c
from queue_server.domain.booking import normalize_cccd, normalize_phone, slots
from queue_server.domain.config import ConfigError
from queue_server.domain.state import QueueState
from queue_server.web.booking import BookingDesk
from tests.support.booking import SATURDAY, TODAY, TOMORROW, post, request, site
from tests.support.clock import FakeClock
from tests.support.servers import (
    SAMPLE_CONFIG,
    add_officer,
    free_port,
    login,
    peer,
    running_server,
)
from tests.support.siteconfig import SMALL_SITE, SMALL_SITE_KIOSK, WEDNESDAY_9AM, small_site
from tests.support.waiting import until
from vntext import fold


def stored_bookings(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT code, phone, cccd, status FROM bookings").fetchall()


# ----- pure rules ---------------------------------------------------------------


def test_search_folds_vietnamese_marks_and_đ():
    assert fold("Đăng ký đất đai") == "dang ky dat dai"
    assert fold("KHAI SINH, khai tử") == "khai sinh khai tu"


@pytest.mark.parametrize(
    "raw", ["0912345678", "+84912345678", "84 912 345 678", "0912.345.678", "+84 (91) 234-5678"]
)
def test_phone_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "0912345678"


@pytest.mark.parametrize(
    "raw", ["", "091234567", "09123456789", "0212345678", "1912345678", "+8502345678", "091234567a"]
)
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(QueueError) as err:
        normalize_phone(raw)
    assert err.value.code == "bad_phone"


def test_cccd_is_twelve_digits():
    assert normalize_cccd("079 203 001 234") == "079203001234"
    for bad in ("07920300123", "0792030012345", "07920300123x"):
        with pytest.raises(QueueError):
            normalize_cccd(bad)


def test_slots_follow_opening_hours_and_capacity_rules():
    config = small_site(
        booking={
            "slot_minutes": 60,
            "default_capacity": 2,
            "capacity": [
                {"service": "ket-hon", "places": 5},
                {"from": "12:00", "to": "13:00", "places": 0},
            ],
        }
    )
    day = dt.date(2026, 5, 28)
    birth = slots(config, "khai-sinh", day)
    assert [s.label for s in birth] == [
        "07:30",
        "08:30",
        "09:30",
        "10:30",
        "11:30",
        "13:30",
        "14:30",
        "15:30",
    ]  # 12:30 starts in the 0-place hour
    assert {s.places for s in birth} == {2}
    assert {s.places for s in slots(config, "ket-hon", day)} == {5}


@pytest.mark.parametrize(
    "booking, key",
    [
        ({"horizon_days": 0}, "booking.horizon_days"),
        ({"slot_minutes": "30"}, "booking.slot_minutes"),
        ({"cccd_services": ["khong-co"]}, "booking.cccd_services"),
        ({"capacity": [{"service": "khai-sinh"}]}, "booking.capacity[0].places"),
        ({"capacity": [{"from": "10:00", "to": "09:00", "places": 1}]}, "booking.capacity[0].to"),
        ({"retention_days": -1}, "booking.retention_days"),
    ],
)
def test_bad_booking_config_names_the_key(booking, key):
    from queue_server.domain.config import parse_config

    with pytest.raises(ConfigError) as err:
        parse_config(SMALL_SITE | {"booking": booking}, "site.toml")
    assert err.value.key == key


def test_the_sample_site_configures_booking():
    rules = load_config(SAMPLE_CONFIG).booking
    assert rules.horizon_days >= 7 and "ly-lich-tu-phap" in rules.cccd_services
    assert rules.places("cap-giay-chung-nhan", dt.time(9)) == 6


def test_domain_books_the_last_place_only_once():
    state = QueueState(site(default_capacity=1))
    state.execute(c.StartDay(actor="system", day=TODAY), WEDNESDAY_9AM)
    at = dt.datetime(2026, 5, 28, 9, tzinfo=state.config.site.tz).timestamp()

    def book(code, phone):
        return state.execute(
            c.BookSlot(
                actor="web",
                code=code,
                service="khai-sinh",
                day=TOMORROW,
                slot_at=at,
                name="An",
                phone=phone,
                cccd=None,
                notice_version="v",
                cancel_hash="h",
            ),
            WEDNESDAY_9AM,
        )

    book("AAAAAAAA", "0912345678")
    with pytest.raises(QueueError) as err:
        book("BBBBBBBB", "0987654321")
    assert err.value.code == "slot_full" and len(state.bookings.by_code) == 1


# ----- the JSON API ---------------------------------------------------------------


async def test_fifty_concurrent_bookings_for_ten_places(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        answers = await asyncio.gather(
            *(post(http, base, "/api/bookings", request(phone=f"09{n:08d}")) for n in range(50))
        )
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201] * 10 + [409] * 40
        refusals = [body["error"] for status, body in answers if status == 409]
        assert {e["code"] for e in refusals} == {"slot_full"}
        assert all("hết chỗ" in e["message"] for e in refusals)
        async with http.get(f"{base}/api/booking/slots?service=khai-sinh&day={TOMORROW}") as r:
            nine = next(s for s in (await r.json())["slots"] if s["time"] == "09:00")
        assert nine["remaining"] == 0 and nine["places"] == 10
    assert len(stored_bookings(tmp_path / "q.db")) == 10


@pytest.mark.parametrize(
    "change, code",
    [
        ({"phone": "012345"}, "bad_phone"),
        ({"phone": "+84 212 345 678"}, "bad_phone"),
        ({"service": "dat-dai", "cccd": "12345"}, "bad_cccd"),
        ({"service": "dat-dai"}, "bad_cccd"),
        ({"consent": False}, "consent_required"),
        ({"notice_version": "2020-01"}, "consent_required"),
        ({"name": " "}, "bad_name"),
        ({"day": SATURDAY}, "booking_day_closed"),
        ({"day": "2026-06-30"}, "booking_day_closed"),
        ({"time": "09:10"}, "bad_slot"),
        ({"day": TODAY, "time": "08:30"}, "bad_slot"),  # already past
        ({"service": "khong-co"}, "unknown_service"),
    ],
)
async def test_bad_requests_are_refused_with_their_message_and_store_nothing(
    tmp_path, change, code
):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        status, body = await post(http, base, "/api/bookings", request(**change))
    assert 400 <= status < 500 and body["error"]["code"] == code
    assert body["error"]["message"] == QueueError(code).message
    assert stored_bookings(tmp_path / "q.db") == []


async def test_one_booking_per_phone_service_and_day_and_cccd_only_when_needed(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        assert (await post(http, base, "/api/bookings", request(cccd="079203001234")))[0] == 201
        status, body = await post(
            http, base, "/api/bookings", request(phone="+84912345678", time="10:00")
        )
        assert status == 409 and body["error"]["code"] == "already_booked"
        assert "đã có một lịch hẹn" in body["error"]["message"]
        # another service, or another day, is fine; CCCD kept only where the service needs it
        assert (await post(http, base, "/api/bookings", request(service="ket-hon")))[0] == 201
        assert (
            await post(
                http, base, "/api/bookings", request(service="dat-dai", cccd="079 203 001 234")
            )
        )[0] == 201
    rows = {r[2] for r in stored_bookings(tmp_path / "q.db")}
    assert rows == {None, "079203001234"}


async def test_rate_limit_per_client_address(tmp_path):
    async with (
        running_server(
            tmp_path / "q.db", site(requests_per_hour=3), clock=FakeClock(WEDNESDAY_9AM)
        ) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        answers = [
            await post(http, base, "/api/bookings", request(phone=f"09{n:08d}")) for n in range(4)
        ]
    assert [s for s, _ in answers] == [201, 201, 201, 429]
    assert "quá nhiều yêu cầu" in answers[3][1]["error"]["message"]
    assert len(stored_bookings(tmp_path / "q.db")) == 3


async def test_cancel_needs_the_key_and_frees_the_place(tmp_path):
    async with (
        running_server(
            tmp_path / "q.db", site(default_capacity=1), clock=FakeClock(WEDNESDAY_9AM)
        ) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(http, base, "/api/bookings", request())
        code, key = made["booking"]["code"], made["cancel_key"]
        assert made["qr_svg"].startswith("<svg") and len(code) == 8
        status, body = await post(http, base, f"/api/bookings/{code}/cancel", {"key": "sai"})
        assert status == 403 and body["error"]["code"] == "bad_cancel_link"
        status, body = await post(http, base, f"/api/bookings/{code}/cancel", {"key": key})
        assert status == 200 and body["booking"]["status"] == "cancelled"
        status, body = await post(http, base, f"/api/bookings/{code}/cancel", {"key": key})
        assert body["error"]["code"] == "booking_cancelled"
        # the place is free again: the same phone may book it
        assert (await post(http, base, "/api/bookings", request()))[0] == 201


async def test_a_booking_goes_into_the_phones_calendar_without_personal_data(tmp_path):
    config = site()
    config = dataclasses.replace(
        config, site=dataclasses.replace(config.site, public_url="https://xephang.example.vn")
    )
    async with (
        running_server(tmp_path / "q.db", config, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(
            http,
            base,
            "/api/bookings",
            request(service="ket-hon", time="10:30", name="Phạm Thị Dung", phone="0912345678"),
        )
        code, key = made["booking"]["code"], made["cancel_key"]
        async with http.get(f"{base}/api/bookings/{code}.ics") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
            raw = await resp.read()
        assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # octets, RFC 5545
        text = raw.decode().replace("\r\n ", "")  # unfolded
        lines = text.split("\r\n")
        assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
        fields: dict[str, str] = {}
        for line in lines:  # the event's own fields come before its alarm's
            if ":" in line:
                fields.setdefault(*line.split(":", 1))
        # 10:30 in Ho Chi Minh City is 03:30 UTC; a 30-minute slot
        assert fields["DTSTART"] == "20260528T033000Z" and fields["DTEND"] == "20260528T040000Z"
        assert fields["SUMMARY"] == "Đăng ký kết hôn – Trung tâm Hành chính công thử nghiệm"
        code_display = made["booking"]["code_display"]
        assert f"Mã đặt lịch: {code_display}" in fields["DESCRIPTION"]
        assert "\\n" in fields["DESCRIPTION"] and "TRIGGER:-PT1H" in lines
        assert "Dung" not in text and "0912345678" not in text and "345" not in text
        # the booking page, at the site's public address
        assert fields["URL"] == "https://xephang.example.vn/dat-lich"
        assert "https://xephang.example.vn/dat-lich" in fields["DESCRIPTION"]
        assert (fields["METHOD"], fields["SEQUENCE"], fields["STATUS"]) == (
            "PUBLISH",
            "0",
            "CONFIRMED",
        )
        await post(http, base, f"/api/bookings/{code}/cancel", {"key": key})
        # cancelled: the same event's cancellation, for the phone that imported it
        async with http.get(f"{base}/api/bookings/{code}.ics") as resp:
            assert resp.status == 200
            gone = (await resp.read()).decode().replace("\r\n ", "").split("\r\n")
        cancel: dict[str, str] = {}
        for line in gone:
            if ":" in line:
                cancel.setdefault(*line.split(":", 1))
        assert cancel["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"
        assert cancel["UID"] == fields["UID"] and int(cancel["SEQUENCE"]) > 0
        assert cancel["DTSTART"] == fields["DTSTART"]
        assert cancel["URL"] == "https://xephang.example.vn/dat-lich"
        assert "đã được huỷ" in cancel["DESCRIPTION"] and "BEGIN:VALARM" not in gone
        async with http.get(f"{base}/api/bookings/not-a-code.ics") as resp:
            assert resp.status in (400, 404)


def test_calendar_lines_fold_between_characters_and_escape_text():
    from queue_server.web.calendar import _escape, _fold_line

    line = "SUMMARY:" + "Đăng ký biến động đất đai, chuyển nhượng quyền sử dụng đất; " * 3
    folded = _fold_line(_escape(line)).encode()
    assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
    assert folded.decode().replace("\r\n ", "") == _escape(line)  # whole characters
    assert _escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


async def test_personal_data_stays_out_of_the_event_log_and_is_purged(tmp_path):
    db = tmp_path / "q.db"
    async with (
        running_server(db, site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        await post(http, base, "/api/bookings", request(service="dat-dai", cccd="079203001234"))
        with sqlite3.connect(db) as conn:
            log = " ".join(d for (d,) in conn.execute("SELECT data FROM events"))
        assert "booking_made" in log and "0912345678" not in log
        assert "079203001234" not in log and "Nguyễn" not in log
        assert await server_purge(server, "2026-05-28") == 0  # the booked day is kept
        assert await server_purge(server, "2026-06-28") == 1
    assert stored_bookings(db)[0][1:3] == (None, None)


async def server_purge(server, before_day):
    return await BookingDesk(server).purge(before_day)


# ----- check-in at the kiosk --------------------------------------------------------


async def test_checkin_inside_the_window_goes_ahead_of_later_walk_ins(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM - 3600)  # 08:00
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(http, base, "/api/bookings", request(day=TODAY, time="09:00"))
        code = made["booking"]["code"]
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        clock.now = WEDNESDAY_9AM - 40 * 60  # 08:20: too early
        early = await kiosk.request("checkin", code=code, request_id="r0")
        assert early["error"]["code"] == "checkin_too_early"
        clock.now = WEDNESDAY_9AM + 120  # 09:02: a walk-in comes
        walk_in = await kiosk.request("issue", service="khai-sinh", request_id="r1")
        clock.now = WEDNESDAY_9AM + 300  # 09:05: the booked citizen checks in, in time
        booked = await kiosk.request(
            "checkin", code=code.lower()[:4] + "-" + code[4:], request_id="r2"
        )
        assert booked["ok"] and not booked["checkin"]["late"]
        assert "theo giờ hẹn" in booked["checkin"]["message"]
        assert booked["ticket"]["ahead"] == 0 and booked["ticket"]["number"] == "A002"
        again = await kiosk.request("checkin", code=code, request_id="r2")
        assert again["ticket"]["id"] == booked["ticket"]["id"]  # a double tap: same ticket
        used = await kiosk.request("checkin", code=code, request_id="r3")
        assert used["error"]["code"] == "booking_used"
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        first = await counter.request("call_next")
        second = await counter.request("call_next")
        assert [first["ticket"]["number"], second["ticket"]["number"]] == [
            booked["ticket"]["number"],
            walk_in["ticket"]["number"],
        ]
        for p in (kiosk, counter):
            await p.close()


async def test_late_wrong_day_unknown_and_cancelled_codes(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM - 3600)
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        today = (await post(http, base, "/api/bookings", request(day=TODAY)))[1]
        tomorrow = (await post(http, base, "/api/bookings", request(phone="0987654321")))[1]
        gone = (await post(http, base, "/api/bookings", request(phone="0355555555", day=TODAY)))[1]
        await post(
            http,
            base,
            f"/api/bookings/{gone['booking']['code']}/cancel",
            {"key": gone["cancel_key"]},
        )
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        clock.now = WEDNESDAY_9AM + 20 * 60  # 09:20: after the window
        refusals = {}
        for name, code in (
            ("tomorrow", tomorrow["booking"]["code"]),
            ("cancelled", gone["booking"]["code"]),
            ("unknown", "ZZZZ-ZZZZ"),
            ("garbage", "12"),
        ):
            res = await kiosk.request("checkin", code=code, request_id=str(uuid.uuid4()))
            refusals[name] = res["error"]["code"]
        assert refusals == {
            "tomorrow": "booking_wrong_day",
            "cancelled": "booking_cancelled",
            "unknown": "unknown_booking",
            "garbage": "unknown_booking",
        }
        late = await kiosk.request("checkin", code=today["booking"]["code"], request_id="late")
        assert late["ok"] and late["checkin"]["late"]
        assert "sau giờ hẹn" in late["checkin"]["message"]
        assert late["ticket"]["issued_at"] == clock.now
        await kiosk.close()


async def test_bookings_survive_a_restart(tmp_path):
    db, port = tmp_path / "q.db", free_port()
    config = site(default_capacity=1)
    async with (
        running_server(db, config, port=port, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        assert (await post(http, base, "/api/bookings", request()))[0] == 201
    # restarted: the same address, the same database
    async with (
        running_server(db, config, port=port, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        status, body = await post(http, base, "/api/bookings", request(phone="0987654321"))
        assert body["error"]["code"] == "slot_full"


async def test_a_voided_check_in_gives_the_booking_back_also_after_a_restart(tmp_path):
    db, port, clock = tmp_path / "q.db", free_port(), FakeClock(WEDNESDAY_9AM - 3600)
    async with (
        running_server(db, site(), port=port, clock=clock) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        code = (await post(http, base, "/api/bookings", request(day=TODAY)))[1]["booking"]["code"]
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        clock.now = WEDNESDAY_9AM
        first = await kiosk.request("checkin", code=code, request_id="c1")
        assert (
            await kiosk.request(
                "void", ticket_id=first["ticket"]["id"], reason="not_printed: paper_out"
            )
        )["ok"]
        await kiosk.close()
    async with running_server(db, site(), port=port, clock=clock) as (base, _):  # restarted
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        again = await kiosk.request("checkin", code=code, request_id="c2")
        assert again["ok"] and again["ticket"]["id"] != first["ticket"]["id"]
        assert not again["checkin"]["late"]
        used = await kiosk.request("checkin", code=code, request_id="c3")
        assert used["error"]["code"] == "booking_used"  # reopened once, used once
        await kiosk.close()


# ----- tracking and the hall's voice ----------------------------------------------


async def test_a_public_client_tracks_one_ticket(tmp_path):
    async with running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (
        base,
        server,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        mine = (await kiosk.request("issue", service="ket-hon", request_id="a"))["ticket"]
        phone = await peer(base, "public")
        tracked = await phone.request("track", ticket=mine["public_id"])
        assert tracked["ticket"]["number"] == "B001" and tracked["ticket"]["status"] == "waiting"
        missing = await phone.request("track", ticket="khong-co")
        assert missing["error"]["code"] == "unknown_ticket"
        await add_officer(server, "binh")
        counter = await peer(base, "counter", await login(base, "binh"), counter=2)
        await counter.request("call_next")
        update = await phone.wait_event("ticket")
        while update["ticket"]["status"] != "called":
            update = await phone.wait_event("ticket")
        assert update["ticket"]["counter"] == 2 and update["ticket"]["now_serving"] == "B001"
        for p in (kiosk, phone, counter):
            await p.close()


async def test_announcement_wav_is_served(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site()) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{base}/api/announcements/A015/2.wav") as resp:
            assert resp.status == 200 and resp.content_type == "audio/wav"
            assert (await resp.read())[:4] == b"RIFF"
        for bad in ("A015/99.wav", "A0%3C15/2.wav", "A015/x.wav"):
            async with http.get(f"{base}/api/announcements/{bad}") as resp:
                assert resp.status == 404


async def test_personal_data_past_retention_is_erased_at_start_up(tmp_path):
    db, port = tmp_path / "q.db", free_port()
    async with (
        running_server(db, site(), port=port, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        await post(http, base, "/api/bookings", request())
    later = FakeClock(WEDNESDAY_9AM + 40 * 86400)  # the daily reset after the retention period
    async with running_server(db, site(), port=port, clock=later):  # restarted
        await until(lambda: stored_bookings(db)[0][1] is None, what="the phone number erased")
    assert stored_bookings(db)[0][1:] == (None, None, "active")
