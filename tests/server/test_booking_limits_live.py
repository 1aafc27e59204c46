"""Issue 15: the booking page's rate limits follow a configuration change made in the
admin screen, without a restart; what an address has already used still counts."""

from __future__ import annotations

import aiohttp

from tests.support.admin import change_config
from tests.support.booking import post, request, site
from tests.support.clock import FakeClock
from tests.support.servers import add_officer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM


async def test_lowered_and_raised_limits_apply_at_once(tmp_path):
    async with (
        running_server(
            tmp_path / "q.db", site(requests_per_hour=1000), clock=FakeClock(WEDNESDAY_9AM)
        ) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        await add_officer(server, "quan-tri", "admin")

        async def booking(n: int) -> int:
            return (await post(http, base, "/api/bookings", request(phone=f"09{n:08d}")))[0]

        assert [await booking(n) for n in range(3)] == [201, 201, 201]

        def limit(requests: int, bookings: int):
            def edit(document: dict) -> None:
                document["booking"]["requests_per_hour"] = requests
                document["booking"]["bookings_per_address_per_hour"] = bookings

            return edit

        await change_config(base, limit(4, 20))
        assert [await booking(n) for n in range(3, 5)] == [201, 429]  # 3 used + 1 more
        await change_config(base, limit(1000, 4))  # now the bookings made count: 4 made
        assert await booking(5) == 429
        await change_config(base, limit(1000, 20))
        assert await booking(6) == 201
