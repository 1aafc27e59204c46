"""The province floor: each site's queue now, live to the leader's browser through
LISTEN/NOTIFY and Server-Sent Events, limited to the leader's scope; offline sites seen."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp

from queue_server.domain.replication import site_meta
from queue_server.replication.shipper import Shipper
from tests.support.clock import FakeClock
from tests.support.province import LEADER_PASSWORD, CentralServer, shipping
from tests.support.servers import KIOSK_TOKEN, InProcessServer, add_officer, peer


async def _login(base: str, name: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/api/login", json={"username": name, "password": LEADER_PASSWORD}
        ) as resp,
    ):
        return (await resp.json())["token"]


async def test_the_floor_is_live_and_scoped(pg_dsn, tmp_path):
    clock = FakeClock(time.time())
    central = CentralServer(pg_dsn, clock=clock)
    await central.start()
    try:
        token = await central.add_site("tinh", district="Thủ Dầu Một")
        await central.add_site("xa-khac", district="Dĩ An")  # never heard from
        await central.add_leader("huyen", "district", "Thủ Dầu Một")
        leader = await _login(central.base, "huyen")
        async with InProcessServer(tmp_path / "site.db") as site:
            await add_officer(site.server, "an")
            kiosk = await peer(site.base, "kiosk", KIOSK_TOKEN)
            shipper = Shipper(site.db, central.base, "tinh", token, site_meta(site.server.config))
            async with (
                shipping(shipper),
                aiohttp.ClientSession() as http,
                http.get(
                    f"{central.base}/api/province/floor/stream", params={"token": leader}
                ) as stream,
            ):
                assert stream.headers["Content-Type"] == "text/event-stream"
                first = await _next(stream)
                assert [s["id"] for s in first["sites"]] == ["tinh"]  # Dĩ An is not theirs
                for _ in range(3):
                    answer = await kiosk.request(
                        "issue", service="ket-hon", request_id=uuid.uuid4().hex
                    )
                    assert answer["ok"]
                seen = first
                while seen["sites"][0]["waiting"] != 3:  # pushed, not polled
                    seen = await _next(stream)
                line = seen["sites"][0]
                assert line["online"] and line["lag_events"] == 0
                assert line["longest_wait"] is not None and line["open_alerts"] == 0
            await kiosk.close()
        clock.now += 120  # nothing from the site for two minutes
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{central.base}/api/province/floor", headers={"Authorization": f"Bearer {leader}"}
            ) as resp,
        ):
            line = (await resp.json())["sites"][0]
        assert line["online"] is False and line["waiting"] == 3
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{central.base}/api/province/floor") as resp,
        ):
            assert resp.status == 401
    finally:
        await central.stop()


async def _next(stream: aiohttp.ClientResponse) -> dict:
    async def line() -> dict:
        while True:
            raw = (await stream.content.readline()).decode()
            if raw.startswith("data: "):
                return json.loads(raw[6:])

    return await asyncio.wait_for(line(), 10)  # pushes come on NOTIFY, not every 30 s
