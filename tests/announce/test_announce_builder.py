"""Call announcement builder and WAV clip joining."""

import io
import shutil
import unicodedata
import wave
from pathlib import Path

import pytest

from announce import (
    CHIME,
    PAUSE,
    PHRASE_CALL,
    PHRASE_COUNTER,
    ClipFormatError,
    MissingClipError,
    ReadingOptions,
    build_call_announcement,
    join_clips,
    load_manifest,
    render_announcement,
    silence,
    wav_duration,
)
from announce.voice import DEFAULT_VOICE_DIR
from tests.support import ROOT

DOCS = ROOT / "docs"
NUMBER_1024 = ["một", "nghìn", "không", "trăm", "hai", "mươi", "tư"]


def sentence(number: list[str], counter: list[str]) -> list[str]:
    gap = silence(120)
    return [PHRASE_CALL, gap, *number, gap, PHRASE_COUNTER, *counter]


def test_call_order_chime_then_sentence_twice_with_pause() -> None:
    announcement = build_call_announcement("1024", 5)
    once = sentence(NUMBER_1024, ["năm"])
    assert list(announcement.clips) == [CHIME, *once, PAUSE, *once]


@pytest.mark.parametrize("repeat", [1, 2, 3])
def test_repeat_count(repeat: int) -> None:
    clips = build_call_announcement("7", 1, repeat=repeat).clips
    assert clips.count(PHRASE_CALL) == clips.count(PHRASE_COUNTER) == repeat
    assert clips.count(PAUSE) == repeat - 1
    assert clips.count(CHIME) == 1 and clips[0] == CHIME


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError):
        build_call_announcement("7", 1, repeat=0)


def test_letter_ticket_in_digit_mode_pauses_at_commas() -> None:
    announcement = build_call_announcement(
        "A015", 12, repeat=1, options=ReadingOptions(mode="digits")
    )
    comma = silence(150)
    number = ["a", comma, "không", comma, "một", comma, "năm"]
    assert list(announcement.clips) == [CHIME, *sentence(number, ["mười", "hai"])]
    assert announcement.text == "Mời công dân có số a, không, một, năm, đến quầy số mười hai."
    assert announcement.caption == "Mời công dân có số A015 đến quầy số 12"


def test_options_reach_ticket_and_counter() -> None:
    south = ReadingOptions(zero_tens="lẻ", four="bốn")
    clips = build_call_announcement("105", 24, repeat=1, options=south).clips
    assert clips[-2:] == ("mươi", "bốn")
    assert "lẻ" in clips and "linh" not in clips


def test_text_and_caption() -> None:
    announcement = build_call_announcement("b014", 3)
    assert announcement.text == "Mời công dân có số bê, mười bốn, đến quầy số ba."
    assert announcement.caption == "Mời công dân có số B014 đến quầy số 3"
    nfd = unicodedata.normalize("NFD", announcement.text)
    assert unicodedata.normalize("NFC", nfd) == announcement.text


# --- joining ----------------------------------------------------------------


def frames_of(path: Path) -> tuple[int, bytes]:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes(), clip.readframes(clip.getnframes())


def test_joined_duration_is_sum_of_clips_and_silences() -> None:
    announcement = build_call_announcement("1024", 5)
    manifest = load_manifest()
    rate = manifest.format.rate
    expected = 0
    for token in announcement.clips:
        if token.startswith("[silence:"):
            expected += round(rate * int(token[9:-1]) / 1000)
        else:
            expected += frames_of(manifest.path_for(token))[0]
    gap_ms = 40
    expected += (len(announcement.clips) - 1) * round(rate * gap_ms / 1000)
    data = render_announcement(announcement, gap_ms=gap_ms)
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getnframes() == expected
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (rate, 1, 2)
    assert wav_duration(data) == pytest.approx(expected / rate)


def test_join_concatenates_frames_in_order() -> None:
    manifest = load_manifest()
    one, two = (frames_of(manifest.path_for(t))[1] for t in ("một", "hai"))
    data = join_clips(["một", silence(10), "hai"], DEFAULT_VOICE_DIR)
    with wave.open(io.BytesIO(data), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    assert frames == one + b"\0" * 2 * 160 + two


def test_join_accepts_nfd_names() -> None:
    nfd = unicodedata.normalize("NFD", "một")
    assert join_clips([nfd]) == join_clips(["một"])


def test_docs_example_matches_builder() -> None:
    announcement = build_call_announcement("1024", 5)
    lines = (DOCS / "announcement-example.txt").read_text("utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == list(announcement.clips)
    expected = wav_duration(render_announcement(announcement))
    assert wav_duration((DOCS / "announcement-example.wav").read_bytes()) == expected


# --- errors -----------------------------------------------------------------


def write_wav(path: Path, rate: int = 16000, channels: int = 1, frames: int = 160) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\1\0" * frames * channels)


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    """A tiny voice: "một" fine, "hai" at 8 kHz, "ba" stereo, "bốn" garbage, "năm" missing."""
    (tmp_path / "manifest.toml").write_text(
        "[format]\nrate = 16000\nchannels = 1\nsample_width = 2\n[clips]\n"
        '"một" = "w/mootj.wav"\n"hai" = "w/hai.wav"\n"ba" = "w/ba.wav"\n'
        '"bốn" = "w/boons.wav"\n"năm" = "w/nawm.wav"\n',
        encoding="utf-8",
    )
    write_wav(tmp_path / "w/mootj.wav")
    write_wav(tmp_path / "w/hai.wav", rate=8000)
    write_wav(tmp_path / "w/ba.wav", channels=2)
    (tmp_path / "w/boons.wav").write_bytes(b"not a wav file")
    return tmp_path


def test_unknown_token_is_named(voice: Path) -> None:
    with pytest.raises(MissingClipError, match="'mười'"):
        join_clips(["một", "mười"], voice)


def test_missing_file_is_named(voice: Path) -> None:
    with pytest.raises(MissingClipError, match=r"'năm'.*nawm\.wav"):
        join_clips(["một", "năm"], voice)


@pytest.mark.parametrize("token", ["hai", "ba", "bốn"])
def test_wrong_format_is_named(voice: Path, token: str) -> None:
    with pytest.raises(ClipFormatError, match=f"'{token}'"):
        join_clips(["một", token], voice)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(MissingClipError, match="manifest"):
        join_clips(["một"], tmp_path)


def test_good_clips_in_custom_voice(voice: Path) -> None:
    data = join_clips(["một", silence(100), "một"], voice, gap_ms=10)
    assert wav_duration(data) == pytest.approx((160 + 1600 + 160 + 2 * 160) / 16000)


def test_dropped_in_recording_is_used(tmp_path: Path) -> None:
    voice = tmp_path / "vi"
    shutil.copytree(DEFAULT_VOICE_DIR, voice)
    write_wav(voice / "words/mootj.wav", frames=1234)
    assert wav_duration(join_clips(["một"], voice)) == pytest.approx(1234 / 16000)


def test_manifest_keys_written_in_nfd_are_found(tmp_path: Path) -> None:
    key = unicodedata.normalize("NFD", "mười")
    (tmp_path / "manifest.toml").write_text(f'[clips]\n"{key}" = "m.wav"\n', encoding="utf-8")
    write_wav(tmp_path / "m.wav")
    assert wav_duration(join_clips(["mười"], tmp_path)) == pytest.approx(0.01)
