"""A configuration change (the admin API, issue 15) reaches the counter display, the hall
and a signed-in console on the connections they have: they redraw, nobody reconnects."""

from __future__ import annotations

import copy
from collections.abc import Callable

import aiohttp
import pytest

from counter_display.counter import CounterWindow
from counter_display.display_model import CounterDisplayModel, HallModel
from counter_display.hall import HallWindow
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.counter_display.test_console import COUNTER, signed_in_console
from tests.support.qt import run_scenario
from tests.support.servers import DISPLAY_TOKEN, PASSWORD, add_officer, running_server
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)
NEW_NAME = "Quầy 5 – Đất đai"


async def rename_counter_and_add_an_outcome(base: str) -> None:
    def change(document: dict) -> None:
        for counter in document["counters"]:
            if counter["number"] == COUNTER:
                counter["name"] = NEW_NAME
        document["outcomes"].append({"id": "chuyen-tiep", "name": "Chuyển tiếp hồ sơ"})

    await change_config(base, change)


async def change_config(base: str, change: Callable[[dict], None]) -> None:
    """Signed in as the administrator `quan-tri`, `change` the configuration in force."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{base}/api/admin/session", json={"username": "quan-tri", "password": PASSWORD}
        ) as resp:
            csrf = (await resp.json())["csrf"]
        async with http.get(f"{base}/api/admin/config") as resp:
            current = await resp.json()
        document = copy.deepcopy(current["document"])
        change(document)
        async with http.post(
            f"{base}/api/admin/config",
            json={"document": document, "base_version": current["version"]},
            headers={"X-CSRF-Token": csrf},
        ) as resp:
            assert resp.status == 200, await resp.text()


def test_displays_and_console_redraw_on_a_config_event(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            await add_officer(server, "quan-tri", "admin")
            _, ws = server_urls(base)
            display = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            hall_client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            counter = CounterWindow(CounterDisplayModel(COUNTER, display))
            hall = HallWindow(HallModel(hall_client))
            for widget in (counter, hall):
                qtbot.addWidget(widget)
            welcomes: list[dict] = []
            display.on_welcome(welcomes.append)
            await display.start()
            await hall_client.start()
            try:
                window = await signed_in_console(qtbot, base)
                await until(lambda: counter.title.text() == "QUẦY 5", what="counter display")
                await rename_counter_and_add_an_outcome(base)
                await until(lambda: counter.title.text() == NEW_NAME.upper(), what="renamed")
                assert hall.model.counter_names[COUNTER] == NEW_NAME
                await until(
                    lambda: "chuyen-tiep" in [o["id"] for o in window.model.outcomes],
                    what="the console's outcomes",
                )
                assert window.model.counter["name"] == NEW_NAME
                assert len(welcomes) == 1  # the same connection: no reconnect
            finally:
                await display.stop()
                await hall_client.stop()

    run_scenario(scenario())
