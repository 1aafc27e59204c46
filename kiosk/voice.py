"""Spoken guidance at the kiosk (issue 20): what each screen asks, said aloud from the
same recorded clips as the hall's calls (`assets/voice/vi`, generated offline by
scripts/make_voice_clips.py, replaceable by recordings under the same names).

Pure asyncio, no Qt. `prompt_clips` says which clips a screen speaks; `VoiceGuide`
plays one prompt at a time: a new prompt cuts the one playing (never two at once), a
tap cuts it (`stop`), and a kiosk without a sound device logs that once and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from announce import DEFAULT_VOICE_DIR, VoiceError, join_clips, read_ticket, silence
from announce.player import AudioUnavailable, Player
from vntext import nfc

log = logging.getLogger(__name__)

# Each phrase is one clip (its token is the text; see the voice's manifest.toml);
# "ông bà" as it is said (the screen writes Ông/Bà).
PHRASES: dict[str, str] = {
    key: nfc(text)
    for key, text in {
        "home": "Mời ông bà chọn lĩnh vực cần làm thủ tục",
        "sector": "Mời ông bà chạm vào thủ tục để lấy số",
        "search": "Mời ông bà gõ tên thủ tục trên bàn phím",
        "priority": "Mời ông bà chọn nhóm ưu tiên",
        "booking": "Mời ông bà nhập mã đặt lịch hoặc quét mã QR",
        "card": "Đã đọc thẻ căn cước, mời ông bà chọn trên màn hình",
        "your_number": "Số của ông bà là",
        "take_slip": "vui lòng nhận phiếu và chờ gọi số",
        "photograph": "vui lòng chụp mã QR trên màn hình và chờ gọi số",
        "out_of_service": "Máy tạm dừng, xin ông bà vui lòng hỏi quầy hướng dẫn",
    }.items()
}


def prompt_clips(screen: str, number: str | None = None, paperless: bool = False) -> list[str]:
    """The clips `screen` (a `Page` value) speaks; none for a screen that says nothing
    (printing: a moment; the SMS step and the notices: read on screen)."""
    if screen == "ticket" and number:
        reading = read_ticket(number)
        gap = silence(150)
        number_clips = [c for group in reading.groups for c in (*group, gap)]
        end = PHRASES["photograph" if paperless else "take_slip"]
        return [PHRASES["your_number"], gap, *number_clips, end]
    phrase = PHRASES.get(screen)
    return [phrase] if phrase else []


class VoiceGuide:
    """One prompt at a time through `player`; cut by the next prompt or by `stop`."""

    def __init__(self, player: Player, voice_dir: Path | str = DEFAULT_VOICE_DIR) -> None:
        self.player = player
        self.voice_dir = voice_dir
        self.spoken: list[list[str]] = []  # every prompt started, in order (for tests)
        self.unavailable = ""  # why there is no sound (logged once)
        self._task: asyncio.Task[None] | None = None

    @property
    def speaking(self) -> bool:
        return self._task is not None and not self._task.done()

    def say(self, clips: list[str]) -> None:
        """Cut what is playing and say `clips`."""
        self.stop()
        if not clips or self.unavailable:
            return
        self.spoken.append(clips)
        self._task = asyncio.get_running_loop().create_task(self._play(clips))

    def stop(self) -> None:
        """A tap: silence now."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _play(self, clips: list[str]) -> None:
        try:
            wav = join_clips(clips, self.voice_dir, gap_ms=40)
            await self.player.play(wav)
        except (AudioUnavailable, VoiceError) as exc:
            self.unavailable = str(exc)
            log.warning("spoken guidance off: %s", exc)  # once: no later prompt is tried
