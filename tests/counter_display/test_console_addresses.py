"""The officer console given two server addresses (issue 19: the active server and its
standby) signs in and serves through whichever answers."""

from __future__ import annotations

import uuid

import pytest

from counter_display.console_model import ConsoleModel
from queue_protocol.client import ClientError, NotConnected, login
from queue_protocol.urls import server_url_lists
from tests.support.servers import (
    KIOSK_TOKEN,
    PASSWORD,
    InProcessServer,
    add_officer,
    free_port,
    peer,
)

pytestmark = pytest.mark.timeout(60)


async def test_the_console_signs_in_and_serves_through_the_address_that_answers(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"  # the first address: nothing listens there
    async with InProcessServer(tmp_path / "q.db") as server:
        await add_officer(server.server, "an", full_name="Nguyễn Văn An")
        kiosk = await peer(server.base, "kiosk", KIOSK_TOKEN)
        issued = await kiosk.request(
            "issue", service="bien-dong-dat-dai", request_id=str(uuid.uuid4())
        )
        await kiosk.close()
        model = ConsoleModel(*server_url_lists(f"{down},{server.base}"))
        try:
            assert await model.sign_in("an", PASSWORD, 5), model.error
            assert model.client is not None and model.client.url.endswith(f"{server.port}/ws")
            await model.act("call_next")
            assert model.current is not None
            assert model.current["number"] == issued["ticket"]["number"]
        finally:
            await model.close()
        with pytest.raises(ClientError) as refused:  # a refusal, not "cannot reach" the next
            await login([server.base, down], "an", "sai-mat-khau")
        assert refused.value.code == "bad_login"
    with pytest.raises(NotConnected):  # none answers
        await login([down, server.base], "an", PASSWORD)
