"""A standby instance says so (issue 19): it listens while another is active, its
/healthz answers 503 "standby", /metrics `xephang_active 0`, /ws and every other route
refuse at once (`unavailable`); on takeover the same listening socket serves. The kiosk
and the officer's console, given both addresses, go on through whichever serves; a tap
whose answer was lost with the active instance gets that first answer from the other."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import websockets

from kiosk.model import Page
from queue_protocol.urls import server_url_lists
from tests.support.failover import Instance
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.servers import PASSWORD, CuttableLink
from tests.support.waiting import until


def fetch(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, a refusal included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read().decode()


def listening_inode(port: int) -> str | None:
    """The kernel's inode of the socket listening on `port` (the same socket keeps it)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # LISTEN
            return fields[9]
    return None


def issued_numbers(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT data::jsonb FROM events WHERE type = 'ticket_issued' ORDER BY id"
        ).fetchall()
    return [(row[0]["number"], row[0]["request_id"]) for row in rows]


async def standby_refuses_everything(standby: Instance) -> None:
    status, kind, body = fetch(f"{standby.base}/healthz")
    assert (status, json.loads(body)) == (503, {"ok": False, "role": "standby"})
    status, _, body = fetch(f"{standby.base}/metrics")
    assert status == 200 and re.search(r"^xephang_active 0\.0$", body, re.M)
    status, kind, body = fetch(f"{standby.base}/api/services")
    assert status == 503 and json.loads(body)["error"]["code"] == "unavailable"
    status, kind, page = fetch(f"{standby.base}/dat-lich")
    assert status == 503 and kind.startswith("text/html")
    vietnamese = page.index("Hệ thống tạm thời không phục vụ.")
    assert vietnamese < page.index("The system is unavailable.")
    async with websockets.connect(f"ws://127.0.0.1:{standby.port}/ws") as ws:
        await ws.send(json.dumps({"type": "hello", "protocol": 1, "role": "kiosk"}))
        refusal = json.loads(await ws.recv())
        assert refusal["type"] == "error" and refusal["error"]["code"] == "unavailable"
        await ws.wait_closed()
        assert ws.close_code == 1013


async def test_the_standby_says_so_and_clients_go_on_through_the_other(pg_dsn, tmp_path, vp):
    from counter_display.console_model import ConsoleModel
    from queue_server.core.pgstore import open_accounts

    first, second = Instance(pg_dsn, tmp_path, "a"), Instance(pg_dsn, tmp_path, "b")
    third = Instance(pg_dsn, tmp_path, "c")
    link: CuttableLink | None = None
    console: ConsoleModel | None = None
    try:
        first.start()
        second.start(wait=False)
        await until(lambda: "waiting for its lock" in second.text(), what="the standby to wait")
        await until(lambda: listening_inode(second.port) is not None, what="the standby listens")
        await standby_refuses_everything(second)
        inode = listening_inode(second.port)
        assert first.health()["role"] == "active"

        accounts = await open_accounts(pg_dsn)
        try:
            await accounts.add_user("an", "officer", PASSWORD, actor="test")
        finally:
            await accounts.close()
        # The console names the standby first: its sign-in and its connection move on.
        console = ConsoleModel(*server_url_lists(f"{second.base},{first.base}"))
        assert await console.sign_in("an", PASSWORD, 9), console.error
        assert console.client is not None and console.client.url.endswith(f":{first.port}/ws")

        link = CuttableLink(first.port)  # to lose the active one's answer on the way
        await link.start()
        async with running_kiosk(
            f"{link.base},{second.base}", vp, issue_retry_seconds=40.0
        ) as kiosk:
            await kiosk.take_ticket(BIRTH)
            assert kiosk.ticket is not None and kiosk.ticket.number == "D001"
            link.mute()  # the next tap is applied by the active one; its answer never comes
            tap = kiosk.take_ticket(BIRTH)
            assert tap is not None
            await until(lambda: len(issued_numbers(pg_dsn)) == 2, what="the tap applied")
            first.kill()  # the active instance dies with that answer unsent
            link.cut()
            await tap
            assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
            assert kiosk.ticket.number == "D002"  # the first answer, from the other instance
            assert [n for n, _ in issued_numbers(pg_dsn)] == ["D001", "D002"]
            assert kiosk.server_base == second.base

        assert second.health()["role"] == "active"
        assert listening_inode(second.port) == inode  # the socket it listened on, no re-bind
        # The officer's session is in the database: the console goes on, on the other.
        await until(lambda: console.connection == "connected", timeout=30, what="console back")
        await console.act("call_next")
        assert console.current is not None and console.current["number"] == "D001"

        third.start(wait=False)  # a new standby, told to stop while it waits: it stops
        await until(lambda: "waiting for its lock" in third.text(), what="a new standby")
        assert third.proc is not None
        third.proc.terminate()
        assert third.proc.wait(10) == 0
    finally:
        if console is not None:
            await console.close()
        if link is not None:
            await link.stop()
        first.kill()
        second.stop()
        third.kill()
