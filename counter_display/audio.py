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
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from announce import (
    DEFAULT_VOICE_DIR,
    Announcement,
    ReadingOptions,
    VoiceError,
    build_call_announcement,
    render_announcement,
    wav_duration,
)

log = logging.getLogger(__name__)

# Tried in this order: PulseAudio/PipeWire first (they share the device), then ALSA.
PLAYER_COMMANDS: tuple[tuple[str, ...], ...] = (("paplay",), ("pw-play",), ("aplay", "-q"))


class AudioUnavailable(Exception):
    """There is no way to play sound here (no player program, no device)."""


class Player(Protocol):
    async def play(self, wav: bytes) -> None:
        """Play a complete WAV file; return when it has finished. `AudioUnavailable` if not."""


class CommandPlayer:
    """Plays through the first of `commands` found on `path` (default: $PATH)."""

    def __init__(
        self, commands: tuple[tuple[str, ...], ...] = PLAYER_COMMANDS, path: str | None = None
    ) -> None:
        self.command: list[str] | None = None
        for command in commands:
            program = shutil.which(command[0], path=path)
            if program is not None:
                self.command = [program, *command[1:]]
                break

    async def play(self, wav: bytes) -> None:
        if self.command is None:
            raise AudioUnavailable(
                f"no audio device: none of {', '.join(c[0] for c in PLAYER_COMMANDS)} on PATH"
            )
        fd, name = tempfile.mkstemp(prefix="xephang-", suffix=".wav")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(wav)
            proc = await asyncio.create_subprocess_exec(
                *self.command,
                name,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _, err = await proc.communicate()
            except asyncio.CancelledError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise
            if proc.returncode:
                detail = err.decode(errors="replace").strip()[:200]
                raise AudioUnavailable(
                    f"{Path(self.command[0]).name} exited with {proc.returncode}: {detail}"
                )
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)


@dataclass
class Played:
    """One playback on the `RecordingPlayer`: the WAV, its length and when it ran."""

    wav: bytes
    duration: float  # seconds of audio in the WAV
    started: float  # loop.time()
    ended: float | None = None


@dataclass
class RecordingPlayer:
    """A loudspeaker emulator: as busy as the WAV is long (÷ `speed`), one sound at a time.

    It refuses a second sound while one plays, like the real device would garble
    them; `played` keeps every WAV with its duration and start and end times.
    """

    speed: float = 1.0
    played: list[Played] = field(default_factory=list)
    _playing: bool = False

    async def play(self, wav: bytes) -> None:
        duration = wav_duration(wav)  # also proves it is a complete WAV
        if self._playing:
            raise RuntimeError("two sounds at once: the previous one has not ended")
        loop = asyncio.get_running_loop()
        entry = Played(wav, duration, loop.time())
        self.played.append(entry)
        self._playing = True
        deadline = entry.started + duration / self.speed
        try:
            # Qt's coarse timers (under qasync) may fire a little early: sleep it all out.
            while (left := deadline - loop.time()) > 0:
                await asyncio.sleep(left)
        finally:
            self._playing = False
            entry.ended = loop.time()


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
        self._queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def announce(self, number: str, counter: int) -> None:
        """Queue one call; it is said after those queued before it."""
        self._queue.put_nowait((number, counter))

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
            number, counter = await self._queue.get()
            try:
                announcement = build_call_announcement(
                    number, counter, repeat=self.repeat, options=self.options
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
