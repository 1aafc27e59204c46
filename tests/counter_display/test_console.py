"""The officer console against the real server: sign in, actions by button and by key,
refusals with the server's message, a network blip; the counter and hall displays follow."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from counter_display.audio import Announcer, RecordingPlayer
from counter_display.console import ConsoleWindow, wait_cell
from counter_display.console_model import ConsoleModel
from counter_display.counter import CounterWindow
from counter_display.display_model import CounterDisplayModel, HallModel
from counter_display.hall import HallWindow
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from queue_server.domain import commands as c
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    CuttableLink,
    add_officer,
    peer,
    running_server,
)
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)

COUNTER = 5  # serves bien-dong-dat-dai (prefix B)
LAND_CHANGES, MARRIAGE = "bien-dong-dat-dai", "ket-hon"


async def issue(kiosk, service: str = LAND_CHANGES) -> dict:
    result = await kiosk.request("issue", service=service, request_id=str(uuid.uuid4()))
    assert result["ok"], result
    return result["ticket"]


async def signed_in_console(qtbot, base: str, name: str = "an") -> ConsoleWindow:
    http, ws = server_urls(base)
    window = ConsoleWindow(ConsoleModel(http, ws), COUNTER)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    window.signin.username.setText(name)
    window.signin.password.setText(PASSWORD)
    qtbot.mouseClick(window.signin.button, Qt.MouseButton.LeftButton)
    await until(lambda: window.model.phase == "signed_in", what="signed in")
    return window


def enabled(window: ConsoleWindow, action: str) -> bool:
    return window.work.buttons[action].isEnabled()


def test_next_shows_everywhere_and_recall_is_announced_again(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            _, ws = server_urls(base)
            display = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            hall_client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            player = RecordingPlayer(speed=40)
            announcer = Announcer(player)
            counter = CounterWindow(CounterDisplayModel(COUNTER, display))
            hall = HallWindow(HallModel(hall_client, announcer=announcer))
            for widget in (counter, hall):
                qtbot.addWidget(widget)
            announcer.start()
            await display.start()
            await hall_client.start()
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                first = await issue(kiosk)
                await issue(kiosk)
                window = await signed_in_console(qtbot, base)
                assert "Quầy 5" in window.windowTitle() and "an" in window.windowTitle()
                assert window.work.title.text() == "Quầy 5 · Cán bộ: Nguyễn Văn An"
                await until(
                    lambda: "<b style='font-size:28px'>2</b>" in window.work.waiting.text(),
                    what="2 waiting",
                )
                assert not enabled(window, "recall")  # nothing called yet

                qtbot.mouseClick(window.work.buttons["call_next"], Qt.MouseButton.LeftButton)
                # The answer comes later; meanwhile the buttons are off and the UI alive.
                assert window.model.busy == "call_next"
                assert not enabled(window, "call_next") and not enabled(window, "finish")
                await until(lambda: window.model.busy is None, what="call_next answered")
                assert window.work.number.text() == first["number"] == "B001"
                assert "Đăng ký biến động" in window.work.service.text()
                assert "Đang phục vụ:" in window.work.timers.text()
                await until(lambda: counter.number.text() == "B001", what="counter display")
                assert counter.number.isVisible() or not counter.isVisible()
                await until(lambda: hall.newest_number.text() == "B001", what="hall display")
                assert "Quầy 5" in hall.newest_counter.text()
                await until(lambda: len(player.played) == 1, what="first announcement")

                qtbot.keyClick(window, Qt.Key.Key_F2)  # recall by key
                await until(lambda: len(player.played) == 2, what="recall announced")
                assert [a.ticket for a in announcer.spoken] == ["B001", "B001"]
                assert server.state.tickets[first["id"]].recalls == 1
                await until(
                    lambda: window.model.busy is None and window.model.info, what="recall answered"
                )
                assert window.work.message.text() == "Đã gọi lại số B001."

                # Keypad "3" = no-show; keypad "1" = next: the second ticket is called.
                qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.KeypadModifier)
                await until(
                    lambda: window.model.current is None and not window.model.busy,
                    what="no-show done",
                )
                assert server.state.tickets[first["id"]].status.value == "no_show"
                qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.KeypadModifier)
                await until(lambda: window.work.number.text() == "B002", what="B002 called")
                await until(lambda: counter.number.text() == "B002", what="counter shows B002")

                # A priority ticket goes first and says so.
                for _ in range(3):
                    await issue(kiosk)
                elder = await kiosk.request(
                    "issue",
                    service=LAND_CHANGES,
                    priority="nguoi-cao-tuoi",
                    request_id=str(uuid.uuid4()),
                )
                await until(
                    lambda: (
                        [t["number"] for t in window.model.upcoming[:2]]
                        == [elder["ticket"]["number"], "B003"]
                    ),
                    what="the preview",
                )
                assert (
                    f"Số tiếp theo: <b>{elder['ticket']['number']}</b> "
                    "<span style='color:#b45309'>(ưu tiên)</span> · <b>B003</b>"
                    in window.work.waiting.text()
                )
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(
                    lambda: window.work.number.text() == elder["ticket"]["number"],
                    what="the priority ticket called",
                )
                assert window.work.priority.text() == "Ưu tiên: Người cao tuổi (từ 75 tuổi)"
                await until(
                    lambda: "<b style='font-size:28px'>3</b>" in window.work.waiting.text(),
                    what="3 waiting",
                )
                save_shot(window, "console.png", tmp_path)
            finally:
                await kiosk.close()
                await window.model.close()
                await display.stop()
                await hall_client.stop()
                await announcer.stop()

    run_scenario(scenario())


def test_finish_with_an_outcome_and_transfer_keeps_the_issue_time(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                first, second = await issue(kiosk), await issue(kiosk)
                window = await signed_in_console(qtbot, base)
                work, panel = window.work, window.work.panel
                assert work.title.text() == "Quầy 5 · Cán bộ: an"  # no full name: the login

                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B001", what="B001 called")
                qtbot.keyClick(window, Qt.Key.Key_F5)  # finish: pick an outcome
                assert panel.isVisible() and not enabled(window, "call_next")
                assert panel.list.count() == len(window.model.outcomes) == 5
                qtbot.keyClick(panel.list, Qt.Key.Key_3)  # "3. Thiếu hồ sơ…"
                qtbot.keyClick(panel.list, Qt.Key.Key_Return)
                await until(
                    lambda: window.model.current is None and not window.model.busy, what="finished"
                )
                ticket = server.state.tickets[first["id"]]
                assert (ticket.status.value, ticket.outcome) == ("done", "thieu-ho-so")
                # The officer's own day, by the report's definitions, below the ticket
                await until(
                    lambda: work.my_day.text().startswith("Hôm nay: 1 đã phục vụ"), what="my day"
                )
                assert "phục vụ trung vị dưới 1 phút" in work.my_day.text()

                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B002", what="B002 called")
                qtbot.keyClick(window, Qt.Key.Key_F4)  # transfer: service and reason
                assert panel.isVisible() and work.panel.reason_box.isVisible()
                names = [
                    panel.list.item(i).data(Qt.ItemDataRole.UserRole)
                    for i in range(panel.list.count())
                ]
                assert LAND_CHANGES not in names  # not to the service it is in
                panel.list.setCurrentRow(names.index(MARRIAGE))
                panel.reason.setText("Nhầm dịch vụ – cần đăng ký kết hôn")
                qtbot.mouseClick(panel.confirm, Qt.MouseButton.LeftButton)
                await until(
                    lambda: window.model.current is None and not window.model.busy,
                    what="transferred",
                )
                moved = server.state.tickets[second["id"]]
                assert (moved.status.value, moved.service) == ("waiting", MARRIAGE)
                assert moved.issued_at == second["issued_at"]  # its original time
                assert server.state.waiting.waiting(MARRIAGE) == 1
                assert window.work.message.text() == "Đã chuyển số B002."
                await until(lambda: "1 chuyển" in work.my_day.text(), what="transfer counted")

                # Esc closes a panel without doing anything.
                qtbot.keyClick(window, Qt.Key.Key_F6)
                assert panel.isVisible()
                qtbot.keyClick(panel.list, Qt.Key.Key_Escape)
                assert panel.isHidden() and window.model.busy is None
                assert server.state.counters[COUNTER].status.value == "open"
            finally:
                await kiosk.close()
                await window.model.close()

    run_scenario(scenario())


def test_paused_counter_refuses_next_with_the_servers_message(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                await issue(kiosk)
                window = await signed_in_console(qtbot, base)
                work = window.work
                qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.KeypadModifier)
                assert work.panel.isVisible()
                qtbot.keyClick(work.panel.list, Qt.Key.Key_2)  # "2. Nghỉ trưa"
                qtbot.keyClick(work.panel.list, Qt.Key.Key_Enter)
                await until(lambda: window.model.paused and not window.model.busy, what="paused")
                assert server.state.counters[COUNTER].status.value == "paused"
                assert "Tạm dừng – Nghỉ trưa" in work.status.text()
                assert work.buttons["pause_resume"].text().startswith("Tiếp tục")

                assert enabled(window, "call_next")  # the server decides, not the console
                qtbot.mouseClick(work.buttons["call_next"], Qt.MouseButton.LeftButton)
                await until(lambda: window.model.error is not None, what="refusal")
                assert work.message.text().startswith("Quầy đang tạm dừng.")
                assert server.state.waiting.waiting(LAND_CHANGES) == 1

                qtbot.keyClick(window, Qt.Key.Key_F6)  # resume
                await until(
                    lambda: not window.model.paused and not window.model.busy, what="resumed"
                )
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B001", what="B001 called")
                assert work.message.text() == "Đã gọi số B001."
            finally:
                await kiosk.close()
                await window.model.close()

    run_scenario(scenario())


def test_wrong_password_is_refused_politely(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            http, ws = server_urls(base)
            window = ConsoleWindow(ConsoleModel(http, ws), COUNTER)
            qtbot.addWidget(window)
            window.resize(1280, 800)
            window.signin.username.setText("an")
            window.signin.password.setText("sai-mat-khau")
            qtbot.keyClick(window.signin.password, Qt.Key.Key_Return)
            await until(lambda: window.model.error, what="refusal")
            assert window.model.phase == "signed_out"
            assert window.signin.message.text() == "Tên đăng nhập hoặc mật khẩu không đúng."
            assert window.pages.currentWidget() is window.signin
            save_shot(window, "console-wrong-password.png", tmp_path)
            assert server.state.counters[COUNTER].status.value == "closed"

    run_scenario(scenario())


def test_network_blip_shows_lost_connection_and_comes_back_to_the_truth(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            port = int(base.rsplit(":", 1)[1])
            link = CuttableLink(port)
            await link.start()
            _, ws = server_urls(link.base)
            display = QueueClient(
                ws, role="display", token=DISPLAY_TOKEN, backoff_min=0.05, backoff_max=0.3
            )
            counter = CounterWindow(CounterDisplayModel(COUNTER, display))
            qtbot.addWidget(counter)
            await display.start()
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                await issue(kiosk)
                window = await signed_in_console(qtbot, link.base)
                window.model.client.backoff_min, window.model.client.backoff_max = 0.05, 0.3
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: counter.number.text() == "B001", what="B001 shown")

                link.cut()
                await until(lambda: window.work.banner.isVisible(), what="banner")
                assert window.work.banner.text().startswith("Mất kết nối")
                assert counter.banner.text().startswith("Mất kết nối")
                assert not enabled(window, "call_next")
                # Meanwhile, on the server: the ticket is finished, two more arrive.
                await server.engine.submit(c.Finish(actor="an", counter=COUNTER, outcome=None))
                await issue(kiosk)
                await issue(kiosk)
                link.restore()

                await until(
                    lambda: window.model.connection == "connected",
                    timeout=20,
                    what="console reconnected",
                )
                await until(
                    lambda: display.state == "connected", timeout=20, what="display reconnected"
                )
                assert window.work.banner.isHidden() and counter.banner.isHidden()
                assert window.model.current is None and window.work.number.text() == "—"
                assert "<b style='font-size:28px'>2</b>" in window.work.waiting.text()
                assert counter.model.ticket is None and counter.number.isHidden()
                assert "Mời công dân chờ gọi số" in counter.status.text()
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: counter.number.text() == "B002", what="B002 after blip")
            finally:
                await kiosk.close()
                await window.model.close()
                await display.stop()
                await link.stop()

    run_scenario(scenario())


def test_sign_out_closes_the_counter_and_shows_the_sign_in_page(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            window = await signed_in_console(qtbot, base)
            assert server.state.counters[COUNTER].status.value == "open"
            qtbot.mouseClick(window.work.sign_out, Qt.MouseButton.LeftButton)
            await until(
                lambda: window.model.phase == "signed_out" and window.model.info, what="signed out"
            )
            assert server.state.counters[COUNTER].status.value == "closed"
            assert window.pages.currentWidget() is window.signin
            assert window.signin.message.text() == "Đã đăng xuất."
            assert window.windowTitle() == "Đăng nhập quầy – Xếp hàng"

    run_scenario(scenario())


def test_a_disabled_account_is_sent_back_to_the_sign_in_page(qtbot, tmp_path, monkeypatch):
    from queue_server.ws import endpoint

    monkeypatch.setattr(endpoint, "SESSION_CHECK_SECONDS", 0.1)

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            window = await signed_in_console(qtbot, base)
            await server.accounts.disable_user("an", actor="admin")
            await until(lambda: window.model.phase == "signed_out", what="sent back")
            assert window.pages.currentWidget() is window.signin
            assert window.signin.message.text() == (
                "Phiên đăng nhập không còn hiệu lực; hãy đăng nhập lại."
            )
            await window.model.close()

    run_scenario(scenario())


def test_the_waiting_column_says_nothing_when_nobody_waits():
    assert wait_cell(0, 0) == ""
    assert wait_cell(0, None) == ""
    assert wait_cell(3, None) == "–"
    assert wait_cell(3, 14 * 60 + 30) == "≈ 14 phút"
    assert wait_cell(1, 65 * 60) == "≈ 1 giờ 05 phút"
