"""A paused counter says why and, when it is known, when it serves again: on the screen
over the counter and on the officer's console (real server, real widgets)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from counter_display.counter import CounterWindow
from counter_display.display_model import CounterDisplayModel
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.counter_display.test_console import COUNTER, signed_in_console
from tests.support.clock import FakeClock
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import DISPLAY_TOKEN, add_officer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)


def test_a_paused_counter_shows_its_reason_and_return_time(qtbot, tmp_path):
    async def scenario():
        clock = FakeClock(WEDNESDAY_9AM + 2 * 3600 + 25 * 60)  # 11:25, before lunch
        async with running_server(tmp_path / "q.db", clock=clock) as (base, server):
            await add_officer(server, "an")
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            screen = CounterWindow(CounterDisplayModel(COUNTER, client))
            qtbot.addWidget(screen)
            screen.resize(1280, 720)
            screen.show()
            await client.start()
            window = await signed_in_console(qtbot, base)
            try:
                work = window.work
                qtbot.keyClick(window, Qt.Key.Key_F6)
                qtbot.keyClick(work.panel.list, Qt.Key.Key_2)  # "2. Nghỉ trưa"
                qtbot.keyClick(work.panel.list, Qt.Key.Key_Return)
                await until(lambda: "Nghỉ trưa" in screen.status.text(), what="paused")
                assert "Tạm dừng – Nghỉ trưa" in screen.status.text()
                assert "Paused – Lunch break" in screen.status.text()
                await until(lambda: screen.back.isVisible(), what="the return time")
                assert "Phục vụ lại lúc 13:00" in screen.back.text()
                assert "Back at 13:00" in screen.back.text()
                await until(lambda: "đến 13:00" in work.status.text(), what="console")
                assert work.status.text().strip() == "Tạm dừng – Nghỉ trưa · đến 13:00"
                save_shot(screen, "counter-paused-lunch.png", tmp_path)

                # resumed: the return time goes with the pause. A key pressed while the
                # console still waits for the pause's answer is ignored (by design), so
                # wait for the answer as an officer would see it.
                await until(lambda: window.model.busy is None, what="the pause answered")
                qtbot.keyClick(window, Qt.Key.Key_F6)
                await until(lambda: "Mời công dân" in screen.status.text(), what="resumed")
                assert screen.back.isHidden()
                # a meeting has no usual length: the reason alone, no time invented
                await until(lambda: window.model.busy is None, what="the resume answered")
                qtbot.keyClick(window, Qt.Key.Key_F6)
                qtbot.keyClick(work.panel.list, Qt.Key.Key_1)  # "1. Họp"
                qtbot.keyClick(work.panel.list, Qt.Key.Key_Return)
                await until(lambda: "Tạm dừng – Họp" in screen.status.text(), what="meeting")
                assert screen.back.isHidden()
            finally:
                await window.model.close()
                await client.stop()

    run_scenario(scenario())
