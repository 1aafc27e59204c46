"""Spoken calls for the hall: one joined WAV per call, played one after another.

The `Announcer` queues calls and plays them strictly in order through a `Player`,
never two at once. A `Player` is anything with `async play(wav)` that returns when
the sound has ended. `CommandPlayer` hands the WAV to a system player found on PATH
(`paplay`, `aplay`, `pw-play`) so no audio library is needed; `RecordingPlayer` is the
loudspeaker of the tests: it takes as long as the WAV lasts and records what it was
given. Sound trouble never stops the screen: it is logged once, not per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from announce import (
    DEFAULT_VOICE_DIR,
    Announcement,
    ReadingOptions,
    VoiceError,
    build_call_announcement,
    load_manifest,
    render_announcement,
    style_options,
    style_words,
)
from announce.player import (  # the shared player, re-exported for the hall's users
    PLAYER_COMMANDS,
    AudioUnavailable,
    CommandPlayer,
    Played,
    Player,
    RecordingPlayer,
)

log = logging.getLogger(__name__)

__all__ = [
    "PLAYER_COMMANDS",
    "Announcer",
    "AudioUnavailable",
    "CommandPlayer",
    "Played",
    "Player",
    "RecordingPlayer",
]


class Announcer:
    """Reads every queued call aloud, in order, one at a time."""

    def __init__(
        self,
        player: Player,
        *,
        repeat: int = 2,
        options: ReadingOptions | None = None,
        voice_dir: Path | str = DEFAULT_VOICE_DIR,
    ) -> None:
        self.player = player
        self.repeat = repeat
        self.options = options or ReadingOptions()
        self.voice_dir = voice_dir
        self.spoken: list[Announcement] = []  # what went to the player, in order
        self.sound_ok = True
        self.style: str | None = None  # the site's `[hall] voice`, once the server said it
        self._queue: asyncio.Queue[tuple[str, int, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def announce(self, number: str, counter: int, zone: str = "") -> None:
        """Queue one call; it is said after those queued before it."""
        self._queue.put_nowait((number, counter, zone))

    def set_style(self, style: str) -> None:
        """Read numbers in the site's voice style ("bac", "nam"), from the next call on.
        A style whose clips this hall's voice lacks falls back to the northern reading,
        with a warning naming the clip: the TV cannot refuse the site's setting, and a
        number read the northern way is still understood."""
        if style == self.style:
            return
        wanted = style
        try:
            manifest = load_manifest(self.voice_dir)
            for word in style_words(style):
                manifest.path_for(word)
        except KeyError:
            log.warning("unknown voice style %r; reading the northern way", style)
            style = "bac"
        except VoiceError as exc:
            log.warning(
                "voice style %r needs a clip this voice lacks (%s); reading the northern way",
                style,
                exc,
            )
            style = "bac"
        self.options = style_options(style, self.options)
        self.style = wanted

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="announcer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            number, counter, zone = await self._queue.get()
            try:
                announcement = build_call_announcement(
                    number, counter, repeat=self.repeat, options=self.options, zone=zone
                )
                wav = render_announcement(announcement, self.voice_dir)
            except (ValueError, VoiceError) as exc:
                log.error(
                    "cannot build the announcement for %s at counter %s: %s", number, counter, exc
                )
                continue
            self.spoken.append(announcement)
            await self._play(wav, announcement.caption)

    async def _play(self, wav: bytes, caption: str) -> None:
        try:
            await self.player.play(wav)
        except AudioUnavailable as exc:
            self._trouble(f"{exc}; the screen keeps working without sound")
            return
        except Exception as exc:  # a broken player must not stop the announcer
            self._trouble(f"playing failed: {exc!r}")
            return
        if not self.sound_ok:
            log.warning("sound works again")
            self.sound_ok = True
        log.debug("announced: %s", caption)

    def _trouble(self, why: str) -> None:
        if self.sound_ok:
            log.warning("no sound for the calls: %s", why)
        self.sound_ok = False
