"""Build call announcements as clip lists and join clips into one WAV (stdlib only).

No Qt, no aiohttp: the hall display and the web server both use this module.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, replace
from pathlib import Path

from announce.numbers import (
    DEFAULT_OPTIONS,
    ReadingOptions,
    read_number,
    read_ticket,
    style_options,
)
from announce.voice import DEFAULT_VOICE_DIR, ClipFormat, ClipFormatError, Manifest, load_manifest
from vntext import nfc

CHIME = "[chime]"
PAUSE = "[pause]"
PHRASE_CALL = nfc("mời công dân có số")
PHRASE_COUNTER = nfc("đến quầy số")
SILENCE_PREFIX = "[silence:"
COMMA_SILENCE_MS = 150  # between spelled letters / digits ("a, không, một, năm")
PHRASE_SILENCE_MS = 120  # around the spoken number, so it stands out
DEFAULT_GAP_MS = 40  # between any two clips when rendering


def silence(ms: int) -> str:
    """Token for ``ms`` milliseconds of generated silence, e.g. "[silence:150]"."""
    if ms < 0:
        raise ValueError("silence must be >= 0 ms")
    return f"{SILENCE_PREFIX}{int(ms)}]"


def silence_ms(token: str) -> int | None:
    """Milliseconds of a silence token, or None if ``token`` is not one."""
    if token.startswith(SILENCE_PREFIX) and token.endswith("]"):
        return int(token[len(SILENCE_PREFIX) : -1])
    return None


@dataclass(frozen=True)
class Announcement:
    """One call: the clips to play, the spoken text and a caption for screens."""

    ticket: str
    counter: int
    clips: tuple[str, ...]
    text: str
    caption: str


def _with_commas(groups: tuple[tuple[str, ...], ...]) -> list[str]:
    """Flatten reading groups, inserting a short silence where the text has a comma."""
    tokens: list[str] = []
    for index, group in enumerate(groups):
        if index:
            tokens.append(silence(COMMA_SILENCE_MS))
        tokens.extend(group)
    return tokens


def build_call_announcement(
    ticket_number: str,
    counter_number: int,
    *,
    repeat: int = 2,
    options: ReadingOptions = DEFAULT_OPTIONS,
    zone: str = "",
    style: str | None = None,
) -> Announcement:
    """Chime, then "mời công dân có số <ticket> đến quầy số <counter>" ``repeat`` times.

    Repeats are separated by the pause clip. The ticket is read per ``options``; the
    counter is always read as a whole number (same regional words). The counter's
    ``zone`` ("Khu A") ends the text and the caption ("… đến quầy số 5, Khu A"); it is
    not spoken: a zone is free text of the site, with no clip to say it. ``style``
    ("bac", "nam": the site's `[hall] voice`) sets the regional words of ``options``.
    """
    if style is not None:
        options = style_options(style, options)
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    ticket = nfc(ticket_number).strip()
    reading = read_ticket(ticket, options)
    counter_tokens = read_number(counter_number, replace(options, mode="number"))
    gap = silence(PHRASE_SILENCE_MS)
    sentence = [PHRASE_CALL, gap, *_with_commas(reading.groups), gap, PHRASE_COUNTER]
    sentence += counter_tokens
    clips: list[str] = [CHIME]
    for index in range(repeat):
        clips += ([PAUSE] if index else []) + sentence
    where = f", {nfc(zone.strip())}" if zone.strip() else ""
    text = f"{PHRASE_CALL} {reading.text}, {PHRASE_COUNTER} {' '.join(counter_tokens)}{where}."
    caption = f"Mời công dân có số {ticket.upper()} đến quầy số {counter_number}{where}"
    return Announcement(ticket, counter_number, tuple(clips), text[0].upper() + text[1:], caption)


def _read_clip(manifest: Manifest, token: str) -> bytes:
    """PCM frames of one clip, checked against the manifest's format."""
    path = manifest.path_for(token)
    fmt = manifest.format
    try:
        with wave.open(str(path), "rb") as clip:
            found = ClipFormat(clip.getframerate(), clip.getnchannels(), clip.getsampwidth())
            frames = clip.readframes(clip.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise ClipFormatError(f"clip {token!r} ({path}) is not a readable PCM WAV: {exc}") from exc
    if found != fmt:
        raise ClipFormatError(f"clip {token!r} ({path}) is {found}, expected {fmt}")
    return frames


def join_clips(
    clip_names: list[str] | tuple[str, ...],
    voice_dir: Path | str = DEFAULT_VOICE_DIR,
    *,
    gap_ms: int = 0,
) -> bytes:
    """Concatenate clips (and "[silence:N]" tokens) into one complete WAV file.

    ``gap_ms`` of silence goes between consecutive entries. Raises
    :class:`MissingClipError` or :class:`ClipFormatError` naming the clip.
    """
    manifest = load_manifest(voice_dir)
    fmt = manifest.format
    zero = (b"\x80" if fmt.sample_width == 1 else b"\0") * fmt.channels * fmt.sample_width
    gap = zero * fmt.frames_for_ms(gap_ms)
    parts: list[bytes] = []
    for index, token in enumerate(clip_names):
        if index and gap:
            parts.append(gap)
        ms = silence_ms(token)
        if ms is not None:
            parts.append(zero * fmt.frames_for_ms(ms))
        else:
            parts.append(_read_clip(manifest, nfc(token)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(fmt.channels)
        wav.setsampwidth(fmt.sample_width)
        wav.setframerate(fmt.rate)
        wav.writeframes(b"".join(parts))
    return out.getvalue()


def render_announcement(
    announcement: Announcement,
    voice_dir: Path | str = DEFAULT_VOICE_DIR,
    *,
    gap_ms: int = DEFAULT_GAP_MS,
) -> bytes:
    """The announcement as a complete WAV file."""
    return join_clips(announcement.clips, voice_dir, gap_ms=gap_ms)


def wav_duration(data: bytes) -> float:
    """Duration in seconds of a WAV file given as bytes."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
