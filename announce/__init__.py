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
from announce.numbers import (
    VOICE_STYLES,
    ReadingOptions,
    read_digits,
    read_number,
    read_ticket,
    spell_letters,
    style_options,
    style_words,
)
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
    "VOICE_STYLES",
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
    "style_options",
    "style_words",
    "wav_duration",
]
