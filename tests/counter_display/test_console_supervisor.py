"""What a supervisor does from the board reaches the officer's console (real server,
real Qt widgets offscreen): a service to take on for now, a session ended."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from assets import SAMPLE_CONFIG
from queue_server.core.siteconfig import load_config
from tests.counter_display.test_config_event import change_config
from tests.counter_display.test_console import (
    COUNTER,
    LAND_CHANGES,
    MARRIAGE,
    issue,
    signed_in_console,
)
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import (
    KIOSK2_TOKEN,
    KIOSK_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)


def test_a_suggested_service_shows_on_the_console_and_is_called_there(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            await add_officer(server, "giam-sat", "supervisor")
            window = await signed_in_console(qtbot, base)
            board = await peer(base, "supervisor", await login(base, "giam-sat"))
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            marriage = await issue(kiosk, MARRIAGE)

            refused = await board.request("suggest_service", counter=999, service=MARRIAGE)
            assert refused["error"]["code"] == "unknown_counter"
            answer = await board.request("suggest_service", counter=COUNTER, service=MARRIAGE)
            assert answer["ok"], answer
            label = window.work.suggestion
            await until(lambda: label.isVisible(), what="suggestion shown")
            assert label.text() == (
                "Quầy được đề nghị phục vụ thêm: Đăng ký kết hôn, xác nhận tình trạng hôn nhân"
            )
            await until(
                lambda: [t["number"] for t in window.model.upcoming] == [marriage["number"]],
                what="the suggested service's ticket in the preview",
            )
            save_shot(window, "console-suggested.png", tmp_path)
            window.model.act("call_next")
            await until(
                lambda: (window.model.current or {}).get("number") == marriage["number"],
                what="the suggested service's ticket called here",
            )
            await window.model.act("finish")

            answer = await board.request("suggest_service", counter=COUNTER)  # withdrawn
            assert answer["ok"], answer
            await until(lambda: not label.isVisible(), what="suggestion withdrawn")

            ended = await board.request("end_session", officer="an")
            assert ended["ok"] and ended["closed_counters"] == [COUNTER], ended
            await until(lambda: window.model.phase == "signed_out", what="sent back")
            assert server.state.counters[COUNTER].status.value == "closed"
            unknown = await board.request("end_session", officer="khong-co")
            assert unknown["error"]["code"] == "unknown_officer"
            await window.model.close()
        with sqlite3.connect(tmp_path / "q.db") as db:
            actions = [
                r[0] for r in db.execute("SELECT action FROM audit WHERE actor = 'giam-sat'")
            ]
        assert actions.count("service_suggested") == 2 and "session_ended" in actions

    run_scenario(scenario())


def test_a_kiosk_out_of_paper_shows_on_the_console_of_its_services_and_clears(qtbot, tmp_path):
    """The sample site: kiosk-1 in hall A issues for every service, kiosk-2 in hall B
    only for driving licences and vehicles (not counter 5's land changes)."""

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            await add_officer(server, "binh")
            window = await signed_in_console(qtbot, base)
            line = window.work.printers
            hall_a = await peer(base, "kiosk", KIOSK_TOKEN)
            hall_b = await peer(base, "kiosk", KIOSK2_TOKEN)
            counter_22 = await peer(base, "counter", await login(base, "binh"), counter=22)

            answer = await hall_b.request("device_status", printer="paper_out", message="")
            assert answer["ok"], answer
            # counter 22 (driving licences) is told of hall B; counter 5 is not
            told = await counter_22.wait_event("kiosk_printers")
            assert [k["place"] for k in told["kiosks"]] == ["sảnh B"]
            answer = await hall_a.request("device_status", printer="paper_out", message="")
            assert answer["ok"], answer
            await until(lambda: line.isVisible(), what="the paper-out line shown")
            assert line.text() == "Ki-ốt lấy số ở sảnh A hết giấy in – chưa in được số thứ tự."
            save_shot(window, "console-kiosk-paper-out.png", tmp_path)

            await hall_a.request("device_status", printer="offline", message="")
            await until(lambda: "mất kết nối" in line.text(), what="printer offline")
            assert line.text() == (
                "Ki-ốt lấy số ở sảnh A máy in mất kết nối – chưa in được số thứ tự."
            )
            # a console signing in meanwhile learns it from its welcome
            late = await peer(base, "counter", await login(base, "an"), counter=COUNTER)
            assert [k["printer"] for k in late.welcome["kiosk_printers"]] == ["offline"]

            await hall_a.request("device_status", printer="ok", message="")
            await until(lambda: not line.isVisible(), what="the line cleared")
            assert window.model.kiosk_printers == []
            for p in (hall_a, hall_b, counter_22, late):
                await p.close()
            await window.model.close()

    run_scenario(scenario())


def test_a_kiosk_not_heard_from_shows_on_the_console_until_it_is_back(qtbot, tmp_path):
    """A kiosk that falls silent (switched off, cable out) cannot print either: once its
    `offline` alert is raised the console says so; it clears when the kiosk is back."""
    config = load_config(SAMPLE_CONFIG)
    quick = dataclasses.replace(config.alerts, device_offline_seconds=1.0, clear_after_seconds=0.5)

    async def scenario():
        site = dataclasses.replace(config, alerts=quick)
        async with running_server(tmp_path / "q.db", site) as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            window = await signed_in_console(qtbot, base)
            line = window.work.printers
            hall_a = await peer(base, "kiosk", KIOSK_TOKEN)
            assert (await hall_a.request("device_status", printer="ok", message=""))["ok"]
            await hall_a.close()  # and nothing more from it
            await until(lambda: line.isVisible(), timeout=20, what="the silent kiosk shown")
            assert line.text() == "Ki-ốt lấy số ở sảnh A mất kết nối – chưa phát được số thứ tự."
            save_shot(window, "console-kiosk-silent.png", tmp_path)
            back = await peer(base, "kiosk", KIOSK_TOKEN)
            assert (await back.request("device_status", printer="ok", message=""))["ok"]

            async def report_while_waiting() -> bool:
                await back.request("device_status", printer="ok", message="")
                return not line.isVisible()

            await until(report_while_waiting, timeout=20, what="the line cleared")
            await back.close()
            await window.model.close()

    run_scenario(scenario())


def test_a_kiosk_placed_anew_for_the_counters_services_shows_at_once(qtbot, tmp_path):
    """Hall B's kiosk is out of paper: not counter 5's concern until an administrator
    lets it issue land-change tickets too; then the console shows it, unasked."""

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "an", full_name="Nguyễn Văn An")
            await add_officer(server, "quan-tri", "admin")
            window = await signed_in_console(qtbot, base)
            line = window.work.printers
            hall_b = await peer(base, "kiosk", KIOSK2_TOKEN)
            assert (await hall_b.request("device_status", printer="paper_out", message=""))["ok"]
            assert window.model.kiosk_printers == [] and not line.isVisible()

            def also_land_changes(document: dict) -> None:
                for kiosk in document["kiosks"]:
                    if kiosk["device"] == "kiosk-2":
                        kiosk["services"].append(LAND_CHANGES)

            await change_config(base, also_land_changes)
            await until(lambda: line.isVisible(), what="hall B shown after the change")
            assert line.text() == "Ki-ốt lấy số ở sảnh B hết giấy in – chưa in được số thứ tự."
            await hall_b.close()
            await window.model.close()

    run_scenario(scenario())
