"""The queue server on loopback: real WebSocket connections, a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.error
import urllib.request
import uuid
from collections import defaultdict

import pytest

from queue_server.domain.config import Counter
from queue_server.web.proxy import client_address, parse_networks
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK2_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    RATING_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
    sample_site,
)
from tests.support.waiting import until

LAND, BIRTH = "cap-giay-chung-nhan", "khai-sinh-khai-tu"  # series A…, D…


def rid() -> str:
    return str(uuid.uuid4())


async def test_thousand_concurrent_issues_over_twenty_connections(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, _):
        kiosks = [await peer(base, "kiosk", KIOSK_TOKEN) for _ in range(20)]

        async def burst(k):
            # 50 requests in flight at once on one connection
            ids = [f"k{k}-{i}" for i in range(50)]
            for i, r in enumerate(ids):
                service = (LAND, BIRTH)[(k + i) % 2]
                await k_ws(k).send(
                    json.dumps({"type": "issue", "id": r, "service": service, "request_id": rid()})
                )
            return [await kiosks[k].result(r) for r in ids]

        def k_ws(k):
            return kiosks[k].ws

        results = [r for rs in await asyncio.gather(*(burst(k) for k in range(20))) for r in rs]
        assert all(r["ok"] for r in results)
        numbers = [r["ticket"]["number"] for r in results]
        assert len(set(numbers)) == 1000
        by_series = defaultdict(list)
        for n in numbers:
            by_series[n[0]].append(int(n[1:]))
        for seqs in by_series.values():
            assert sorted(seqs) == list(range(1, len(seqs) + 1))
        for k in kiosks:
            await k.close()


async def test_eight_counters_at_once_call_every_ticket_exactly_once(db, tmp_path):
    """On either store (`db`: a SQLite file, a PostgreSQL database)."""
    config = sample_site(tmp_path)
    config = dataclasses.replace(
        config, counters={n: Counter(n, f"Quầy {n}", ("giay-phep-lai-xe",)) for n in range(1, 9)}
    )
    async with running_server(db, config) as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        for _ in range(400):
            assert (await kiosk.request("issue", service="giay-phep-lai-xe", request_id=rid()))[
                "ok"
            ]
        counters = []
        for n in range(1, 9):
            await add_officer(server, f"can-bo-{n}")
            counters.append(
                await peer(base, "counter", await login(base, f"can-bo-{n}"), counter=n)
            )
        called: list[str] = []

        async def work(p):
            while True:
                res = await p.request("call_next")
                if not res["ok"]:
                    assert res["error"]["code"] == "queue_empty"
                    return
                called.append(res["ticket"]["number"])

        await asyncio.gather(*(work(p) for p in counters))
        assert len(called) == 400 and len(set(called)) == 400
        per_counter = defaultdict(int)
        for t in server.state.tickets.values():
            per_counter[t.counter] += 1
        assert len(per_counter) == 8  # all eight really took part


async def test_same_request_id_gives_one_ticket_also_across_a_reconnect(db, tmp_path):
    """On either store (`db`: a SQLite file, a PostgreSQL database)."""
    async with running_server(db, sample_site(tmp_path)) as (base, server):
        request_id = rid()
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        first = await kiosk.request("issue", service=LAND, request_id=request_id)
        twice = await kiosk.request("issue", service=LAND, request_id=request_id)
        await kiosk.close()
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        after = await kiosk.request("issue", service=LAND, request_id=request_id)
        assert first["ticket"]["id"] == twice["ticket"]["id"] == after["ticket"]["id"]
        assert len(server.state.tickets) == 1


async def test_display_receives_the_call_and_counter_state(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "binh")
        display = await peer(base, "display", DISPLAY_TOKEN)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        ticket = (await kiosk.request("issue", service=BIRTH, request_id=rid()))["ticket"]
        officer = await peer(base, "counter", await login(base, "binh"), counter=9)
        assert officer.welcome["counter"]["officer"] == "binh"
        res = await officer.request("call_next")
        assert res["ticket"]["number"] == ticket["number"]
        call = await display.wait_event("ticket_called", number=ticket["number"])
        assert call["counter"] == 9 and call["counter_name"] == "Quầy 9" and not call["recall"]
        await officer.request("recall")
        assert (await display.wait_event("ticket_called", number=ticket["number"]))["recall"]
        # a display connecting later sees the call in its snapshot
        late = await peer(base, "display", DISPLAY_TOKEN)
        assert late.welcome["calls"][0]["number"] == ticket["number"]


def login_status(base: str, username: str, password: str, forwarded_for: str = "") -> int:
    req = urllib.request.Request(
        f"{base}/api/login",
        method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
    )
    if forwarded_for:
        req.add_header("X-Forwarded-For", forwarded_for)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


async def test_password_guessing_from_one_address_is_stopped(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "chi")

        def attempt(password: str) -> int:  # each from another made-up address: no matter
            return login_status(base, "chi", password, forwarded_for=str(uuid.uuid4()))

        assert await asyncio.to_thread(attempt, PASSWORD) == 200  # successes do not count
        for _ in range(10):
            assert await asyncio.to_thread(attempt, "doan-bua") == 401
        assert await asyncio.to_thread(attempt, PASSWORD) == 429  # even the right one, now
        async with server.accounts.db.execute(
            "SELECT COUNT(*) FROM audit WHERE action = 'login_failed'"
        ) as cur:
            assert (await cur.fetchone())[0] == 10


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tmp_path):
    async with running_server(
        tmp_path / "q.db", trusted_proxies=parse_networks(["127.0.0.0/8"])
    ) as (base, server):
        await add_officer(server, "chi")
        guesser, officer = "203.0.113.5", "198.51.100.7"

        def attempt(password: str, client: str) -> int:  # a made-up leftmost hop is ignored
            return login_status(base, "chi", password, forwarded_for=f"6.6.6.6, {client}")

        for _ in range(10):
            assert await asyncio.to_thread(attempt, "doan-bua", guesser) == 401
        assert await asyncio.to_thread(attempt, PASSWORD, guesser) == 429
        assert await asyncio.to_thread(attempt, PASSWORD, officer) == 200  # not locked out
        async with server.accounts.db.execute(
            "SELECT action, detail FROM audit WHERE action LIKE 'login%'"
        ) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        assert rows == [("login_failed", guesser)] * 10 + [("login", officer)]
        # the websocket comes through the proxy too, with the header on its upgrade
        kiosk = await peer(
            base, "kiosk", KIOSK_TOKEN, additional_headers={"X-Forwarded-For": guesser}
        )
        assert (await kiosk.request("issue", service=BIRTH, request_id="via-proxy"))["ok"]
        await kiosk.close()


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client wrote the first
        ("10.0.0.2", "203.0.113.5, 10.0.0.9", "203.0.113.5"),  # two proxies in a row
        ("10.0.0.2", "not-an-ip, 203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "203.0.113.5, garbage", "10.0.0.2"),  # nothing good after the proxy
        ("10.0.0.2", "", "10.0.0.2"),
        ("192.0.2.1", "203.0.113.5", "192.0.2.1"),  # not our proxy: its header is not believed
        ("2001:db8::1", "203.0.113.5", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_from_the_right(peer: str, header: str, client: str):
    assert client_address(peer, header, parse_networks(["10.0.0.0/24"])) == client


def test_a_bad_trusted_proxy_is_refused_at_start(capsys):
    from queue_server.__main__ import main

    assert main(["--trusted-proxy", "proxy.local"]) == 2
    assert "not an IP address or network: 'proxy.local'" in capsys.readouterr().err


async def test_pipelined_requests_are_all_answered_by_id(tmp_path, monkeypatch):
    from queue_server.ws import endpoint

    monkeypatch.setattr(endpoint, "MAX_IN_FLIGHT", 8)  # past this the server waits, not drops
    async with running_server(tmp_path / "q.db") as (base, _server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        for n in range(100):  # sent without waiting for any answer, refusals among them
            await kiosk.ws.send(
                json.dumps({"type": "issue", "id": n, "service": BIRTH, "request_id": f"pipe-{n}"})
            )
            if n % 10 == 9:
                await kiosk.ws.send(
                    json.dumps(
                        {
                            "type": "issue",
                            "id": f"bad{n}",
                            "service": "nope",
                            "request_id": f"bad{n}",
                        }
                    )
                )
        answers = {}
        while len(answers) < 110:
            frame = json.loads(await asyncio.wait_for(kiosk.ws.recv(), 10))
            if frame["type"] == "result":
                answers[frame["id"]] = frame
        assert {answers[f"bad{n}"]["error"]["code"] for n in range(9, 100, 10)} == {
            "unknown_service"
        }
        numbers = [answers[n]["ticket"]["number"] for n in range(100)]
        assert sorted(numbers) == [f"D{i:03d}" for i in range(1, 101)]


async def test_screens_get_calls_first_and_end_with_the_true_counter_state(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "binh")
        display = await peer(base, "display", DISPLAY_TOKEN)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        first, second = [
            (await kiosk.request("issue", service=BIRTH, request_id=rid()))["ticket"]["number"]
            for _ in range(2)
        ]
        officer = await peer(base, "counter", await login(base, "binh"), counter=9)
        await display.frames_until(
            lambda f: (
                f["type"] == "counter"  # the sign-in shown
                and f["counter"]["number"] == 9
            )
        )
        for n in (1, 2):  # two calls at once: a double press
            await officer.ws.send(json.dumps({"type": "call_next", "id": f"c{n}"}))
        for n in (1, 2):
            await officer.result(f"c{n}")
        # A later change, on screens after everything the calls sent (a connection's
        # frames keep their order): the sync point.
        marker = (await kiosk.request("issue", service=LAND, request_id=rid()))["ticket"]

        def is_marker(frame: dict) -> bool:
            return (
                frame["type"] == "ticket_issued" and frame["ticket"]["number"] == marker["number"]
            )

        on_screen = [f for f in await display.frames_until(is_marker) if f["type"] != "queue"]
        at_counter = [
            f
            for f in await officer.frames_until(is_marker)
            if f["type"] in ("ticket_called", "counter")
        ]
        calls = [f["number"] for f in on_screen if f["type"] == "ticket_called"]
        assert calls == [first, second]
        states = [
            f["counter"]
            for f in on_screen
            if f["type"] == "counter" and f["counter"]["number"] == 9
        ]
        assert states and states[-1]["ticket"] == second  # the screen ends on the truth
        # staff apps get everything at once and in order (both calls may share a batch)
        seen = [(f["type"], f.get("number") or f["counter"]["ticket"]) for f in at_counter]
        assert [n for kind, n in seen if kind == "ticket_called"] == [first, second]
        assert seen[-1] == ("counter", second)
        for i, (kind, number) in enumerate(seen):
            if kind == "counter":
                assert ("ticket_called", number) in seen[:i]


async def test_welcome_and_events_fit_the_role(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        public = await peer(base, "public")
        assert "counters" not in public.welcome and "counter" not in public.welcome
        assert len(public.welcome["services"]) == 22
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        issued = await kiosk.request("issue", service=LAND, request_id=rid())
        land = {}
        while land.get("waiting") != 1:
            queue = await kiosk.wait_event("queue")
            land = next((s for s in queue["services"] if s["id"] == LAND), land)
        # The same flush reached every connection; a request answered after it is the
        # sync point: phones get their own ticket's figures, never the `queue` frames.
        await public.request("track", ticket=issued["ticket"]["public_id"])
        assert [e["type"] for e in public.events if e["type"] == "queue"] == []
        # the estimate depends on the hour (no counter is open): its own tests are in
        # tests/domain/test_eta.py
        estimate = land.pop("estimated_wait")
        assert estimate is None or isinstance(estimate, int)
        assert land == {
            "id": LAND,
            "waiting": 1,
            "calling": {"kind": "closed"},  # no counter open: said, never "soon"
            "open": True,
            "opens_at": None,
        }
        assert not [e for e in public.events if e["type"] == "ticket_issued"]


async def test_transfer_pause_and_refusals_over_the_wire(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "chi")
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        t = (await kiosk.request("issue", service=BIRTH, request_id=rid()))["ticket"]
        officer = await peer(base, "counter", await login(base, "chi"), counter=9)
        finish = await officer.request("finish")
        assert finish["error"]["code"] == "nothing_called"
        assert finish["error"]["message"] == "Quầy chưa gọi số nào."
        await officer.request("call_next")
        moved = await officer.request("transfer", service="ket-hon", reason="Nhầm dịch vụ")
        assert moved["ticket"]["service"] == "ket-hon"
        assert moved["ticket"]["issued_at"] == t["issued_at"]
        paused = await officer.request("pause", reason="nghi-trua")
        assert paused["counter"]["status"] == "paused"
        refused = await officer.request("call_next")
        assert refused["error"]["code"] == "counter_paused"
        assert (await officer.request("resume"))["counter"]["status"] == "open"


async def test_tracking_by_public_id_over_http(tmp_path):
    import urllib.error
    import urllib.request

    async with running_server(tmp_path / "q.db") as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        for _ in range(3):
            await kiosk.request("issue", service=LAND, request_id=rid())
        t = (await kiosk.request("issue", service=LAND, request_id=rid()))["ticket"]
        assert t["public_id"] not in (t["number"], str(t["id"])) and len(t["public_id"]) >= 12

        def get(path):
            with urllib.request.urlopen(base + path, timeout=5) as resp:
                return json.load(resp)

        info = await asyncio.to_thread(get, f"/api/tickets/{t['public_id']}")
        assert info["number"] == "A004" and info["ahead"] == 3 and info["status"] == "waiting"
        with pytest.raises(urllib.error.HTTPError) as err:
            await asyncio.to_thread(get, "/api/tickets/not-a-ticket")
        assert err.value.code == 404
        services = await asyncio.to_thread(get, "/api/services")
        assert {s["id"]: s["waiting"] for s in services["services"]}[LAND] == 4
        metrics = await asyncio.to_thread(
            lambda: urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
        )
        assert "xephang_tickets_issued_total 4.0" in metrics
        assert 'xephang_connections{role="kiosk"} 1.0' in metrics


async def test_roles_and_tokens_are_enforced(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        with pytest.raises(PermissionError) as err:
            await peer(base, "kiosk", "not-a-token")
        assert err.value.args[0]["error"]["code"] == "unauthorized"
        with pytest.raises(PermissionError):
            await peer(base, "display", KIOSK_TOKEN)  # a kiosk token is not a display's
        with pytest.raises(PermissionError):
            await peer(base, "counter", "forged", counter=1)
        await add_officer(server, "lanh-dao", role="leader")
        with pytest.raises(PermissionError) as err:
            await peer(base, "counter", await login(base, "lanh-dao"), counter=1)
        assert err.value.args[0]["error"]["code"] == "forbidden"

        display = await peer(base, "display", DISPLAY_TOKEN)
        res = await display.request("issue", service=LAND, request_id=rid())
        assert res["error"]["code"] == "forbidden"
        kiosk1 = await peer(base, "kiosk", KIOSK_TOKEN)
        kiosk2 = await peer(base, "kiosk", KIOSK2_TOKEN)
        t = (await kiosk1.request("issue", service=LAND, request_id=rid()))["ticket"]
        res = await kiosk2.request("void", ticket_id=t["id"], reason="x")
        assert res["error"]["code"] == "forbidden"
        assert server.state.tickets[t["id"]].status.value == "waiting"
        assert (await kiosk1.request("void", ticket_id=t["id"], reason="kẹt giấy"))["ok"]

        # an officer who lost the counter to a colleague can no longer act on it
        await add_officer(server, "an")
        await add_officer(server, "binh")
        first = await peer(base, "counter", await login(base, "an"), counter=1)
        await peer(base, "counter", await login(base, "binh"), counter=1)
        res = await first.request("call_next")
        assert res["error"]["code"] == "forbidden"
        async with server.accounts.db.execute("SELECT actor, action FROM audit ORDER BY id") as cur:
            audit = await cur.fetchall()
        assert ("an", "counter_sign_in") in audit and ("binh", "counter_sign_in") in audit
        assert ("lanh-dao", "login") in audit


async def test_wrong_password_is_refused_and_audited(tmp_path):
    import urllib.error

    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "an")
        with pytest.raises(urllib.error.HTTPError) as err:
            await login(base, "an", "wrong-password")
        assert err.value.code == 401
        async with server.accounts.db.execute("SELECT password_hash FROM users") as cur:
            (stored,) = await cur.fetchone()
        assert stored.startswith("scrypt$") and "mat-khau" not in stored
        async with server.accounts.db.execute("SELECT action FROM audit") as cur:
            assert ("login_failed",) in await cur.fetchall()


async def test_a_disabled_account_is_locked_out_of_a_running_server(tmp_path):
    """The admin's CLI, on the database a server is using: the officer's session ends
    (the next hello is refused) and a new sign-in fails; `add` enables it again."""
    import subprocess
    import sys
    import urllib.error

    db = tmp_path / "q.db"
    async with running_server(db) as (base, server):
        await add_officer(server, "an")
        token = await login(base, "an")
        officer = await peer(base, "counter", token, counter=9)
        await officer.close()

        def run(*args: str, password: str = "") -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "queue_server", "user", *args, "--db", str(db)],
                input=password,
                text=True,
                capture_output=True,
                check=False,
            )

        done = await asyncio.to_thread(run, "disable", "an")
        assert done.returncode == 0 and "an disabled" in done.stdout
        with pytest.raises(PermissionError):  # the old session no longer opens the counter
            await peer(base, "counter", token, counter=9)
        with pytest.raises(urllib.error.HTTPError):
            await login(base, "an")
        assert (await asyncio.to_thread(run, "disable", "khong-ai")).returncode == 2
        listing = (await asyncio.to_thread(run, "list")).stdout
        assert "an" in listing and "officer" in listing and "disabled" in listing
        again = await asyncio.to_thread(
            run, "add", "an", "--role", "officer", password=PASSWORD + "\n"
        )
        assert again.returncode == 0
        assert await login(base, "an")
        async with server.accounts.db.execute(
            "SELECT actor, action, detail FROM audit WHERE action LIKE 'user_%'"
        ) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        assert rows[-2:] == [("cli", "user_disable", "an"), ("cli", "user_add", "an as officer")]


async def test_a_counter_connection_ends_when_its_session_does(tmp_path, monkeypatch):
    from queue_server.ws import endpoint

    monkeypatch.setattr(endpoint, "SESSION_CHECK_SECONDS", 0.1)
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "an")
        officer = await peer(base, "counter", await login(base, "an"), counter=9)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        checks, session = 0, server.accounts.session

        async def counted(token: str):
            nonlocal checks
            checks += 1
            return await session(token)

        monkeypatch.setattr(server.accounts, "session", counted)
        await until(lambda: checks >= 2, what="two session checks")
        assert (await officer.request("resume"))["error"]["code"] != "unauthorized"  # alive
        await server.accounts.disable_user("an", actor="admin")
        ended = await officer.wait_event("error", timeout=5)
        assert ended["error"]["code"] == "unauthorized"
        await asyncio.wait_for(officer.ws.wait_closed(), 5)
        assert officer.ws.close_code == 4001  # the console shows "sign in again"
        # devices are not officers: the kiosk goes on
        assert (await kiosk.request("issue", service=BIRTH, request_id="still"))["ok"]
        await kiosk.close()


async def test_after_a_failed_commit_every_client_comes_back_to_the_truth(tmp_path):
    """A snapshot handed out between a lost batch and the reload may show a ticket that
    never became durable: after the reload every client is asked to reconnect."""
    import sqlite3

    from queue_protocol.client import QueueClient

    async with running_server(tmp_path / "q.db") as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        assert (await kiosk.request("issue", service=BIRTH, request_id="kept"))["ok"]
        hall = QueueClient(
            base.replace("http", "ws", 1) + "/ws",
            role="display",
            token=DISPLAY_TOKEN,
            backoff_min=0.05,
        )
        welcomes: list[dict] = []
        hall.on_welcome(welcomes.append)
        await hall.start()
        await hall.wait_connected(5)
        real_write, failed = server.store._write, []

        def disk_full_once(*args):
            if not failed:
                failed.append(True)
                raise sqlite3.OperationalError("database or disk is full")
            real_write(*args)

        server.store._write = disk_full_once
        lost = await kiosk.request("issue", service=BIRTH, request_id="lost")
        assert lost["error"]["code"] == "unavailable"
        await asyncio.wait_for(kiosk.ws.wait_closed(), 5)
        assert kiosk.ws.close_code == 1012  # come back
        await until(lambda: len(welcomes) >= 2, what="the hall back by itself")
        waiting = {s["id"]: s["waiting"] for s in welcomes[-1]["services"]}
        assert waiting[BIRTH] == 1  # the durable ticket only
        again = await peer(base, "kiosk", KIOSK_TOKEN)  # the retry: same request id
        retry = await again.request("issue", service=BIRTH, request_id="lost")
        assert retry["ok"] and retry["ticket"]["number"] == "D002"  # no gap
        await again.close()
        await hall.stop()


async def test_rating_pad_rates_a_finished_ticket_once(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "dung")
        pad = await peer(base, "rating", RATING_TOKEN, counter=9)
        assert [r["name"] for r in pad.welcome["rating_scale"]] == [
            "Rất hài lòng",
            "Hài lòng",
            "Bình thường",
            "Không hài lòng",
        ]
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        await kiosk.request("issue", service=BIRTH, request_id=rid())
        officer = await peer(base, "counter", await login(base, "dung"), counter=9)
        called = (await officer.request("call_next"))["ticket"]
        await officer.request("finish", outcome="hoan-thanh")
        done = await pad.wait_event("ticket_done", number=called["number"])
        assert done["status"] == "done" and done["counter"] == 9
        assert (await pad.request("rate", number=called["number"], rating="hai-long"))["ok"]
        again = await pad.request("rate", number=called["number"], rating="rat-hai-long")
        assert again["error"]["code"] == "already_rated"
        await server.store.sync_tickets([])  # the tickets table caught up with the log
        async with server.store.reader.execute(
            "SELECT rating, officer, counter FROM tickets WHERE number = ?", (called["number"],)
        ) as cur:
            assert await cur.fetchone() == ("hai-long", "dung", 9)
        assert (await officer.request("issue", service=BIRTH, request_id="x"))["error"][
            "code"
        ] == "forbidden"


async def test_a_display_connecting_later_gets_the_latest_calls_newest_first(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "em")
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        numbers = [
            (await kiosk.request("issue", service=BIRTH, request_id=rid()))["ticket"]["number"]
            for _ in range(2)
        ]
        officer = await peer(base, "counter", await login(base, "em"), counter=9)
        await officer.request("call_next")
        await officer.request("call_next")
        await officer.close()
        display = await peer(base, "display", DISPLAY_TOKEN)
        assert [c["number"] for c in display.welcome["calls"][:2]] == numbers[::-1]


async def test_officer_sees_the_next_tickets_in_call_order(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "giang")
        officer = await peer(base, "counter", await login(base, "giang"), counter=9)
        assert officer.welcome["counter"]["next"] == []
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        normal = [
            (await kiosk.request("issue", service=BIRTH, request_id=rid()))["ticket"]
            for _ in range(3)
        ]
        elder = (
            await kiosk.request("issue", service=BIRTH, priority="nguoi-cao-tuoi", request_id=rid())
        )["ticket"]
        expected = [t["number"] for t in [elder, *normal]]
        preview = await officer.wait_event("next", counter=9)
        while [t["number"] for t in preview["tickets"]] != expected:
            preview = await officer.wait_event("next", counter=9)
        assert preview["tickets"][0]["priority"] == "nguoi-cao-tuoi"
        called = (await officer.request("call_next"))["ticket"]
        assert called["number"] == elder["number"]  # the preview told the truth
