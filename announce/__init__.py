"""Spoken call announcements: Vietnamese number reading and WAV clip joining.

Stdlib only (no Qt, no aiohttp), so the hall display and the web server can share it.
"""

from announce.builder import (
    CHIME,
    PAUSE,
    PHRASE_CALL,
    PHRASE_COUNTER,
    Announcement,
    build_call_announcement,
    join_clips,
    render_announcement,
    silence,
    wav_duration,
)
from announce.numbers import ReadingOptions, read_digits, read_number, read_ticket, spell_letters
from announce.voice import (
    DEFAULT_VOICE_DIR,
    ClipFormatError,
    MissingClipError,
    VoiceError,
    clip_slug,
    load_manifest,
)

__all__ = [
    "CHIME",
    "DEFAULT_VOICE_DIR",
    "PAUSE",
    "PHRASE_CALL",
    "PHRASE_COUNTER",
    "Announcement",
    "ClipFormatError",
    "MissingClipError",
    "ReadingOptions",
    "VoiceError",
    "build_call_announcement",
    "clip_slug",
    "join_clips",
    "load_manifest",
    "read_digits",
    "read_number",
    "read_ticket",
    "render_announcement",
    "silence",
    "spell_letters",
    "wav_duration",
]
