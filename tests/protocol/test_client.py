"""The shared client against the real server on loopback (in-process, or a killable child)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from queue_protocol.client import (
    ClientError,
    NotConnected,
    QueueClient,
    RequestTimeout,
    login,
    new_request_id,
)
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    ServerProcess,
    add_officer,
    free_port,
)
from tests.support.waiting import until

LAND, BIRTH = "cap-giay-chung-nhan", "khai-sinh-khai-tu"  # counter 1 serves LAND

pytestmark = pytest.mark.timeout(30)


def ws_url(base: str) -> str:
    return base.replace("http", "ws", 1) + "/ws"


@pytest.fixture
def no_tracebacks(caplog):
    """Fails the test if the client logged a traceback (normal disconnects must not)."""
    caplog.set_level(logging.DEBUG, logger="queue_protocol.client")
    yield caplog
    noisy = [
        r
        for r in caplog.records
        if r.name == "queue_protocol.client" and (r.exc_info or r.levelno >= logging.ERROR)
    ]
    assert noisy == []


async def test_connect_gets_welcome_and_reports_states(server, no_tracebacks):
    base = server.base
    states: list[str] = []
    welcomes: list[dict] = []
    client = QueueClient(ws_url(base), role="kiosk", token=KIOSK_TOKEN)
    client.on_state(states.append)
    client.on_welcome(welcomes.append)
    async with client:
        assert client.state == "connected"
        assert client.welcome is not None and client.welcome["type"] == "welcome"
        assert client.welcome["role"] == "kiosk"
        assert {s["id"] for s in client.welcome["services"]} >= {LAND, BIRTH}
        assert welcomes == [client.welcome]
    assert states == ["connecting", "connected", "stopped"]
    assert client.state == "stopped"


async def test_requests_are_answered_by_id(server, no_tracebacks):
    base = server.base
    async with QueueClient(ws_url(base), role="kiosk", token=KIOSK_TOKEN) as kiosk:
        # All in flight at once; an answer given to the wrong request shows as a wrong service.
        wanted = [LAND, LAND, "khong-co-dich-vu", BIRTH, BIRTH, BIRTH]
        answers = await asyncio.gather(*(kiosk.issue(s) for s in wanted), return_exceptions=True)
        for service, answer in zip(wanted, answers, strict=True):
            if service == "khong-co-dich-vu":
                assert isinstance(answer, ClientError) and answer.code == "unknown_service"
            else:
                assert answer["ok"] and answer["ticket"]["service"] == service
        numbers = [a["ticket"]["number"] for a in answers if isinstance(a, dict)]
        assert len(set(numbers)) == 5
        # The same tap (request id) twice is one ticket; a new tap is another.
        tap = new_request_id()
        first = await kiosk.issue(BIRTH, request_id=tap)
        again = await kiosk.issue(BIRTH, request_id=tap)
        other = await kiosk.issue(BIRTH)
        assert again["ticket"]["number"] == first["ticket"]["number"]
        assert other["ticket"]["number"] != first["ticket"]["number"]


async def test_refusal_is_client_error_with_vietnamese_message(server, no_tracebacks):
    base, srv = server.base, server.server
    await add_officer(srv, "an")
    token = await login(base, "an", PASSWORD)
    async with QueueClient(ws_url(base), role="counter", token=token, counter=1) as counter:
        assert counter.welcome["counter"]["number"] == 1
        with pytest.raises(ClientError) as err:
            await counter.call_next()
        assert err.value.code == "queue_empty"
        assert "Không còn ai chờ" in err.value.message
        with pytest.raises(ClientError) as err:
            await counter.request("issue", service=LAND, request_id="x")
        assert err.value.code == "forbidden"
        assert err.value.message.startswith("Không có quyền")
        assert counter.state == "connected"  # a refusal keeps the connection


async def test_login_refused_with_wrong_password(server):
    base, srv = server.base, server.server
    await add_officer(srv, "binh")
    with pytest.raises(ClientError) as err:
        await login(base, "binh", "sai-mat-khau")
    assert err.value.code == "bad_login"
    assert err.value.message == "Tên đăng nhập hoặc mật khẩu không đúng."
    with pytest.raises(NotConnected):
        await login(f"http://127.0.0.1:{free_port()}", "binh", PASSWORD)


async def test_not_connected_fails_at_once(no_tracebacks):
    url = f"ws://127.0.0.1:{free_port()}/ws"  # nobody listens here
    client = QueueClient(url, role="kiosk", token=KIOSK_TOKEN, backoff_min=0.05)
    states: list[str] = []
    client.on_state(states.append)
    with pytest.raises(NotConnected):
        await client.request("issue", service=LAND, request_id="r")  # never started
    await client.start()
    await until(lambda: "disconnected" in states, what="a connection attempt failed")
    assert client.state in ("connecting", "disconnected")
    started = time.monotonic()
    with pytest.raises(NotConnected) as err:
        await client.issue(LAND, request_id="tap-1")
    assert time.monotonic() - started < 0.1
    assert err.value.request_id == "tap-1"  # what the kiosk retries with
    with pytest.raises(TimeoutError):
        await client.wait_connected(0.3)
    await client.stop()
    assert client.state == "stopped"


async def test_an_outage_of_every_server_is_one_warning_not_one_per_attempt(caplog):
    """A kiosk given two addresses (active and standby) tries each in turn while both are
    down: the outage is told once, the further attempts go to the debug log."""
    caplog.set_level(logging.DEBUG, logger="queue_protocol.client")
    urls = [f"ws://127.0.0.1:{free_port()}/ws" for _ in range(2)]  # nobody listens
    client = QueueClient(urls, role="kiosk", token=KIOSK_TOKEN, backoff_min=0.01, backoff_max=0.02)
    await client.start()
    attempts = lambda: [r for r in caplog.records if "cannot reach" in r.getMessage()]  # noqa: E731
    await until(lambda: len(attempts()) >= 6, what="three rounds of both addresses")
    await client.stop()
    assert {r.getMessage().split()[2].rstrip(":") for r in attempts()} == set(urls)  # both tried
    assert [r.levelno for r in attempts()].count(logging.WARNING) == 1


@pytest.mark.timeout(60)  # on PostgreSQL each start waits out the takeover grace (4 s)
async def test_reconnects_by_itself_after_a_server_restart(db, no_tracebacks):
    """On either store (`db`: a SQLite file, a PostgreSQL database)."""
    proc = ServerProcess(db)
    proc.start()
    states: list[str] = []
    welcomes: list[dict] = []
    client = QueueClient(
        ws_url(proc.base), role="kiosk", token=KIOSK_TOKEN, backoff_min=0.05, backoff_max=0.5
    )
    client.on_state(states.append)
    client.on_welcome(welcomes.append)
    try:
        await client.start()
        await client.wait_connected(10)
        tap = new_request_id()
        before = await client.issue(BIRTH, request_id=tap)
        proc.kill()
        await until(lambda: client.state != "connected", what="the dead socket noticed")
        with pytest.raises(NotConnected):
            await client.issue(BIRTH)
        assert client.state in ("disconnected", "connecting")
        proc.start()
        welcome = await client.wait_connected(10)
        assert len(welcomes) == 2 and welcome is welcomes[1] is client.welcome
        waiting = {s["id"]: s["waiting"] for s in welcome["services"]}
        assert waiting[BIRTH] >= 1  # the ticket acknowledged before the crash survived
        # Retrying the first tap after the restart returns the same ticket.
        again = await client.issue(BIRTH, request_id=tap)
        assert again["ticket"]["number"] == before["ticket"]["number"]
    finally:
        await client.stop()
        proc.stop()
    first_down = states.index("disconnected")
    assert states[:2] == ["connecting", "connected"]
    assert "connected" in states[first_down:]
    assert states[-1] == "stopped"


async def test_events_reach_callbacks_and_iterators(server, no_tracebacks):
    base, srv = server.base, server.server
    await add_officer(srv, "chi")
    token = await login(base, "chi", PASSWORD)
    seen: list[dict] = []
    async with (
        QueueClient(ws_url(base), role="display", token=DISPLAY_TOKEN) as display,
        QueueClient(ws_url(base), role="kiosk", token=KIOSK_TOKEN) as kiosk,
        QueueClient(ws_url(base), role="counter", token=token, counter=1) as counter,
    ):
        display.on_event(seen.append)
        stream_a, stream_b = display.events(), display.events()
        issued = (await kiosk.issue(LAND))["ticket"]["number"]
        called = (await counter.call_next())["ticket"]["number"]
        assert called == issued

        async def next_of(stream, kind):
            async for ev in stream:
                if ev["type"] == kind:
                    return ev

        for stream in (stream_a, stream_b):  # each iterator gets every event
            ev = await asyncio.wait_for(next_of(stream, "ticket_issued"), 5)
            assert ev["ticket"]["number"] == issued
            ev = await asyncio.wait_for(next_of(stream, "ticket_called"), 5)
            assert (ev["number"], ev["counter"]) == (issued, 1)
        assert any(e["type"] == "ticket_called" and e["number"] == issued for e in seen)
        assert all(e["type"] != "result" for e in seen)
    # Stopping ends the iterators instead of leaving them hanging.
    assert await asyncio.wait_for(next_of(stream_a, "never"), 1) is None


async def test_refused_token_stops_without_reconnect_loop(server, no_tracebacks):
    base = server.base
    states: list[str] = []
    client = QueueClient(
        ws_url(base), role="kiosk", token="wrong-token-0123456789", backoff_min=0.01
    )
    client.on_state(states.append)
    await client.start()
    with pytest.raises(ClientError) as err:
        await client.wait_connected(5)
    assert err.value.code == "unauthorized"
    assert client._task is not None
    await asyncio.wait_for(client._task, 5)  # the connection task ended: it never retries
    assert client.state == "refused"
    assert client.last_error is err.value
    assert states == ["connecting", "refused"]
    await client.stop()
    with pytest.raises(ClientError):
        async with QueueClient(ws_url(base), role="display", token=KIOSK_TOKEN):
            pass  # a kiosk token does not make a display


async def test_timeout_and_no_leaked_tasks(server, no_tracebacks):
    base, queue_server = server.base, server.server
    real_write = queue_server.store._write  # runs on the writer thread

    def slow_disk(*args):  # the answer cannot come within the client's timeout
        time.sleep(0.5)
        real_write(*args)

    queue_server.store._write = slow_disk
    before = asyncio.all_tasks()
    client = QueueClient(ws_url(base), role="kiosk", token=KIOSK_TOKEN, request_timeout=0.1)
    await client.start()
    await client.wait_connected(5)
    with pytest.raises(RequestTimeout):
        await client.issue(LAND)
    await client.stop()
    assert asyncio.all_tasks() - before == set()
    assert client._pending == {}


async def test_a_socket_closed_under_a_retrying_caller_does_not_spin(server, no_tracebacks):
    """The socket dies; before the reader sees it, a request fails at once. A caller that
    waits to be connected and retries must then wait, not find the client "connected"
    again and spin without ever yielding (seen: a kiosk loop grew to 5 GB)."""
    from websockets.protocol import State

    async with QueueClient(ws_url(server.base), role="kiosk", token=KIOSK_TOKEN) as kiosk:
        ws = kiosk._ws
        assert ws is not None
        ws.transport.abort()
        while ws.state is not State.CLOSED:
            await asyncio.sleep(0)
        spins = 0
        while spins < 1000:
            await kiosk.wait_connected(10)
            try:
                await kiosk.issue(BIRTH)
                break
            except NotConnected:
                spins += 1
        assert spins <= 1
