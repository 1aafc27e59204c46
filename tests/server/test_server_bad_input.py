"""Bad frames and bad clients: a clear error each, state unchanged, others unaffected."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import uuid

import pytest
import websockets

from queue_server.core import hub
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.waiting import until

LAND = "cap-giay-chung-nhan"

BAD_FRAMES = [
    "not json",
    "{",
    "[]",
    "42",
    "null",
    '"text"',
    "{}",
    json.dumps({"type": "issue"}),  # no id
    json.dumps({"type": "issue", "id": True, "service": LAND, "request_id": "x"}),
    json.dumps({"type": "nope", "id": 1}),
    json.dumps({"type": "issue", "id": 1}),  # no service
    json.dumps({"type": "issue", "id": 1, "service": 5, "request_id": "x"}),
    json.dumps({"type": "issue", "id": 1, "service": LAND, "request_id": ["x"]}),
    json.dumps({"type": "issue", "id": 1, "service": "", "request_id": "x"}),
    json.dumps({"type": "issue", "id": 1, "service": "no-such", "request_id": "y"}),
    json.dumps({"type": "issue", "id": 1, "service": LAND, "priority": "vip", "request_id": "z"}),
    json.dumps({"type": "void", "id": 1, "ticket_id": "7", "reason": "x"}),
    json.dumps({"type": "void", "id": 1, "ticket_id": 999999, "reason": "x"}),
    json.dumps({"type": "call_next", "id": 1}),  # a kiosk may not call
    json.dumps({"type": "device_status", "id": 1, "printer": "on fire"}),
    json.dumps({"type": "issue", "id": 1, "service": LAND, "request_id": "x" * 600}),
    "x" * (70 * 1024),  # over the 64 KiB frame limit
]


async def state_of(server) -> tuple:
    st = server.state
    return (
        len(st.tickets),
        dict(st.last_seq),
        len(st.waiting),
        {n: (c.status, c.ticket_id) for n, c in st.counters.items()},
    )


async def test_thousand_bad_frames_each_get_an_error_and_change_nothing(tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    async with running_server(tmp_path / "q.db") as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        await kiosk.request("issue", service=LAND, request_id="ok-1")
        before = await state_of(server)
        codes = []
        for i in range(1100):
            await kiosk.ws.send(BAD_FRAMES[i % len(BAD_FRAMES)])
            reply = json.loads(await asyncio.wait_for(kiosk.ws.recv(), 5))
            while reply["type"] != "result":
                reply = json.loads(await asyncio.wait_for(kiosk.ws.recv(), 5))
            assert reply["ok"] is False
            codes.append(reply["error"]["code"])
            assert reply["error"]["message"]  # a Vietnamese sentence for the screen
        assert await state_of(server) == before
        assert set(codes) >= {
            "bad_request",
            "forbidden",
            "unknown_service",
            "unknown_priority",
            "unknown_ticket",
        }
        # the same connection still works
        assert (await kiosk.request("issue", service=LAND, request_id="ok-2"))["ok"]
        # and unauthorized hellos are refused one by one, the server staying up
        for frame in [
            "garbage",
            json.dumps({"type": "hello", "protocol": 1, "role": "kiosk", "token": "wrong"}),
            json.dumps({"type": "issue", "id": 1}),
            json.dumps({"type": "hello", "protocol": 2, "role": "public"}),
        ] * 25:
            async with websockets.connect(base.replace("http", "ws") + "/ws") as ws:
                await ws.send(frame)
                reply = json.loads(await ws.recv())
                assert reply["type"] == "error"
                assert reply["error"]["code"] in ("bad_request", "unauthorized")
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
                assert ws.close_code == 4001
        assert (await kiosk.request("issue", service=LAND, request_id="ok-3"))["ok"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_impossible_counter_commands_are_refused(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "an")
        officer = await peer(base, "counter", await login(base, "an"), counter=9)
        before = await state_of(server)
        for kind, fields, code in [
            ("finish", {}, "nothing_called"),
            ("recall", {}, "nothing_called"),
            ("no_show", {}, "nothing_called"),
            ("call_next", {}, "queue_empty"),
            ("transfer", {"service": "ket-hon", "reason": "x"}, "nothing_called"),
            ("pause", {"reason": "not-a-reason"}, "bad_request"),
            ("resume", {}, "invalid_transition"),
            ("issue", {"service": LAND, "request_id": "x"}, "forbidden"),
        ]:
            res = await officer.request(kind, **fields)
            assert res["error"]["code"] == code, kind
        assert await state_of(server) == before


def stalled_websocket(base: str) -> socket.socket:
    """A client that completes the handshake and then never reads again."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert b"101" in sock.recv(1024)
    hello = json.dumps(
        {"type": "hello", "protocol": 1, "role": "display", "token": DISPLAY_TOKEN}
    ).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(hello))
    sock.sendall(bytes([0x81, 0x80 | 126]) + len(hello).to_bytes(2, "big") + mask + masked)
    return sock


async def test_a_stalled_client_is_dropped_and_others_keep_receiving(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "SEND_BUFFER_LIMIT", 16 * 1024)
    async with running_server(tmp_path / "q.db") as (base, server):
        stalled = await asyncio.to_thread(stalled_websocket, base)
        port = stalled.getsockname()[1]

        def registered() -> list:
            return [c for c in server.hub.connections if c.ws.get_extra_info("peername")[1] == port]

        await until(registered, what="the stalled client welcomed")
        # a slow network: the server's send buffer for this client is small too
        (conn,) = registered()
        conn.ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        healthy = await peer(base, "display", DISPLAY_TOKEN)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        services = list(server.config.services)
        for _ in range(50):
            if sum(1 for c in server.hub.connections if c.role == "display") < 2:
                break
            for i in range(200):  # spread over services: each has a daily cap of 500
                await kiosk.request(
                    "issue", service=services[i % len(services)], request_id=str(uuid.uuid4())
                )
        assert sum(1 for c in server.hub.connections if c.role == "display") == 1
        last = await kiosk.request("issue", service="huong-dan-chung", request_id="last")
        assert last["ok"]
        seen = await healthy.wait_event("ticket_issued", timeout=20)
        while seen["ticket"]["number"] != last["ticket"]["number"]:
            seen = await healthy.wait_event("ticket_issued", timeout=20)
        stalled.close()
