"""A supervisor's notice from the board scrolls on the Qt hall until it expires."""

from __future__ import annotations

import pytest

from counter_display.display_model import HallModel
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.counter_display.test_hall import hall_window
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import DISPLAY_TOKEN, add_officer, login, peer, running_server
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)


def test_a_notice_from_the_board_scrolls_then_the_usual_one_comes_back(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "giam-sat", "supervisor")
            board = await peer(base, "supervisor", await login(base, "giam-sat"))
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            model = HallModel(client)
            window = hall_window(qtbot, model, notice="Thông báo thường ngày")
            await client.start()
            try:
                await until(lambda: model.connection == "connected", what="connected")
                text = "Lĩnh vực Đất đai tạm ngưng nhận hồ sơ đến 14 giờ"
                assert (await board.request("hall_notice", text=text, minutes=10))["ok"]
                await until(lambda: window.ticker.text == text, what="the notice scrolls")
                window.ticker.offset = window.width() * 0.95  # scrolled in, for the picture
                save_shot(window, "hall-notice.png", tmp_path)
                assert (await board.request("hall_notice", text=text, minutes=0))["ok"]
                await until(
                    lambda: window.ticker.text == "Thông báo thường ngày", what="taken down"
                )
            finally:
                await client.stop()

    run_scenario(scenario())
