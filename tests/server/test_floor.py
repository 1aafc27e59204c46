"""The supervisor's floor over the real websocket: the board, its alerts, its actions."""

from __future__ import annotations

import dataclasses
import sqlite3

import aiohttp
import pytest

from assets import SAMPLE_CONFIG
from queue_server.core.siteconfig import load_config
from tests.support.servers import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)


def quick_site(**alerts):
    """The sample site with alerts that clear after 1 s (30 s in the sample)."""
    config = load_config(SAMPLE_CONFIG)
    limits = dataclasses.replace(config.alerts, **({"clear_after_seconds": 1.0} | alerts))
    return dataclasses.replace(config, alerts=limits)


async def supervisor(base, server, name="giam-sat", role="supervisor"):
    await add_officer(server, name, role, full_name="Trần Thị Giám Sát")
    return await peer(base, "supervisor", await login(base, name))


def alerts_of(frame, kind):
    return [a for a in frame["alerts"] if a["kind"] == kind]


async def next_board(board, check, timeout=5.0):
    """The first board frame for which `check(frame)` holds."""
    return await board.frames_until(lambda f: f["type"] == "board" and check(f), timeout)


async def test_the_board_welcome_is_the_whole_floor(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        await kiosk.request("issue", service="ket-hon", request_id="r1")
        board = await supervisor(base, server)
        snap = board.welcome["board"]
        [marriage] = [s for s in snap["services"] if s["id"] == "ket-hon"]
        assert marriage["waiting"] == 1 and marriage["oldest_at"] is not None
        assert len(snap["counters"]) == len(server.config.counters)
        kiosk_row = next(d for d in snap["devices"] if d["id"] == "kiosk-1")
        assert kiosk_row["online"] and kiosk_row["last_seen"] is not None
        never = next(d for d in snap["devices"] if d["id"] == "hall-1")
        assert never["last_seen"] is None and not never["online"]


@pytest.mark.parametrize("role", ["officer"])
async def test_an_officer_may_not_watch_the_floor(tmp_path, role):
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "can-bo", role)
        with pytest.raises(PermissionError) as refused:
            await peer(base, "supervisor", await login(base, "can-bo"))
        assert refused.value.args[0]["error"]["code"] == "forbidden"


async def test_paper_out_raises_one_alert_acknowledged_and_cleared(tmp_path):
    async with running_server(tmp_path / "q.db", quick_site()) as (base, server):
        board = await supervisor(base, server)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        for state in ("paper_out", "ok", "paper_out"):  # a flap: still one alert
            assert (await kiosk.request("device_status", printer=state))["ok"]
        frames = await next_board(board, lambda f: alerts_of(f, "printer"))
        [alert] = alerts_of(frames[-1], "printer")
        assert (alert["subject"], alert["detail"]) == ("kiosk-1", "paper_out")

        answer = await board.request("ack_alert", alert=alert["id"])
        assert answer["ok"], answer
        again = await board.request("ack_alert", alert=alert["id"])
        assert again["error"]["code"] == "alert_acknowledged"
        unknown = await board.request("ack_alert", alert=9999)
        assert unknown["error"]["code"] == "unknown_alert"
        frames = await next_board(
            board, lambda f: any(a["acknowledged_by"] for a in alerts_of(f, "printer"))
        )
        assert alerts_of(frames[-1], "printer")[0]["acknowledged_by"] == "giam-sat"

        await kiosk.request("device_status", printer="ok")
        await next_board(board, lambda f: not alerts_of(f, "printer"))
        raised = [a for a in server.state.alerts.all.values() if a.kind == "printer"]
        assert len(raised) == 1 and raised[0].cleared_at is not None

    with sqlite3.connect(tmp_path / "q.db") as db:
        audit = db.execute("SELECT actor, action FROM audit WHERE action LIKE 'alert%'").fetchall()
        kinds = [r[0] for r in db.execute("SELECT type FROM events WHERE type LIKE 'alert%'")]
    assert audit == [("giam-sat", "alert_acknowledged")]
    assert kinds == ["alert_raised", "alert_acknowledged", "alert_cleared"]


async def test_a_device_may_only_speak_for_itself_and_pings_keep_it_online(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        hall = await peer(base, "display", DISPLAY_TOKEN)
        assert (await hall.request("ping"))["ok"]
        refused = await hall.request("device_status", printer="paper_out")
        assert refused["error"]["code"] == "forbidden"  # a display has no printer to report
        board = await supervisor(base, server)
        row = next(d for d in board.welcome["board"]["devices"] if d["id"] == "hall-1")
        assert row["online"] and row["printer"] is None


async def test_a_hall_notice_reaches_the_hall_and_is_audited(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        hall = await peer(base, "display", DISPLAY_TOKEN)
        board = await supervisor(base, server)
        text = "Hệ thống Đất đai tạm ngưng đến 14 giờ"
        bad = await board.request("hall_notice", text=text, minutes=-5)
        assert bad["error"]["code"] == "bad_request"
        answer = await board.request("hall_notice", text=text, minutes=30)
        assert answer["ok"] and answer["until"] > server.clock()
        notice = await hall.wait_event("notice")
        assert notice["text"] == text and notice["until"] == answer["until"]
        later = await peer(base, "public")  # a screen switched on afterwards
        assert later.welcome["notice"]["text"] == text
        assert (await board.request("hall_notice", text=text, minutes=0))["ok"]
        assert (await hall.wait_event("notice"))["until"] is None
        assert "notice" not in (await peer(base, "public")).welcome
        kiosk_refused = await (await peer(base, "kiosk", KIOSK_TOKEN)).request(
            "hall_notice", text=text, minutes=5
        )
        assert kiosk_refused["error"]["code"] == "forbidden"
    with sqlite3.connect(tmp_path / "q.db") as db:
        notices = db.execute(
            "SELECT actor, detail FROM audit WHERE action = 'hall_notice'"
        ).fetchall()
    assert notices == [("giam-sat", f"30 min: {text}"), ("giam-sat", f"0 min: {text}")]


async def test_metrics_show_queues_counters_devices_and_open_alerts(tmp_path):
    async with running_server(tmp_path / "q.db", quick_site()) as (base, server):
        board = await supervisor(base, server)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        await kiosk.request("issue", service="ket-hon", request_id="m1")
        await kiosk.request("device_status", printer="paper_out")
        await next_board(board, lambda f: alerts_of(f, "printer"))
        async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as res:
            text = await res.text()
    lines = set(text.splitlines())
    assert 'xephang_service_waiting{service="ket-hon"} 1.0' in lines
    assert any(
        line.startswith('xephang_service_longest_wait_seconds{service="ket-hon"}') for line in lines
    )
    assert 'xephang_counter_state{counter="1",state="closed"} 1.0' in lines
    assert 'xephang_device_up{device="kiosk-1",role="kiosk"} 1.0' in lines
    assert 'xephang_device_up{device="hall-1",role="display"} 0.0' in lines
    assert 'xephang_device_printer{device="kiosk-1",state="paper_out"} 1.0' in lines
    assert 'xephang_alerts_open{kind="printer"} 1.0' in lines


async def test_closing_a_service_for_the_day_stops_its_numbers_until_reopened(tmp_path):
    async with running_server(tmp_path / "q.db") as (base, server):
        board = await supervisor(base, server)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        unknown = await board.request("close_service", service="khong-co")
        assert unknown["error"]["code"] == "unknown_service"
        assert (await board.request("close_service", service="ket-hon"))["ok"]
        refused = await kiosk.request("issue", service="ket-hon", request_id="c1")
        assert refused["error"]["code"] == "service_closed"
        queue = await kiosk.wait_event("queue")
        assert [s["open"] for s in queue["services"] if s["id"] == "ket-hon"] == [False]
        frames = await next_board(
            board, lambda f: any(s["closed_today"] for s in f["services"] if s["id"] == "ket-hon")
        )
        assert frames
        assert (await board.request("open_service", service="ket-hon"))["ok"]
        assert (await kiosk.request("issue", service="ket-hon", request_id="c2"))["ok"]
    with sqlite3.connect(tmp_path / "q.db") as db:
        actions = [r[0] for r in db.execute("SELECT action FROM audit WHERE actor = 'giam-sat'")]
    assert actions == ["login", "service_closed_for_day", "service_reopened"]
