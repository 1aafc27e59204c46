"""Series letters the hall would read alike: the voice says G and V as "gờ" and "vờ", so
D015, G015 and V015 differ; letters a voice still makes sound alike (a [sound_alike]
group, or two clips that are one recording) are found, and the server warns at start."""

from __future__ import annotations

import logging
import shutil

from announce import build_call_announcement, load_manifest
from announce.alike import colliding_series
from queue_server.__main__ import warn_series
from queue_server.web.voicecheck import series_warning
from tests.support.servers import sample_site


def southern_voice(tmp_path, groups: str = '[["dê", "gờ", "vờ"]]'):
    """Our clips, in a voice whose speaker says D, G and V alike (as "giê"/"vê" would)."""
    voice = tmp_path / "vi"
    shutil.copytree(load_manifest().directory, voice)
    manifest = voice / "manifest.toml"
    text = manifest.read_text(encoding="utf-8").replace("groups = []", f"groups = {groups}")
    manifest.write_text(text, encoding="utf-8")
    return voice


def test_d_g_and_v_are_read_apart_and_their_clips_differ():
    d, g, v = (build_call_announcement(n, 3) for n in ("D015", "G015", "V015"))
    assert "dê" in d.clips and "gờ" in g.clips and "vờ" in v.clips
    assert not {"giê", "vê"} & {*g.clips, *v.clips}
    manifest = load_manifest()
    clips = {manifest.path_for(name).read_bytes() for name in ("dê", "gờ", "vờ")}
    assert len(clips) == 3  # three recordings, not one
    assert colliding_series(["D", "G", "V", "AD", "AV", "CQ"]) == []


def test_letters_alike_in_the_voice_are_found(tmp_path):
    voice = southern_voice(tmp_path)
    assert colliding_series(["D", "G", "V", "AD", "AV", "A", "CQ"], voice) == [
        ("AD", "AV"),
        ("D", "G"),
        ("D", "V"),
        ("G", "V"),
    ]


def test_two_clips_that_are_one_recording_sound_alike(tmp_path):
    voice = southern_voice(tmp_path, "[]")
    shutil.copyfile(voice / "letters/dee.wav", voice / "letters/gowf.wav")  # as "giê" was
    assert colliding_series(["D", "G", "B"], voice) == [("D", "G")]


def test_the_sample_site_is_heard_apart_and_warned_in_a_voice_that_mixes_d_and_g(tmp_path, caplog):
    config = sample_site(tmp_path)
    assert series_warning(config) is None
    voice = str(southern_voice(tmp_path))
    warning = series_warning(config, voice)
    assert warning is not None and "D (" in warning and "G (" in warning
    with caplog.at_level(logging.WARNING, logger="queue_server"):
        warn_series(config, voice)  # as `python -m queue_server` does at start
    assert any("sound alike" in r.getMessage() for r in caplog.records)
