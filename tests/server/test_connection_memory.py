"""Finding 1 of issue 18: a closed connection's objects must not be pinned by the heap
freezer (`core/heap.py`) until the night. A served process (tune_gc=True) is opened and
closed 300 times with a bad first frame; every WebSocketResponse it made must be freed."""

import asyncio
import gc
import weakref

import aiohttp
from aiohttp import web

from assets import SAMPLE_CONFIG
from queue_server.app import CONTEXT_KEY, create_app
from queue_server.core import heap
from queue_server.core.siteconfig import load_config
from tests.support.servers import KIOSK_TOKEN, free_port
from tests.support.waiting import until

CONNECTIONS = 300
PHONES = 30  # open at once, frozen while open
PHONE_ROUNDS = 10


async def serve_noting_websockets(tmp_path, **options):
    """A served app that keeps a weak reference to every WebSocketResponse it makes
    (opening hours not enforced, as in every served test: it runs at any time of day)."""
    options = {"enforce_hours": False} | options
    app = create_app(load_config(SAMPLE_CONFIG), tmp_path / "q.db", **options)
    made: list[weakref.ref] = []

    async def note(_request: web.Request, response: web.StreamResponse) -> None:
        if isinstance(response, web.WebSocketResponse):
            made.append(weakref.ref(response))

    app.on_response_prepare.append(note)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/ws", made


async def test_closed_connections_are_freed_despite_the_frozen_heap(tmp_path, monkeypatch):
    # The same policy, on a faster clock: freeze every 20 ms, sweep every 0.5 s at most,
    # whatever a sweep of the test process's big heap costs.
    monkeypatch.setattr(heap, "FREEZE_SECONDS", 0.02)
    monkeypatch.setattr(heap, "SWEEP_MIN_SECONDS", 0.5)
    monkeypatch.setattr(heap, "SWEEP_SHARE", 0.5)
    freezes = 0
    real_freeze = gc.freeze

    def counted_freeze() -> None:
        nonlocal freezes
        freezes += 1
        real_freeze()

    monkeypatch.setattr(gc, "freeze", counted_freeze)

    def freezes_since(seen: int):
        return lambda: freezes > seen

    runner, url, made = await serve_noting_websockets(tmp_path, tune_gc=True)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(CONNECTIONS):
                async with session.ws_connect(url) as ws:
                    await ws.send_str("x")
                    answer = await ws.receive_json()
                    assert answer["type"] == "error"
                    # Some freezes happen while connections are open: what they froze
                    # must not stay pinned once the connection is gone.
                    await asyncio.sleep(0)
                    if len(made) % 50 == 0:
                        await until(freezes_since(freezes), what="a freeze meanwhile")
        assert len(made) == CONNECTIONS
        await until(freezes_since(freezes + 2), what="freezes after the last close")
        await until(
            lambda: sum(ref() is not None for ref in made) == 0,
            timeout=10,  # less than the 20 s heartbeat: a timer left armed fails it
            what="every closed connection's WebSocketResponse freed",
        )
    finally:
        await runner.cleanup()
        gc.unfreeze()


async def test_a_phone_that_followed_a_ticket_is_forgotten_when_it_hangs_up(tmp_path):
    """The tracker let go of a closed connection only when its ticket changed again: a
    phone following a ticket already served stayed in memory until the night."""
    runner, url, made = await serve_noting_websockets(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as kiosk:
                await kiosk.send_json(
                    {"type": "hello", "protocol": 1, "role": "kiosk", "token": KIOSK_TOKEN}
                )
                await kiosk.receive_json()  # welcome
                await kiosk.send_json(
                    {"type": "issue", "id": 1, "service": "khai-sinh-khai-tu", "request_id": "r-1"}
                )
                while (answer := await kiosk.receive_json()).get("id") != 1:
                    pass
            public_id = answer["ticket"]["public_id"]
            for n in range(20):
                async with session.ws_connect(url) as phone:
                    await phone.send_json({"type": "hello", "protocol": 1, "role": "public"})
                    await phone.receive_json()  # welcome
                    await phone.send_json({"type": "track", "id": n, "ticket": public_id})
                    while (await phone.receive_json()).get("id") != n:
                        pass

        def all_freed() -> bool:
            gc.collect()
            return sum(ref() is not None for ref in made) == 0

        await until(all_freed, timeout=10, what="every closed connection freed")
    finally:
        await runner.cleanup()


async def test_phones_that_reconnect_all_day_do_not_pile_up_between_sweeps(tmp_path, monkeypatch):
    """The soak's leak (issue 18): phones that stay a while are frozen while open, die in
    a cycle when they hang up, and were freed only by the sweep paced by its cost — on a
    day's heap every minute or two, so 15 hang-ups a second piled up ≈ 10 MB a minute.
    Here the paced sweep never comes (as on a big heap); the connections that ended
    must still be swept once `SWEEP_AFTER_CLOSES` of them have, so at most that many
    closed connections' objects (and one round still ending at a sweep) are alive."""
    monkeypatch.setattr(heap, "FREEZE_SECONDS", 0.02)
    monkeypatch.setattr(heap, "SWEEP_MIN_SECONDS", 3600.0)  # the paced sweep out of reach
    monkeypatch.setattr(heap, "SWEEP_SHARE", 1e-6)
    monkeypatch.setattr(heap, "SWEEP_AFTER_CLOSES", 40)
    monkeypatch.setattr(heap, "CLOSES_SWEEP_SHARE", 1.0)  # no pacing: the count decides
    freezes = 0
    real_freeze = gc.freeze

    def counted_freeze() -> None:
        nonlocal freezes
        freezes += 1
        real_freeze()

    monkeypatch.setattr(gc, "freeze", counted_freeze)
    runner, url, made = await serve_noting_websockets(tmp_path, tune_gc=True)
    hub = runner.app[CONTEXT_KEY].hub
    heap.sweep()  # the count starts here
    try:
        async with aiohttp.ClientSession() as session:
            for _round in range(PHONE_ROUNDS):
                phones = [await session.ws_connect(url) for _ in range(PHONES)]
                for phone in phones:
                    await phone.send_json({"type": "hello", "protocol": 1, "role": "public"})
                    assert (await phone.receive_json())["type"] == "welcome"
                seen = freezes
                await until(lambda seen=seen: freezes > seen, what="a freeze while all are open")
                for phone in phones:
                    await phone.close()
                await until(lambda: not hub.connections, what="every handler ended")
                seen = freezes
                await until(lambda seen=seen: freezes > seen + 1, what="freezes after the closes")
                alive = sum(ref() is not None for ref in made)
                # A sweep may run while this round's handlers are still ending (their
                # objects still referenced): up to a round survives it and waits for the
                # next. Without the count, every round piles up (90 alive by round 3).
                assert alive <= heap.SWEEP_AFTER_CLOSES + PHONES, (
                    f"{alive} closed connections alive after {len(made)} hang-ups"
                )
        assert len(made) == PHONE_ROUNDS * PHONES
    finally:
        await runner.cleanup()
        gc.unfreeze()
