"""Voice clip sets: the manifest mapping clip tokens to WAV files, and the file-name rule.

A voice directory (e.g. ``assets/voice/vi``) holds ``manifest.toml``::

    language = "vi"

    [format]          # every clip must be in this format
    rate = 16000
    channels = 1
    sample_width = 2  # bytes: 16-bit PCM

    [clips]           # token (NFC text that is spoken) -> file relative to the directory
    "một" = "words/mootj.wav"
    "mời công dân có số" = "phrases/mowif_coong_daan_cos_soos.wav"
    "[chime]" = "sounds/chime.wav"

File names are ASCII, derived from the token by :func:`clip_slug` (Telex spelling),
so a centre can replace any clip with a professional recording of the same name.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import assets
from vntext import nfc

DEFAULT_VOICE_DIR = assets.VOICE_VI
MANIFEST_NAME = "manifest.toml"

_TELEX_LETTERS = {"ă": "aw", "â": "aa", "đ": "dd", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw"}
_TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_BASE_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn


class VoiceError(Exception):
    """Base class for voice-clip problems."""


class MissingClipError(VoiceError):
    """A token has no clip in the manifest, or its file is missing."""


class ClipFormatError(VoiceError):
    """A clip file is unreadable or not in the voice's common format."""


@dataclass(frozen=True)
class ClipFormat:
    """PCM format shared by every clip of a voice."""

    rate: int = 16000
    channels: int = 1
    sample_width: int = 2

    def frames_for_ms(self, ms: float) -> int:
        """Number of frames in ``ms`` milliseconds (rounded)."""
        return round(self.rate * ms / 1000)


@dataclass(frozen=True)
class Manifest:
    """A loaded voice manifest."""

    directory: Path
    language: str
    format: ClipFormat
    clips: dict[str, str]

    def path_for(self, token: str) -> Path:
        """The file for ``token``; raises :class:`MissingClipError` naming it."""
        relative = self.clips.get(nfc(token))
        if relative is None:
            raise MissingClipError(f"no clip for {token!r} in {self.directory / MANIFEST_NAME}")
        path = self.directory / relative
        if not path.is_file():
            raise MissingClipError(f"clip file for {token!r} is missing: {path}")
        return path


def load_manifest(voice_dir: Path | str = DEFAULT_VOICE_DIR) -> Manifest:
    """Load ``voice_dir/manifest.toml`` (keys NFC-normalised)."""
    directory = Path(voice_dir)
    path = directory / MANIFEST_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MissingClipError(f"voice manifest not found: {path}") from exc
    fmt = ClipFormat(**data.get("format", {}))
    clips = {nfc(k): v for k, v in data.get("clips", {}).items()}
    return Manifest(directory, data.get("language", ""), fmt, clips)


def _syllable_slug(word: str) -> str:
    """Telex spelling of one word: "mười" -> "muwowif" (tone letter at the end)."""
    out: list[str] = []
    tone = ""
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TELEX_TONES:
            tone = _TELEX_TONES[char]
        elif char in _BASE_MARKS:
            base = out.pop()
            out.append(_TELEX_LETTERS[nfc(base + char)])
        elif char == "đ":
            out.append("dd")
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            raise ValueError(f"cannot make a file name from {word!r}")
    return "".join(out) + tone


def clip_slug(token: str) -> str:
    """ASCII file stem for a token: Telex per word, words joined by "_".

    "một" -> "mootj", "mốt" -> "moots", "ét-sì" -> "ets-sif", "đến quầy số" ->
    "ddeens_quaayf_soos". Distinct Vietnamese words give distinct names.
    """
    words = nfc(token).replace(",", " ").split()
    if not words:
        raise ValueError("empty token")
    return "_".join("-".join(_syllable_slug(part) for part in w.split("-")) for w in words)
