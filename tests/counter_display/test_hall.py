"""The hall display against the real server: calls on screen, read aloud in order and
never over each other, big digits at 1920×1080, zones, and no sound device at all."""

from __future__ import annotations

import asyncio
import logging
import stat
import uuid
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPixmap

from announce import build_call_announcement, render_announcement, wav_duration
from counter_display.audio import Announcer, AudioUnavailable, CommandPlayer, RecordingPlayer
from counter_display.display_model import MISSED_CALLS_SECONDS, HallModel, missed_calls
from counter_display.hall import HallWindow
from counter_display.ui import ACCENT, BACKGROUND, PANEL
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

pytestmark = pytest.mark.timeout(90)

# counter → a service it serves
COUNTERS = {5: "bien-dong-dat-dai", 9: "khai-sinh-khai-tu", 21: "giay-phep-lai-xe"}


async def officers(base: str, server) -> dict[int, object]:
    """One signed-in officer peer per counter in COUNTERS, each with a waiting ticket."""
    kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
    at: dict[int, object] = {}
    for index, (number, service) in enumerate(COUNTERS.items()):
        name = f"can-bo-{index}"
        await add_officer(server, name)
        at[number] = await peer(base, "counter", await login(base, name), counter=number)
        for _ in range(3):
            await kiosk.request("issue", service=service, request_id=str(uuid.uuid4()))
    await kiosk.close()
    return at


async def close_all(peers) -> None:
    for p in peers:
        await p.close()


def hall_window(qtbot, model: HallModel, **kw) -> HallWindow:
    window = HallWindow(model, **kw)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    return window


def test_three_quick_calls_are_read_in_order_and_never_overlap(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            at = await officers(base, server)
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            seen: list[tuple[str, int]] = []
            client.on_event(
                lambda ev: (
                    ev["type"] == "ticket_called" and seen.append((ev["number"], ev["counter"]))
                )
            )
            player = RecordingPlayer(speed=25)
            announcer = Announcer(player, repeat=2)
            model = HallModel(client, announcer=announcer, highlight_seconds=4)
            hall = hall_window(qtbot, model)
            announcer.start()
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                # Three counters call at (almost) the same moment.
                results = await asyncio.gather(*(o.request("call_next") for o in at.values()))
                assert all(r["ok"] for r in results)
                await until(lambda: len(model.calls) == 3, what="three calls on screen")
                assert [c["number"] for c in model.calls] == [n for n, _ in reversed(seen)]
                assert hall.newest_number.text() == seen[-1][0]
                assert [row[0].text() for row in hall.row_labels[:2]] == [seen[1][0], seen[0][0]]
                # The newest blinks for a while (then stays calm, below).
                await until(lambda: ACCENT in hall.newest.styleSheet(), what="lit")
                # lit: the captions turn dark on the yellow, so they stay readable
                assert f"color:{BACKGROUND}" in hall.newest_caption.text()
                save_shot(hall, "hall-lit.png", tmp_path)
                await until(lambda: PANEL in hall.newest.styleSheet(), what="blink off")
                assert f"color:{BACKGROUND}" not in hall.newest_caption.text()
                await until(
                    lambda: len(player.played) == 3 and player.played[-1].ended,
                    timeout=30,
                    what="three announcements played",
                )

                expected = [build_call_announcement(n, c, repeat=2) for n, c in seen]
                assert [a.caption for a in announcer.spoken] == [e.caption for e in expected]
                for played, announcement in zip(player.played, expected, strict=True):
                    wav = render_announcement(announcement)
                    assert played.wav == wav  # one joined WAV per call, as built
                    assert played.duration == pytest.approx(wav_duration(wav))
                    assert played.duration > 5  # chime + the sentence twice
                for before, after in zip(player.played, player.played[1:], strict=False):
                    assert after.started >= before.ended  # one at a time
                    assert after.started - before.started >= before.duration / player.speed
                assert announcer.sound_ok

                await until(lambda: not model.highlighted(), what="highlight over")
                ticks: list[None] = []  # blink ticks from now on: it must stay calm
                hall.blinker.timeout.connect(lambda: ticks.append(None))
                await until(lambda: len(ticks) >= 2, what="two blink ticks")
                assert PANEL in hall.newest.styleSheet()

                # Recall: read again and back at the top.
                oldest = seen[0]
                recall = await at[oldest[1]].request("recall")
                assert recall["ok"]
                await until(lambda: len(player.played) == 4, what="recall announced")
                assert announcer.spoken[-1].ticket == oldest[0]
                assert model.calls[0]["number"] == oldest[0] and len(model.calls) == 3
            finally:
                await client.stop()
                await announcer.stop()
                await close_all(at.values())

    run_scenario(scenario())


def test_digits_are_big_enough_for_ten_metres_and_the_screen_is_complete(qtbot, tmp_path):
    logo = tmp_path / "logo.png"
    pixmap = QPixmap(220, 220)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setBrush(QColor("#d32f2f"))
    painter.drawEllipse(10, 10, 200, 200)
    painter.setBrush(QColor("#ffd600"))
    painter.drawEllipse(75, 75, 70, 70)
    painter.end()
    assert pixmap.save(str(logo))

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            at = await officers(base, server)
            for _ in range(2):  # six calls: more than the list shows
                for officer in at.values():
                    assert (await officer.request("call_next"))["ok"]
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            model = HallModel(client, limit=5)
            hall = hall_window(qtbot, model, logo=logo)
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                # The welcome brings the latest calls: history, neither blinking nor read.
                assert len(model.calls) == 5 and not model.highlighted()
                assert len({c["number"] for c in model.calls}) == 5
                assert hall.newest_number.text() == "1002"  # counter 21 called last
                await until(lambda: hall.newest_number.height() > 300, what="laid out")
                metrics = QFontMetricsF(hall.newest_number.text_font())
                digits = metrics.tightBoundingRect("0123456789").height()
                assert digits >= 160, f"digits only {digits:.0f} px tall"
                row_font = hall.row_labels[0][0].font()
                assert QFontMetricsF(row_font).tightBoundingRect("0123456789").height() >= 40
                assert "Trung tâm Hành chính công tỉnh Bình Dương" in hall.site.text()
                assert "Binh Duong Public Administration Centre" in hall.site.text()
                assert hall.logo.isVisible()
                assert ":" in hall.clock.text()
                hall.ticker.offset = 900  # the notice part-way across, as on the wall
                with Image.open(save_shot(hall, "hall.png", tmp_path)) as image:
                    assert image.size == (1920, 1080)
            finally:
                await client.stop()
                await close_all(at.values())

    run_scenario(scenario())


def call(number: str, counter: int, at: float) -> dict:
    return {
        "type": "ticket_called",
        "number": number,
        "service": "s",
        "counter": counter,
        "counter_name": f"Quầy {counter}",
        "recall": False,
        "at": at,
    }


def test_missed_calls_are_the_recent_ones_after_the_last_heard_oldest_first() -> None:
    now = 10_000.0
    calls = [
        call("A9", 2, now - 1),
        call("A7", 3, now - 5),
        call("A9", 2, now - 8),
        call("A5", 1, now - 30),
        call("A2", 4, now - MISSED_CALLS_SECONDS - 1),
        call("A1", 4, now - 500),
    ]
    assert missed_calls(calls, None, now) == []  # first connection: nothing is news
    # heard up to now-30 (A5 was heard live): A9 once (its latest call), after A7
    assert [(c["number"], c["at"]) for c in missed_calls(calls, now - 30, now)] == [
        ("A7", now - 5),
        ("A9", now - 1),
    ]
    # cut off for long: only the last MISSED_CALLS_SECONDS are read
    assert [c["number"] for c in missed_calls(calls, now - 1000, now)] == ["A5", "A7", "A9"]
    assert missed_calls(calls, now, now) == []


def test_calls_made_while_the_hall_was_cut_off_are_read_when_it_is_back(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            at = await officers(base, server)
            first, second, third = at
            assert (await at[first].request("call_next"))["ok"]  # before the hall is on
            _, ws = server_urls(base)
            # Slow to come back, so that the calls below surely fall in the gap.
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN, backoff_min=4.0)
            player = RecordingPlayer(speed=50)
            announcer = Announcer(player, repeat=1)
            model = HallModel(client, announcer=announcer)
            states: list[str] = []
            client.on_state(states.append)
            announcer.start()
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                live = (await at[second].request("call_next"))["ticket"]["number"]
                await until(lambda: len(announcer.spoken) == 1, what="the live call read")
                assert model.highlighted()
                for conn in [c for c in server.hub.connections if c.role == "display"]:
                    await conn.close(1001, b"the network blips")
                await until(lambda: model.connection == "disconnected", what="cut off")
                missed = [
                    (await at[third].request("call_next"))["ticket"]["number"],
                    (await at[second].request("call_next"))["ticket"]["number"],
                ]
                assert model.connection == "disconnected"  # both calls fell in the gap
                await until(
                    lambda: len(announcer.spoken) == 3, timeout=20, what="missed calls read"
                )
                assert states.count("connected") == 2
                assert [a.ticket for a in announcer.spoken] == [live, *missed]
                assert [c["number"] for c in model.calls[:2]] == missed[::-1]
                assert model.highlighted()
                # The welcome queued what it had to read at once: nothing else (the first
                # call) sneaks in behind.
                assert len(announcer.spoken) == 3 and announcer.pending == 0
            finally:
                await client.stop()
                await announcer.stop()
                await close_all(at.values())

    run_scenario(scenario())


def test_a_zone_shows_and_reads_only_its_own_counters(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            at = await officers(base, server)
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            player = RecordingPlayer(speed=50)
            announcer = Announcer(player, repeat=1)
            model = HallModel(
                client, counters=[9, 21], services=["khai-sinh-khai-tu"], announcer=announcer
            )
            calls: list[dict] = []  # every call the hall heard, of its zone or not
            client.on_event(lambda ev: ev["type"] == "ticket_called" and calls.append(ev))
            announcer.start()
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                for officer in at.values():
                    assert (await officer.request("call_next"))["ok"]
                await until(lambda: len(calls) == 3, what="all three calls reached the hall")
                await until(lambda: len(player.played) == 1, what="read")
                assert [c["number"] for c in model.calls] == ["D001"]
                assert [a.ticket for a in announcer.spoken] == ["D001"]
                assert announcer.pending == 0  # the other calls were not queued either
            finally:
                await client.stop()
                await announcer.stop()
                await close_all(at.values())

    run_scenario(scenario())


def test_without_a_sound_device_the_screen_still_updates_and_it_is_logged_once(
    qtbot, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="counter_display.audio")
    no_players = tmp_path / "empty-bin"
    no_players.mkdir()

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            at = await officers(base, server)
            _, ws = server_urls(base)
            client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            announcer = Announcer(CommandPlayer(path=str(no_players)))
            model = HallModel(client, announcer=announcer)
            hall = hall_window(qtbot, model)
            announcer.start()
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="connected")
                for officer in at.values():
                    assert (await officer.request("call_next"))["ok"]
                    await until(
                        lambda o=officer: (
                            hall.newest_number.text() == model.calls[0]["number"]
                            and announcer.pending == 0
                        ),
                        what="shown",
                    )
                await until(lambda: len(announcer.spoken) == 3, what="all three tried")
                assert [c["counter"] for c in model.calls] == [21, 9, 5]
                assert not announcer.sound_ok
            finally:
                await client.stop()
                await announcer.stop()
                await close_all(at.values())

    run_scenario(scenario())
    warnings = [
        r
        for r in caplog.records
        if r.name == "counter_display.audio" and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "no audio device" in warnings[0].getMessage()


def fake_player(directory: Path, name: str, body: str) -> None:
    script = directory / name
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_command_player_hands_the_wav_to_the_system_player(qtbot, tmp_path):
    """`aplay` here is a stand-in script that keeps what it was given (no sound card)."""
    bin_dir, out = tmp_path / "bin", tmp_path / "out"
    bin_dir.mkdir()
    out.mkdir()
    fake_player(bin_dir, "aplay", f'[ "$1" = "-q" ] || exit 3\ncp "$2" "{out}/played.wav"\n')
    broken = tmp_path / "broken"
    broken.mkdir()
    fake_player(broken, "paplay", 'echo "Connection refused" >&2\nexit 1\n')
    wav = render_announcement(build_call_announcement("A015", 5, repeat=1))

    async def scenario():
        player = CommandPlayer(path=str(bin_dir))
        assert player.command is not None and player.command[0].endswith("aplay")
        await player.play(wav)
        assert (out / "played.wav").read_bytes() == wav
        with pytest.raises(AudioUnavailable, match="paplay exited with 1: Connection refused"):
            await CommandPlayer(path=str(broken)).play(wav)

    run_scenario(scenario())
