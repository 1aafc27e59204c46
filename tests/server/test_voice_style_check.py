"""A voice style whose clips this server's voice lacks is refused — in the admin screen
naming the clip (the web hall would read numbers half in silence) and at start-up."""

from __future__ import annotations

import announce
from queue_server.__main__ import main
from queue_server.web.voicecheck import voice_style_problem
from tests.counter_display.test_hall_settings import voice_without
from tests.support.admin import change_config
from tests.support.servers import add_officer, running_server


def test_the_check_names_the_missing_clip(tmp_path):
    voice = voice_without(tmp_path, "lẻ")
    assert voice_style_problem("bac", str(voice)) is None
    en, vi = voice_style_problem("nam", str(voice)) or ("", "")
    assert "'lẻ'" in en and "style 'nam'" in en
    assert vi.startswith("giọng đọc thiếu tệp âm thanh 'lẻ'")
    assert voice_style_problem("nam") is None  # the shipped voice has both styles


async def test_the_admin_screen_refuses_a_style_the_voice_cannot_say(tmp_path, monkeypatch):
    monkeypatch.setattr(announce, "DEFAULT_VOICE_DIR", voice_without(tmp_path, "ngàn"))
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "quan-tri", "admin")

        def southern(document: dict) -> None:
            document["hall"] = {"voice": "nam"}

        body = await change_config(base, southern, expect=400)
        error = body["error"]
        assert (error["code"], error["field"]) == ("config_invalid", "hall.voice")
        assert "'ngàn'" in error["problem_vi"] and "'ngàn'" in error["problem"]
        assert server.config.hall.voice == "bac"  # nothing changed


def test_the_server_does_not_start_with_such_a_style(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(announce, "DEFAULT_VOICE_DIR", voice_without(tmp_path, "lẻ"))
    site = tmp_path / "site.toml"
    site.write_text(
        '[site]\nname = "T"\n[hall]\nvoice = "nam"\n'
        '[[sectors]]\nid = "s"\nname = "S"\n'
        '[[services]]\nid = "a"\nsector = "s"\nname = "A"\nprefix = "A"\n'
        '[[counters]]\nnumber = 1\nservices = ["a"]\n'
        '[[outcomes]]\nid = "xong"\nname = "Xong"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(site), "--db", str(tmp_path / "q.db")]) == 2
    assert "hall.voice" in capsys.readouterr().err
