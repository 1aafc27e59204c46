"""The committed Vietnamese clip set and its naming scheme."""

import array
import unicodedata
import wave

import pytest

from announce import CHIME, PAUSE, PHRASE_CALL, PHRASE_COUNTER, load_manifest
from announce.numbers import all_tokens
from announce.voice import DEFAULT_VOICE_DIR, clip_slug

MANIFEST = load_manifest()
SOUNDS = {CHIME, PAUSE}


def read(token: str) -> tuple[tuple[int, int, int], array.array]:
    with wave.open(str(MANIFEST.path_for(token)), "rb") as clip:
        fmt = (clip.getframerate(), clip.getnchannels(), clip.getsampwidth())
        samples = array.array("h", clip.readframes(clip.getnframes()))
    return fmt, samples


def test_manifest_covers_every_token() -> None:
    needed = set(all_tokens()) | {PHRASE_CALL, PHRASE_COUNTER} | SOUNDS
    assert needed <= set(MANIFEST.clips)
    assert MANIFEST.language == "vi"


@pytest.mark.parametrize("token", sorted(MANIFEST.clips))
def test_clip_format_and_content(token: str) -> None:
    fmt, samples = read(token)
    assert fmt == (16000, 1, 2)
    seconds = len(samples) / 16000
    # a word or a call's phrase; the kiosk's guidance sentences are longer
    longest = 6.0 if MANIFEST.clips[token].startswith("phrases/kiosk/") else 2.0
    assert 0.1 <= seconds <= longest, seconds
    if token == PAUSE:
        assert max(map(abs, samples)) == 0 and seconds == pytest.approx(0.6)
    else:
        assert max(map(abs, samples)) > 3000  # not silent


@pytest.mark.parametrize("token", sorted(set(MANIFEST.clips) - SOUNDS))
def test_file_names_follow_the_scheme(token: str) -> None:
    relative = MANIFEST.clips[token]
    assert relative.isascii()
    assert relative.rsplit("/", 1)[-1] == f"{clip_slug(token)}.wav"
    assert unicodedata.normalize("NFC", token) == token


@pytest.mark.parametrize(
    ("token", "slug"),
    [
        ("một", "mootj"),
        ("mốt", "moots"),
        ("mười", "muwowif"),
        ("mươi", "muwowi"),
        ("lẻ", "ler"),
        ("ét-sì", "ets-sif"),
        ("i dài", "i_daif"),
        ("mời công dân có số", "mowif_coong_daan_cos_soos"),
        ("Đến quầy số", "ddeens_quaayf_soos"),
    ],
)
def test_clip_slug(token: str, slug: str) -> None:
    assert clip_slug(token) == slug
    assert clip_slug(unicodedata.normalize("NFD", token)) == slug


def test_slugs_are_distinct() -> None:
    files = [MANIFEST.clips[t] for t in MANIFEST.clips]
    assert len(files) == len(set(files))


def test_voice_assets_are_small() -> None:
    total = sum(p.stat().st_size for p in DEFAULT_VOICE_DIR.parent.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


def test_path_lookup_is_nfc_normalised() -> None:
    nfd = unicodedata.normalize("NFD", "mười")
    assert MANIFEST.path_for(nfd) == MANIFEST.path_for("mười")
