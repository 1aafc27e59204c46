"""Shipping a site's log to the province server, on a real PostgreSQL: exactly once
through a cut link, a restarted database, a killed shipper and a killed site; forged
tokens and unknown schema versions refused, the backlog kept; a wrong site clock
reported, the site's order kept."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import aiohttp

from assets import SAMPLE_CONFIG
from queue_server.domain.replication import site_meta
from queue_server.replication.shipper import Shipper
from tests.support.province import (
    LEADER_PASSWORD,
    shipper_process,
    shipping,
    simulate,
    site_head,
    write_site,
)
from tests.support.servers import (
    KIOSK_TOKEN,
    CuttableLink,
    InProcessServer,
    ServerProcess,
    peer,
    sample_site,
)
from tests.support.waiting import until

FIRST = dt.date(2026, 3, 2)


async def _a_site(tmp_path: Path, name: str, days: int = 1, tickets: int = 300) -> Path:
    config = sample_site(tmp_path)
    events, bookings = simulate(config, FIRST, days, tickets, seed=len(name))
    db = tmp_path / f"{name}.db"
    await write_site(db, events, bookings)
    return db


async def _exactly_once(central, site: str, db: Path) -> None:
    """Every event of the site stored once, in its order, and folded once."""
    head = site_head(db)
    await central.caught_up(site, head)
    assert await central.stored_ids(site) == list(range(1, head + 1))
    with sqlite3.connect(db) as conn:
        issued = conn.execute("SELECT count(*) FROM events WHERE type = 'ticket_issued'").fetchone()
    folded = await central.central.pool.fetchval(
        "SELECT sum(issued) FROM fig_service WHERE site_id = $1", site
    )
    assert folded == issued[0]  # each event folded into the rollups exactly once


async def test_a_forged_token_is_refused_and_the_backlog_kept(central, tmp_path):
    db = await _a_site(tmp_path, "xa-a", tickets=60)
    real = await central.add_site("xa-a")
    forged = Shipper(db, central.base, "xa-a", "not-the-token", site_meta(sample_site(tmp_path)))
    async with shipping(forged):
        await until(lambda: forged.status.refused, what="the refusal")
    assert "401 unauthorized" in forged.status.refused
    assert await central.stored_ids("xa-a") == []
    # a direct attempt with a good site's id and a wrong token: nothing stored either
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{central.base}/api/replication/batch",
            json={
                "schema": 1,
                "site": "xa-a",
                "after": 0,
                "head": 1,
                "sent_at": 0,
                "events": [[1, "2026-03-02", 1.0, "day_started", '{"type":"day_started"}']],
            },
            headers={"Authorization": "Bearer " + real[:-2] + "xx"},
        ) as resp,
    ):
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "unauthorized"
    assert await central.stored_ids("xa-a") == []
    async with shipping(Shipper(db, central.base, "xa-a", real)):
        await _exactly_once(central, "xa-a", db)


async def test_an_unknown_schema_version_is_refused_with_a_clear_message(central, tmp_path):
    db = await _a_site(tmp_path, "xa-b", tickets=60)
    token = await central.add_site("xa-b")
    newer = Shipper(db, central.base, "xa-b", token, schema=2)
    async with shipping(newer):
        await until(lambda: newer.status.refused, what="the refusal")
    assert "422 unsupported_schema" in newer.status.refused
    assert "schema 2 is not one of [1]" in newer.status.refused
    assert newer.status.lag_events == site_head(db)  # the backlog is kept, all of it
    assert await central.stored_ids("xa-b") == []
    async with shipping(Shipper(db, central.base, "xa-b", token)):
        await _exactly_once(central, "xa-b", db)


async def test_a_cut_link_delays_shipping_and_loses_nothing(central, tmp_path):
    """A live site issues tickets while its link is down: it issues normally, the lag
    grows, then everything arrives, once."""
    token = await central.add_site("trung-tam")
    link = CuttableLink(central.port)
    await link.start()
    async with InProcessServer(tmp_path / "site.db") as site:
        kiosk = await peer(site.base, "kiosk", KIOSK_TOKEN)
        shipper = Shipper(site.db, link.base, "trung-tam", token, site_meta(site.server.config))
        async with shipping(shipper):
            for _ in range(5):
                await _issue(kiosk)
            await until(
                lambda: shipper.status.acked == site_head(site.db) and site_head(site.db) > 5
            )
            link.cut()
            for _ in range(40):  # the site goes on issuing
                await _issue(kiosk)
            await until(lambda: shipper.status.head == site_head(site.db), what="the lag seen")
            assert shipper.status.lag_events >= 40
            assert 0 <= shipper.status.lag_seconds < 600  # the site's minutes, not its epoch
            assert shipper.status.failures > 0 or shipper.status.lag_events >= 40
            link.restore()
            shipper.wake()
            await _exactly_once(central, "trung-tam", site.db)
        await kiosk.close()
    await link.stop()


async def test_postgres_restarted_mid_batch(central, pg, tmp_path):
    db = await _a_site(tmp_path, "tinh", days=2, tickets=400)
    token = await central.add_site("tinh")
    shipper = Shipper(db, central.base, "tinh", token, batch=200)
    async with shipping(shipper):
        await until(lambda: (shipper.status.acked or 0) > 0, what="the first batches")
        pg.restart("immediate")  # a crash: whatever was not committed is gone
        shipper.wake()
        await _exactly_once(central, "tinh", db)
    assert shipper.status.acked == site_head(db)


async def test_exactly_once_across_a_killed_shipper(central, tmp_path):
    db = await _a_site(tmp_path, "xa-c", days=2, tickets=400)
    token = await central.add_site("xa-c")
    with shipper_process(db, central.base, "xa-c", token, SAMPLE_CONFIG) as proc:
        await until(lambda: central.site_row("xa-c"), what="the site row")

        async def some_stored() -> bool:
            return (await central.site_row("xa-c"))["acked"] > 0

        await until(some_stored, timeout=60, what="some events stored")
        proc.kill()
        proc.start()  # SIGKILLed mid catch-up, started again
        await _exactly_once(central, "xa-c", db)


async def test_exactly_once_across_a_killed_site(central, tmp_path):
    """The site server SIGKILLed while its log is shipped: what it committed arrives,
    once; what it issues after its restart follows."""
    token = await central.add_site("xa-d")
    site = ServerProcess(tmp_path / "site.db")
    site.start()
    try:
        with shipper_process(site.db, central.base, "xa-d", token, SAMPLE_CONFIG):
            kiosk = await peer(site.base, "kiosk", KIOSK_TOKEN)
            for _ in range(20):
                await _issue(kiosk)
            site.kill()
            await kiosk.close()
            site.start()
            kiosk = await peer(site.base, "kiosk", KIOSK_TOKEN)
            for _ in range(20):
                await _issue(kiosk)
            await kiosk.close()
            await _exactly_once(central, "xa-d", site.db)
    finally:
        site.stop()


async def test_a_wrong_site_clock_is_reported_and_the_order_kept(central, tmp_path):
    """The site's clock 7 minutes fast, and set back mid-morning: events keep the site's
    order (its ids), and the report and the floor say the skew."""
    config = sample_site(tmp_path)
    events, bookings = simulate(config, FIRST, 1, 80, seed=7)
    middle = len(events) // 2  # the clock set back by 5 minutes here
    events = [
        (day, ev if i < middle else type(ev)(**{**ev.__dict__, "at": ev.at - 300}))
        for i, (day, ev) in enumerate(events)
    ]
    db = tmp_path / "lech.db"
    await write_site(db, events, bookings)
    token = await central.add_site("lech-gio")
    fast = Shipper(
        db, central.base, "lech-gio", token, site_meta(config), clock=lambda: _now() + 420
    )
    async with shipping(fast):
        await _exactly_once(central, "lech-gio", db)
    row = await central.site_row("lech-gio")
    assert 415 < row["skew_seconds"] < 425
    await central.add_leader("tinh", "province", "Bình Dương")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{central.base}/api/login", json={"username": "tinh", "password": LEADER_PASSWORD}
        ) as resp:
            leader = (await resp.json())["token"]
        async with http.get(
            f"{central.base}/api/province/report",
            params={"from": FIRST.isoformat(), "by": "site"},
            headers={"Authorization": f"Bearer {leader}"},
        ) as resp:
            report = await resp.json()
    (site,) = report["sites"]
    assert 415 < site["clock_skew_seconds"] < 425  # the report says the skew
    assert report["rows"][0]["issued"] == sum(1 for _, ev in events if ev.type == "ticket_issued")
    stored = await central.central.pool.fetch(
        "SELECT id, at FROM events WHERE site_id = 'lech-gio' ORDER BY id"
    )
    ats = [r["at"] for r in stored]
    assert ats == [ev.at for _, ev in events]  # as the site wrote them, in its order
    assert any(b < a for a, b in zip(ats, ats[1:], strict=False))  # not re-sorted by time


async def _issue(kiosk) -> None:
    answer = await kiosk.request("issue", service="ket-hon", request_id=uuid.uuid4().hex)
    assert answer["ok"], answer


def _now() -> float:
    import time

    return time.time()


async def test_a_batch_sent_twice_is_stored_once_and_a_gap_refused(central):
    """A retry after a lost answer, and a batch that would leave a gap: both answered
    `out_of_order` with the true position; nothing stored twice, nothing skipped."""
    token = await central.add_site("xa-e")
    day = '{"type":"day_started","at":1.0,"actor":"system","day":"2026-03-02","next_ticket_id":1}'

    def batch(after: int, ids: list[int]) -> dict:
        events = [[i, "2026-03-02", float(i), "day_started", day] for i in ids]
        return {"schema": 1, "site": "xa-e", "after": after, "head": ids[-1], "sent_at": 0.0,
                "events": events}  # fmt: skip

    async def post(body: dict) -> tuple[int, dict]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{central.base}/api/replication/batch",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ) as resp,
        ):
            return resp.status, await resp.json()

    assert await post(batch(0, [1, 2, 3])) == (200, {"acked": 3})
    status, again = await post(batch(0, [1, 2, 3]))  # the answer was lost: sent again
    assert status == 409 and again["acked"] == 3 and again["error"]["code"] == "out_of_order"
    status, ahead = await post(batch(5, [6, 7]))  # would leave 4 and 5 out
    assert status == 409 and ahead["acked"] == 3
    assert await post(batch(3, [4, 5])) == (200, {"acked": 5})
    assert await central.stored_ids("xa-e") == [1, 2, 3, 4, 5]
    status, bad = await post(batch(5, [7, 6]))  # not rising
    assert status == 400 and "rise" in bad["error"]["detail"]
    assert await central.stored_ids("xa-e") == [1, 2, 3, 4, 5]


async def test_a_shipper_that_lost_an_answer_goes_on_from_the_true_position(central, tmp_path):
    db = await _a_site(tmp_path, "xa-f", tickets=40)
    token = await central.add_site("xa-f")
    shipper = Shipper(db, central.base, "xa-f", token, batch=100)
    async with shipping(shipper):
        await _exactly_once(central, "xa-f", db)
        shipper.status.acked = 50  # as if the answers since event 50 were lost
        shipper.wake()
        await until(lambda: shipper.status.acked == site_head(db), what="the true position")
    await _exactly_once(central, "xa-f", db)


async def test_a_busy_province_server_pushes_back_and_loses_nothing(central, tmp_path, monkeypatch):
    """Every slot taken: batches wait their turn, then are told `unavailable` with
    `Retry-After`; the shipper waits and sends again; everything arrives, once."""
    from queue_server.central import ingest

    db = await _a_site(tmp_path, "xa-g", tickets=40)
    token = await central.add_site("xa-g")
    monkeypatch.setattr(ingest, "QUEUE_SECONDS", 0.2)
    slots = central.central.ingest._slots
    for _ in range(ingest.MAX_CONCURRENT):  # as if eight other sites were being stored
        await slots.acquire()
    shipper = Shipper(db, central.base, "xa-g", token)
    async with shipping(shipper):
        await until(lambda: shipper.status.failures >= 2, what="refusals while busy")
        assert await central.stored_ids("xa-g") == []
        for _ in range(ingest.MAX_CONCURRENT):
            slots.release()
        await _exactly_once(central, "xa-g", db)
    assert shipper.status.lag_events == 0


async def test_a_shipper_started_before_its_site_waits_for_the_database(central, tmp_path):
    """The shipper's service may start before the site server has made its database."""
    db = tmp_path / "later.db"
    sqlite3.connect(db).close()  # an empty file: no events table yet
    token = await central.add_site("xa-h")
    shipper = Shipper(db, central.base, "xa-h", token)
    async with shipping(shipper):
        await until(lambda: shipper.status.failures >= 1, what="a failed read")
        events, bookings = simulate(sample_site(tmp_path), FIRST, 1, 20, seed=3)
        await write_site(db, events, bookings)  # the site server starts
        shipper.wake()
        await _exactly_once(central, "xa-h", db)
