"""The writers beside the event log, on PostgreSQL (issue 19): they hand SQLite-style
SQL to the store (`core/pgdialect.py`). One real server on a real PostgreSQL database:
accounts and sign-in, a subscription and the messages it causes (outbox rows written
with the batch, their delivery states by the sender), configuration versions, device
keys, the built-in dossiers and their print audit, the purge of personal data, a
ticket's history, the leaders' report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import aiohttp
import psycopg
import pytest

from queue_server.domain.dossiers import Dossier, DossierStatus
from queue_server.dossiers.builtin import BuiltinDossiers
from queue_server.outbox.standins.sms_gateway import SmsGateway
from queue_server.web.reports import build_report
from tests.support.messaging import gateway_channel, messaging_site
from tests.support.servers import add_officer, login, peer, running_server
from tests.support.siteconfig import SMALL_SITE_KIOSK
from tests.support.waiting import until


@pytest.fixture
async def gateway():
    gw = SmsGateway()
    await gw.start()
    yield gw
    await gw.close()


def rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


async def test_a_centre_on_postgresql_beyond_the_queue(pg_dsn, gateway):
    config = messaging_site({"sms": gateway_channel(gateway.url)}, near_thresholds=[1, 3])
    async with running_server(pg_dsn, config) as (base, srv):  # type: ignore[arg-type]
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        tickets = [
            (await kiosk.request("issue", service="khai-sinh", request_id=f"r{i}"))["ticket"]
            for i in range(3)
        ]
        mine = tickets[2]
        answer = await kiosk.request(
            "notify_me", ticket=mine["public_id"], phone="+84 912 345 678", consent=True, ahead=1
        )
        assert answer["ok"] and answer["subscribed"] is True
        await add_officer(srv, "an", full_name="Nguyễn Văn An")  # accounts, audited
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        for _ in range(3):
            await counter.request("call_next")
            await counter.request("finish")
        await until(lambda: len(gateway.delivered) == 3, what="near, call and rating link")
        await until(
            lambda: rows(pg_dsn, "SELECT count(*) FROM outbox WHERE state = 'sent'") == [(3,)],
            what="the delivery states written",
        )
        assert rows(pg_dsn, "SELECT phone FROM subscriptions") == [("0912345678",)]
        assert ("an", "login") in rows(pg_dsn, "SELECT actor, action FROM audit")
        assert [a.full_name for a in await srv.accounts.users()] == ["Nguyễn Văn An"]
        # configuration versions (seeded from the file), device keys
        assert [v["version"] for v in await srv.config_book.versions()] == [1]
        token = await srv.device_keys.register("kiosk-9", "kiosk", "admin", time.time())
        assert srv.device_keys.find(token) is not None
        await srv.device_keys.revoke("kiosk-9", time.time())
        assert srv.device_keys.find(token) is None
        listed = [d["id"] for d in await srv.device_keys.listing()]
        assert "kiosk-9" in listed
        # the built-in dossiers: numbered in the writer's transaction, prints audited
        dossiers = BuiltinDossiers(lambda: srv.store)
        today = dt.date.today()
        made = [
            await dossiers.receive(
                "H09-261203",
                lambda code: Dossier(
                    code,
                    "1.0001",
                    "Đăng ký khai sinh",
                    "Trần Thị Bình",
                    "0912345678",
                    DossierStatus.RECEIVED,
                    today,
                    today + dt.timedelta(days=3),
                ),
            )
            for _ in range(2)
        ]
        assert [d.code for d in made] == ["H09-261203-0001", "H09-261203-0002"]
        assert (await dossiers.find("H09-261203-0002")).citizen_name == "Trần Thị Bình"
        assert not await dossiers.record_print(made[0].code, "receipt", "an", 1, time.time())
        assert await dossiers.record_print(made[0].code, "receipt", "an", 1, time.time())
        await dossiers.put([dataclasses.replace(made[1], status=DossierStatus.RETURNED)])
        # a ticket's history, the report, the purge of personal data
        history = await srv.store.ticket_history(mine["id"])
        assert [h["type"] for h in history][:2] == ["ticket_issued", "ticket_subscribed"]
        day = srv.state.day
        report = await build_report(srv.config, srv.store, day, day)
        assert report is not None
        purged = await srv.store.purge_personal_data("9999-12-31", time.time())
        assert purged == 0  # no bookings; subscriptions' phones erased
        assert rows(pg_dsn, "SELECT phone FROM subscriptions") == [(None,)]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as resp:
                assert (await resp.json())["role"] == "active"
            async with http.get(f"{base}/metrics") as resp:
                assert "xephang_active 1.0" in await resp.text()
            srv.leadership.role = "lost"  # as when its lock's session ends: it is stopping
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["role"] == "lost"
            async with http.get(f"{base}/metrics") as resp:
                assert "xephang_active 0.0" in await resp.text()
        for p in (kiosk, counter):
            await p.close()
