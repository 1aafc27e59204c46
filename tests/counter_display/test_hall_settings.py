"""Issue 15 on the Qt screens: the hall's notice line, its voice style and a counter's
zone, changed in the admin API of a running server, are taken on live (a `config`
event on the connection they have): the ticker, the spoken reading, the captions."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from announce import DEFAULT_VOICE_DIR
from counter_display.audio import Announcer, RecordingPlayer
from counter_display.counter import CounterWindow
from counter_display.display_model import CounterDisplayModel, HallModel
from counter_display.hall import DEFAULT_NOTICE, HallWindow
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_urls
from tests.counter_display.test_hall import close_all
from tests.support import SHOTS
from tests.support.admin import change_config, counter_of
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

NOTICE = (
    "Từ ngày 01/7/2026, Trung tâm tiếp nhận hồ sơ cấp đổi giấy phép lái xe cả buổi sáng "
    "thứ Bảy. Công dân vui lòng mang theo căn cước công dân bản chính, ảnh chân dung và "
    "giấy khám sức khoẻ còn hạn; hồ sơ đất đai được nhận tại tầng hai, khu B."
)
NOTICE_EN = "From 1 July, driving licences are also received on Saturday mornings."


def hall_settings(document: dict) -> None:
    document["hall"] = {"notice": NOTICE, "notice_en": NOTICE_EN, "voice": "nam"}
    counter_of(document, 21).update(zone="Tầng 2, khu B", zone_en="Floor 2, zone B")


def test_notice_voice_and_zone_follow_the_admin_live(qtbot, tmp_path):
    shots = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") == "1" else tmp_path

    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            await add_officer(server, "quan-tri", "admin")
            await add_officer(server, "an")
            kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
            for n in range(2):  # numeric series: 1001, 1002
                await kiosk.request("issue", service="giay-phep-lai-xe", request_id=f"r{n}")
            await kiosk.close()
            at = {21: await peer(base, "counter", await login(base, "an"), counter=21)}
            _, ws = server_urls(base)
            announcer = Announcer(RecordingPlayer(), repeat=1)
            hall_client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            model = HallModel(hall_client, announcer=announcer)
            hall = HallWindow(model)
            counter_client = QueueClient(ws, role="display", token=DISPLAY_TOKEN)
            counter = CounterWindow(CounterDisplayModel(21, counter_client))
            for widget in (hall, counter):
                qtbot.addWidget(widget)
            hall.resize(1920, 1080)
            hall.show()
            counter.resize(1280, 720)
            counter.show()
            welcomes: list[dict] = []
            hall_client.on_welcome(welcomes.append)
            announcer.start()
            await hall_client.start()
            await counter_client.start()
            try:
                await until(lambda: model.connection == "connected", what="hall connected")
                hall._tick()
                assert hall.ticker.text == DEFAULT_NOTICE  # the site says nothing yet
                assert (await at[21].request("call_next"))["ok"]  # 1001
                await until(lambda: len(announcer.spoken) == 1, what="the first call read")
                assert "một nghìn không trăm linh một" in announcer.spoken[0].text.lower()

                await change_config(base, hall_settings)
                await until(lambda: model.hall.get("voice") == "nam", what="the config event")
                hall._tick()
                assert hall.ticker.text == f"{NOTICE}   •   {NOTICE_EN}"
                await until(
                    lambda: "Tầng 2, khu B" in hall.newest_counter.text(), what="zone on hall"
                )
                assert "Floor 2, zone B" in hall.newest_counter.text()
                await until(lambda: "Tầng 2, khu B" in counter.title_en.text(), what="counter")
                assert (await at[21].request("call_next"))["ok"]  # 1002, the southern way
                await until(lambda: len(announcer.spoken) == 2, what="the second call read")
                second = announcer.spoken[1]
                assert "một ngàn không trăm lẻ hai" in second.text.lower(), second.text
                assert second.caption.endswith("đến quầy số 21, Tầng 2, khu B")
                assert len(welcomes) == 1  # all of it on the same connection
                await check_layout(hall, counter, shots)
            finally:
                await hall_client.stop()
                await counter_client.stop()
                await announcer.stop()
                await close_all(at.values())

    run_scenario(scenario())


async def check_layout(hall: HallWindow, counter: CounterWindow, shots: Path) -> None:
    """At 1920×1080 and 1366×768 the zone fits its panel, the notice its line."""
    for width, height in ((1920, 1080), (1366, 768)):
        hall.resize(width, height)
        await until(lambda w=width: hall.width() == w, what="resized")
        await until(lambda: hall.newest.width() > 0, what="laid out")
        hall.refresh()
        fits = hall.newest_counter.minimumSizeHint().width() <= hall.newest.contentsRect().width()
        assert fits, f"the counter line is wider than its panel at {width}×{height}"
        rows = [cell for _number, cell in hall.row_labels if cell.text()]
        assert all(cell.minimumSizeHint().width() <= cell.width() + 1 for cell in rows), (
            f"a zone under a counter is clipped at {width}×{height}"
        )
        ticker = hall.ticker
        assert ticker.fontMetrics().height() <= ticker.height()
        ticker.offset = ticker.width() * 0.9  # the notice part-way across, as on the wall
        name = f"hall-notice-zone-{width}x{height}.png"
        with Image.open(save_shot(hall, name, shots)) as image:
            assert image.size == (width, height)
    with Image.open(save_shot(counter, "counter-display-zone.png", shots)) as image:
        assert image.size == (1280, 720)


def voice_without(tmp_path: Path, word: str) -> Path:
    """The shipped voice with one clip taken out of its manifest."""
    voice = tmp_path / "voice"
    shutil.copytree(DEFAULT_VOICE_DIR, voice)
    manifest = voice / "manifest.toml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(f'"{word}" =')]
    assert len(kept) == len(lines) - 1
    manifest.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return voice


def test_a_hall_whose_voice_lacks_a_styles_clip_reads_the_northern_way(tmp_path, caplog):
    announcer = Announcer(RecordingPlayer(), voice_dir=voice_without(tmp_path, "lẻ"))
    announcer.set_style("nam")
    assert announcer.options.zero_tens == "linh" and announcer.options.thousand == "nghìn"
    assert "'lẻ'" in caplog.text and "northern" in caplog.text
    whole = Announcer(RecordingPlayer())
    whole.set_style("nam")
    assert (whole.options.zero_tens, whole.options.thousand) == ("lẻ", "ngàn")
