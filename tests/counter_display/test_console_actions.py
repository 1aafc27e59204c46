"""The officer's further actions at the real console against the real server, driven by
keys as an officer would: look a number up and call it or put a no-show back, park a
ticket while the citizen fetches a document and serve it again, find a transfer
service among 22 by typing, and waits read in words ("14 phút", "1 giờ 05 phút")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from queue_server.domain.lifecycle import TicketStatus
from tests.counter_display.test_console import COUNTER, LAND_CHANGES, issue, signed_in_console
from tests.support.clock import FakeClock
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import KIOSK_TOKEN, add_officer, peer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM
from tests.support.waiting import until
from vntext import fold

pytestmark = pytest.mark.timeout(90)
MINUTE = 60.0


def test_look_up_call_back_and_requeue_a_passed_over_number(qtbot, tmp_path):
    async def scenario():
        clock = FakeClock(WEDNESDAY_9AM)
        async with running_server(tmp_path / "q.db", clock=clock) as (base, server):
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                for _ in range(3):
                    await issue(kiosk)  # B001 B002 B003 at 09:00
                window = await signed_in_console(qtbot, base)
                work, model = window.work, window.model
                clock.now += 14 * MINUTE + 30
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: model.info == "Đã gọi số B001.", what="B001 called")
                assert work.timers.text().startswith("Đã chờ: 14 phút   ·   Đang phục vụ: ")
                qtbot.keyClick(window, Qt.Key.Key_F3)  # B001 does not come
                await until(lambda: model.current is None and not model.busy, what="no-show")
                clock.now += 51 * MINUTE
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: model.info == "Đã gọi số B002.", what="B002 called")
                assert work.timers.text().startswith("Đã chờ: 1 giờ 05 phút")

                await until(lambda: len(model.upcoming) == 1, what="the preview: B003")
                # B001 is back at the desk: F7, the number, Enter: what happened to it
                qtbot.keyClick(window, Qt.Key.Key_F7)
                panel = work.lookup
                assert panel.isVisible() and panel.number.hasFocus()
                assert not work.buttons["call_next"].isEnabled()  # keys go to the panel
                qtbot.keyClicks(panel.number, "b001")
                qtbot.keyClick(panel.number, Qt.Key.Key_Return)
                await until(lambda: panel.list.isVisible(), what="B001 found")
                details = panel.details.text()
                assert "Trạng thái: <b>vắng mặt khi được gọi</b> · Quầy 5" in details
                assert "09:00  Cấp số" in details and "09:14  Gọi – quầy 5" in details
                assert "09:14  Vắng mặt – quầy 5" in details
                options = [panel.list.item(i).text() for i in range(panel.list.count())]
                assert options == ["1. Gọi số B001 ngay", "2. Đưa số B001 lại vào hàng chờ"]
                save_shot(window, "console-lookup.png", tmp_path)
                qtbot.keyClick(panel.list, Qt.Key.Key_2)
                qtbot.keyClick(panel.list, Qt.Key.Key_Return)
                await until(lambda: model.info and not model.busy, what="requeued")
                assert work.message.text() == "Số B001 đã được đưa lại vào hàng chờ."
                b001 = server.state.ticket_by_number("B001")
                assert b001 is not None and b001.status is TicketStatus.WAITING
                # the sample site puts a returning no-show at the end of the queue
                await until(
                    lambda: [t["number"] for t in model.upcoming] == ["B003", "B001"],
                    what="B001 after B003",
                )

                # B003 called out of turn, by number; B002 is finished first
                qtbot.keyClick(window, Qt.Key.Key_F7)
                qtbot.keyClicks(panel.number, "B003")
                qtbot.keyClick(panel.number, Qt.Key.Key_Enter)
                await until(lambda: panel.list.count() == 1, what="B003 found")
                assert "Số người chờ trước: 0" in panel.details.text()
                qtbot.keyClick(panel.list, Qt.Key.Key_Return)
                await until(lambda: work.number.text() == "B003", what="B003 called")
                assert server.state.ticket_by_number("B002").status is TicketStatus.DONE

                # Not a number of today: said so, nothing offered; Esc gives the keys back
                qtbot.keyClick(window, Qt.Key.Key_F7)
                qtbot.keyClicks(panel.number, "X999")
                qtbot.keyClick(panel.number, Qt.Key.Key_Return)
                await until(lambda: "Hôm nay không có" in panel.details.text(), what="refusal")
                assert panel.list.isHidden()
                qtbot.keyClick(panel.number, Qt.Key.Key_Escape)
                assert panel.isHidden() and work.buttons["call_next"].isEnabled()
            finally:
                await kiosk.close()
                await window.model.close()

    run_scenario(scenario())


def test_park_a_ticket_serve_the_next_then_resume_it(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                await issue(kiosk)
                await issue(kiosk)
                window = await signed_in_console(qtbot, base)
                work, model = window.work, window.model
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B001", what="B001 called")
                assert work.buttons["hold_resume"].text().startswith("Giữ số\nF8")
                qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.KeypadModifier)
                await until(lambda: model.held and not model.busy, what="B001 parked")
                assert work.message.text() == "Đang giữ số B001 tại quầy; có thể gọi số tiếp."
                assert work.held.text() == "Đang giữ chờ bổ sung hồ sơ: B001 (F8 để phục vụ tiếp)"
                assert work.number.text() == "—"
                assert server.state.counters[COUNTER].held == [
                    server.state.ticket_by_number("B001").id
                ]
                assert work.buttons["hold_resume"].text().startswith("Phục vụ số giữ")
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B002", what="B002 meanwhile")
                await until(lambda: model.upcoming == [], what="nobody else waiting")
                assert work.held.text() == "Đang giữ chờ bổ sung hồ sơ: B001"
                save_shot(window, "console-held.png", tmp_path)
                qtbot.keyClick(window, Qt.Key.Key_F5)
                qtbot.keyClick(work.panel.list, Qt.Key.Key_Return)
                await until(lambda: model.current is None and not model.busy, what="B002 done")
                qtbot.keyClick(window, Qt.Key.Key_F8)  # nobody at the desk: B001 again
                await until(lambda: work.number.text() == "B001", what="B001 resumed")
                assert work.message.text() == "Tiếp tục phục vụ số B001."
                assert work.held.text() == "" and model.held == []
                b001 = server.state.ticket_by_number("B001")
                assert b001.status is TicketStatus.CALLED and b001.counter == COUNTER
            finally:
                await kiosk.close()
                await window.model.close()

    run_scenario(scenario())


def test_every_transfer_service_is_found_by_typing_and_reached_by_keys(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            try:
                await issue(kiosk)
                window = await signed_in_console(qtbot, base)
                work, panel = window.work, window.work.panel
                qtbot.keyClick(window, Qt.Key.Key_F1)
                await until(lambda: work.number.text() == "B001", what="B001 called")
                qtbot.keyClick(window, Qt.Key.Key_F4)
                assert panel.search.isVisible() and panel.search.hasFocus()
                services = {
                    s.id: s.name for s in server.config.services.values() if s.id != LAND_CHANGES
                }
                assert panel.list.count() == len(services) >= 21
                # Every service: typed without marks, it is the line Enter would take.
                for sid, name in services.items():
                    panel.search.clear()
                    qtbot.keyClicks(panel.search, fold(name))
                    current = panel.list.currentItem()
                    assert current is not None and not panel.list.isRowHidden(
                        panel.list.row(current)
                    ), name
                    assert current.data(Qt.ItemDataRole.UserRole) == sid, name
                    # on screen whole: wrapped to the list's width, not behind a scrollbar
                    await until(
                        lambda c=current: (
                            panel.list.viewport().rect().contains(panel.list.visualItemRect(c))
                        ),
                        what=f"{name} in view",
                    )
                # …and every one by arrows alone, from the first to the last.
                panel.search.clear()
                seen = {panel.list.currentItem().data(Qt.ItemDataRole.UserRole)}
                for _ in range(len(services)):
                    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
                    seen.add(panel.list.currentItem().data(Qt.ItemDataRole.UserRole))
                assert seen == set(services)
                # Two words, in any case and without marks, keep only matching lines.
                panel.search.clear()
                qtbot.keyClicks(panel.search, "KET hon")
                shown = [
                    panel.list.item(i).data(Qt.ItemDataRole.UserRole)
                    for i in range(panel.list.count())
                    if not panel.list.isRowHidden(i)
                ]
                assert shown == ["ket-hon"]
                save_shot(window, "console-transfer-search.png", tmp_path)
                qtbot.keyClick(panel.search, Qt.Key.Key_Return)
                await until(
                    lambda: window.model.current is None and not window.model.busy,
                    what="transferred",
                )
                assert server.state.ticket_by_number("B001").service == "ket-hon"
            finally:
                await kiosk.close()
                await window.model.close()

    run_scenario(scenario())
