"""The screen over a counter against the real server: closed, waiting, serving (very
large), paused; an unknown counter says so."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtGui import QFontMetricsF

from counter_display.counter import CounterWindow
from counter_display.display_model import CounterDisplayModel
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)


def test_counter_display_follows_its_counter(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "chi", full_name="Trần Thị Chi")
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            model = CounterDisplayModel(13, client, flash_seconds=30)
            screen = CounterWindow(model)
            qtbot.addWidget(screen)
            screen.resize(1280, 720)
            screen.show()
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            officer = None
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                assert "Quầy chưa mở" in screen.status.text()
                assert "Counter closed" in screen.status.text()
                assert screen.title.text() == "QUẦY 13"
                assert screen.officer.isHidden()  # nobody serves at a closed counter
                officer = await peer(base, "counter", await login(base, "chi"), counter=13)
                await until(
                    lambda: "Mời công dân chờ gọi số" in screen.status.text(), what="open, waiting"
                )
                # who serves here, by the full name of the account that signed in
                assert screen.officer.isVisible()
                assert screen.officer.text() == "Cán bộ: Trần Thị Chi  ·  Officer"
                await kiosk.request("issue", service="chung-thuc", request_id=str(uuid.uuid4()))
                assert (await officer.request("call_next"))["ok"]
                await until(lambda: screen.number.text() == "G001", what="G001 shown")
                assert screen.number.isVisible() and screen.status.isHidden()
                assert "Đang phục vụ số" in screen.caption.text()
                assert "Now serving" in screen.caption.text()
                assert model.flashing()
                digits = QFontMetricsF(screen.number.text_font()).tightBoundingRect("0001")
                assert digits.height() >= 200  # on a 720-line screen
                screen.number.set_color("#ffc83d")  # the steady colour, not mid-blink
                save_shot(screen, "counter.png", tmp_path)

                assert (await officer.request("finish"))["ok"]
                assert (await officer.request("pause", reason="hop"))["ok"]
                await until(lambda: "Tạm dừng" in screen.status.text(), what="paused")
                assert "Paused" in screen.status.text() and screen.number.isHidden()
                assert "Trần Thị Chi" in screen.officer.text()
                save_shot(screen, "counter-paused.png", tmp_path)
                assert (await officer.request("sign_out"))["ok"]
                await until(lambda: "Quầy chưa mở" in screen.status.text(), what="closed")
                assert screen.officer.isHidden()
            finally:
                await client.stop()
                await kiosk.close()
                if officer is not None:
                    await officer.close()

    run_scenario(scenario())


def test_unknown_counter_says_so(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, _server):
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            screen = CounterWindow(CounterDisplayModel(99, client))
            qtbot.addWidget(screen)
            try:
                await client.start()
                await until(lambda: not screen.model.known, what="welcome")
                assert "Không có quầy này" in screen.status.text()
            finally:
                await client.stop()

    run_scenario(scenario())
