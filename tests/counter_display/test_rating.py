"""The rating pad against the real server: a finished ticket is asked about, rated once,
thanked; a second rating of the same ticket is refused politely."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from counter_display.rating import RatingWindow
from counter_display.rating_model import RatingModel
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import (
    KIOSK_TOKEN,
    RATING_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)

COUNTER = 9  # serves khai-sinh-khai-tu (prefix D)
BIRTH = "khai-sinh-khai-tu"


async def serve_one(base: str, officer, kiosk, finish: str = "finish") -> dict:
    await kiosk.request("issue", service=BIRTH, request_id=str(uuid.uuid4()))
    called = await officer.request("call_next")
    assert called["ok"], called
    done = await officer.request(finish)
    assert done["ok"], done
    return done["ticket"]


def test_finished_ticket_is_rated_once_and_a_second_rating_is_refused(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "binh")
            officer = await peer(base, "counter", await login(base, "binh"), counter=COUNTER)
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            _, ws = server_urls(base)
            client = QueueClient(ws, role="rating", token=RATING_TOKEN, counter=COUNTER)
            model = RatingModel(COUNTER, client, thanks_seconds=2)
            pad = RatingWindow(model)
            qtbot.addWidget(pad)
            pad.resize(1280, 800)
            pad.show()
            try:
                await client.start()
                await until(lambda: model.connection == "connected", what="pad connected")
                assert pad.pages.currentWidget() is pad.idle
                assert "Quầy 9" in pad.header.text()
                save_shot(pad, "rating-idle.png", tmp_path)
                # A no-show is not asked about.
                await kiosk.request("issue", service=BIRTH, request_id=str(uuid.uuid4()))
                await officer.request("call_next")
                await officer.request("no_show")

                ticket = await serve_one(base, officer, kiosk)
                await until(lambda: model.phase == "asking", what="the pad asks")
                assert model.ticket == ticket["number"] == "D002"
                assert pad.pages.currentWidget() is pad.asking
                assert "Ông/Bà có hài lòng với việc giải quyết hồ sơ?" in pad.question.text()
                assert [b.vi.text() for b in pad.buttons.values()] == [
                    "Rất hài lòng",
                    "Hài lòng",
                    "Bình thường",
                    "Không hài lòng",
                ]
                save_shot(pad, "rating.png", tmp_path)

                button = pad.buttons["hai-long"]
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
                qtbot.mouseClick(pad.buttons["khong-hai-long"], Qt.MouseButton.LeftButton)
                assert not button.isEnabled()  # one tap only
                await until(lambda: model.phase == "thanks", what="thanks")
                assert "Xin cảm ơn Ông/Bà!" in pad.done_text.text()
                assert pad.done_note.isHidden()
                save_shot(pad, "rating-thanks.png", tmp_path)
                rated = [t for t in server.state.tickets.values() if t.rating is not None]
                assert [(t.number, t.rating) for t in rated] == [("D002", "hai-long")]
                await until(lambda: model.phase == "idle", what="back to idle")
                assert pad.pages.currentWidget() is pad.idle

                # Another ticket; someone rates it first (a second pad, say): the pad's
                # rating is refused and it says so politely.
                ticket = await serve_one(base, officer, kiosk)
                await until(
                    lambda: model.phase == "asking" and model.ticket == "D003",
                    what="asks about D003",
                )
                other = await peer(base, "rating", RATING_TOKEN, counter=COUNTER)
                first = await other.request("rate", number="D003", rating="rat-hai-long")
                assert first["ok"], first
                await other.close()
                qtbot.mouseClick(pad.buttons["binh-thuong"], Qt.MouseButton.LeftButton)
                await until(lambda: model.phase == "refused", what="refusal")
                assert pad.done_note.text().startswith("Số này đã được đánh giá rồi.")
                assert pad.done_note.isVisible()
                assert "Xin cảm ơn Ông/Bà!" in pad.done_text.text()
                assert server.state.tickets[ticket["id"]].rating == "rat-hai-long"
                await until(lambda: model.phase == "idle", what="back to idle")
            finally:
                await client.stop()
                await officer.close()
                await kiosk.close()

    run_scenario(scenario())


def test_other_counters_and_unanswered_questions(qtbot, tmp_path):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "binh")
            officer = await peer(base, "counter", await login(base, "binh"), counter=COUNTER)
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            _, ws = server_urls(base)
            here = QueueClient(ws, role="rating", token=RATING_TOKEN, counter=COUNTER)
            elsewhere = QueueClient(ws, role="rating", token=RATING_TOKEN, counter=10)
            model = RatingModel(COUNTER, here, ask_seconds=0.4)
            far = RatingModel(10, elsewhere)
            phases: list[str] = []
            model.subscribe(lambda: phases.append(model.phase))
            try:
                await here.start()
                await elsewhere.start()
                await until(lambda: far.connection == model.connection == "connected")
                await serve_one(base, officer, kiosk)
                await until(lambda: "asking" in phases, what="asks")
                await until(lambda: phases[-1] == "idle", what="gives up unanswered")
                assert far.phase == "idle"  # not its counter
                assert all(t.rating is None for t in server.state.tickets.values())
            finally:
                await here.stop()
                await elsewhere.stop()
                await officer.close()
                await kiosk.close()

    run_scenario(scenario())
