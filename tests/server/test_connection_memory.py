"""Finding 1 of issue 18: a closed connection's objects must not be pinned by the heap
freezer (`core/heap.py`) until the night. A served process (tune_gc=True) is opened and
closed 300 times with a bad first frame; every WebSocketResponse it made must be freed."""

import asyncio
import gc
import weakref

import aiohttp
from aiohttp import web

from assets import SAMPLE_CONFIG
from queue_server.app import create_app
from queue_server.core import heap
from queue_server.core.siteconfig import load_config
from tests.support.servers import KIOSK_TOKEN, free_port
from tests.support.waiting import until

CONNECTIONS = 300


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
