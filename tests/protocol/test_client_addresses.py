"""A client given several server addresses (issue 19: an active server and its
standby) connects to whichever answers, and moves to the other when its server goes."""

from __future__ import annotations

import pytest

from queue_protocol.client import QueueClient
from queue_protocol.urls import server_url_lists
from tests.support.servers import KIOSK_TOKEN, InProcessServer, free_port
from tests.support.waiting import until


def test_a_comma_separated_server_setting_gives_both_lists():
    bases, sockets = server_url_lists("http://a:8765, https://b.example/queue")
    assert bases == ["http://a:8765", "https://b.example/queue"]
    assert sockets == ["ws://a:8765/ws", "wss://b.example/queue/ws"]
    with pytest.raises(ValueError):
        server_url_lists(" , ")


async def test_the_client_reaches_whichever_address_answers(tmp_path):
    first, second = free_port(), free_port()
    urls = [f"ws://127.0.0.1:{first}/ws", f"ws://127.0.0.1:{second}/ws"]
    client = QueueClient(urls, role="kiosk", token=KIOSK_TOKEN, backoff_max=0.2)
    server = InProcessServer(tmp_path / "q.db", port=second)  # the first is not up
    await server.start()
    try:
        await client.start()
        await client.wait_connected(15)
        assert client.url == urls[1]
        ticket = (await client.issue("khai-sinh-khai-tu", request_id="tap-1"))["ticket"]
        await server.stop()  # the active one goes; the other address takes over
        server = InProcessServer(tmp_path / "q.db", port=first)
        await server.start()
        await until(lambda: client.state == "connected" and client.url == urls[0])
        again = (await client.issue("khai-sinh-khai-tu", request_id="tap-1"))["ticket"]
        assert again["number"] == ticket["number"]  # the retry gets the first answer
    finally:
        await client.stop()
        await server.stop()
