"""Booking limits that do not lock out real people: only accepted bookings count per
address (many phones share one on mobile data), a per-phone limit, a generous ceiling
on all requests; every bad field is named at once."""

from __future__ import annotations

import aiohttp

from tests.server.test_booking import stored_bookings
from tests.support.booking import post, request, site
from tests.support.clock import FakeClock
from tests.support.servers import running_server
from tests.support.siteconfig import WEDNESDAY_9AM

FRIDAY = "2026-05-29"


async def test_typos_do_not_use_up_the_addresss_bookings(tmp_path):
    config = site(requests_per_hour=100, bookings_per_address_per_hour=3)
    async with (
        running_server(tmp_path / "q.db", config, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        for _ in range(10):  # a citizen fighting the phone field
            status, _answer = await post(http, base, "/api/bookings", request(phone="09123"))
            assert status == 400
        answers = [
            await post(http, base, "/api/bookings", request(phone=f"09{n:08d}")) for n in range(4)
        ]
    assert [s for s, _ in answers] == [201, 201, 201, 429]  # three accepted, then refused
    assert len(stored_bookings(tmp_path / "q.db")) == 3


async def test_a_phone_holds_a_few_bookings_at_most(tmp_path):
    config = site(bookings_per_phone=2)
    async with (
        running_server(tmp_path / "q.db", config, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        first = await post(http, base, "/api/bookings", request(service="khai-sinh"))
        second = await post(http, base, "/api/bookings", request(service="ket-hon"))
        assert (first[0], second[0]) == (201, 201)
        status, body = await post(
            http, base, "/api/bookings", request(service="khai-sinh", day=FRIDAY, time="10:00")
        )
        assert (status, body["error"]["code"]) == (409, "phone_limit")
        assert "huỷ một lịch hẹn" in body["error"]["message"]
        # another phone behind the same address books as usual
        assert (await post(http, base, "/api/bookings", request(phone="0987654321")))[0] == 201
        # cancelling one frees a place for this phone
        made = first[1]
        code, key = made["booking"]["code"], made["cancel_key"]
        assert (await post(http, base, f"/api/bookings/{code}/cancel", {"key": key}))[0] == 200
        again = request(service="khai-sinh", day=FRIDAY, time="10:00")
        assert (await post(http, base, "/api/bookings", again))[0] == 201


async def test_every_bad_field_is_named_at_once(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        body = request(service="dat-dai", name=" ", phone="012", cccd="123", consent=False)
        status, answer = await post(http, base, "/api/bookings", body)
    assert status == 400
    fields = {f["field"]: f["code"] for f in answer["error"]["fields"]}
    assert fields == {
        "name": "bad_name",
        "phone": "bad_phone",
        "cccd": "bad_cccd",
        "consent": "consent_required",
    }
    assert all(f["message"] and f["message_en"] for f in answer["error"]["fields"])
    assert answer["error"]["code"] == "bad_name"  # the first, for older pages
    assert stored_bookings(tmp_path / "q.db") == []
