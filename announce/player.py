"""Playing complete WAV files, one at a time: what the hall and the kiosk's spoken
guidance share (moved here from counter_display/audio.py for issue 20).

A `Player` is anything with `async play(wav)` that returns when the sound has ended;
cancelling the call stops the sound. `CommandPlayer` hands the WAV to a system player
found on PATH (`paplay`, `pw-play`, `aplay`) so no audio library is needed;
`RecordingPlayer` is the loudspeaker of the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from announce.builder import wav_duration

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
