"""Series letters the hall would read alike: the voice says G as "gờ", so D015 and G015
differ; letters that still sound alike in the voice (D/V in the south, or two clips that
are one recording) are found, and the server warns at start."""

from __future__ import annotations

import dataclasses
import logging
import shutil

from announce import build_call_announcement, load_manifest
from announce.alike import colliding_series
from queue_server.__main__ import warn_series
from queue_server.web.voicecheck import series_warning
from tests.support.servers import sample_site


def test_d_and_g_are_read_apart_and_their_clips_differ():
    d, g = (build_call_announcement(n, 3) for n in ("D015", "G015"))
    assert "gờ" in g.clips and "dê" in d.clips and "giê" not in g.clips
    manifest = load_manifest()
    assert manifest.path_for("gờ").read_bytes() != manifest.path_for("dê").read_bytes()
    assert colliding_series(["D", "G"]) == []


def test_letters_alike_in_the_voice_are_found():
    assert colliding_series(["D", "G", "V", "AD", "AV", "A", "CQ"]) == [
        ("AD", "AV"),
        ("D", "V"),
    ]


def test_two_clips_that_are_one_recording_sound_alike(tmp_path):
    voice = tmp_path / "vi"
    shutil.copytree(load_manifest().directory, voice)
    shutil.copyfile(voice / "letters/dee.wav", voice / "letters/gowf.wav")  # as "giê" was
    assert colliding_series(["D", "G", "B"], voice) == [("D", "G")]


def test_the_sample_site_sounds_apart_and_a_site_with_d_and_v_is_warned(tmp_path, caplog):
    config = sample_site(tmp_path)
    assert series_warning(config) is None
    land = next(s for s in config.services.values() if s.prefix == "G")
    services = dict(config.services) | {land.id: dataclasses.replace(land, prefix="V")}
    clash = dataclasses.replace(config, services=services)
    warning = series_warning(clash)
    assert warning is not None and "D (" in warning and f"V ({land.name})" in warning
    with caplog.at_level(logging.WARNING, logger="queue_server"):
        warn_series(clash)  # as `python -m queue_server` does at start
    assert any("sound alike" in r.getMessage() for r in caplog.records)
