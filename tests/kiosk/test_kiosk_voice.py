"""Spoken guidance at the kiosk (issue 20): the screen's prompt from the committed clips,
one at a time (a new screen cuts the last prompt, a tap cuts it), never two sounds at
once; no sound device: logged once, the kiosk goes on. Real server, virtual printer,
the test loudspeaker (`RecordingPlayer`: as busy as the sound is long)."""

from __future__ import annotations

import logging
from itertools import pairwise

import pytest

from announce import join_clips, wav_duration
from announce.player import CommandPlayer, RecordingPlayer
from kiosk.model import Page
from kiosk.voice import PHRASES, VoiceGuide, prompt_clips
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def speaking(server, vp):
    """A kiosk whose voice plays on the test loudspeaker: (model, speaker)."""
    async with running_kiosk(server.base, vp) as model:
        speaker = RecordingPlayer()
        model.guide = VoiceGuide(speaker)
        yield model, speaker


def test_every_prompt_is_made_of_committed_clips():
    for page in Page:
        clips = prompt_clips(page.value, "D015", paperless=False)
        if clips:
            assert wav_duration(join_clips(clips)) > 0.5, page
    assert set(PHRASES.values()) <= {c for p in Page for c in prompt_clips(p.value, "A1")} | {
        PHRASES["photograph"]
    }
    ticket = prompt_clips("ticket", "D015")
    assert ticket[0] == PHRASES["your_number"] and "dê" in ticket
    assert ticket.index("mười") + 1 == ticket.index("lăm")  # D, mười lăm
    assert prompt_clips("ticket", "D015", paperless=True)[-1] == PHRASES["photograph"]


def no_overlap(speaker: RecordingPlayer) -> bool:
    spans = [(p.started, p.ended) for p in speaker.played]
    return all(end is not None and end <= nxt for (_, end), (nxt, _) in pairwise(spans))


async def test_prompts_follow_the_screens_without_overlap_and_a_tap_cuts(speaking):
    model, speaker = speaking
    model.toggle_voice()
    assert model.guide.speaking and model.guide.spoken[-1] == [PHRASES["home"]]
    await until(lambda: len(speaker.played) == 1, what="the home prompt playing")
    model.open_sector("ho-tich")  # a new screen cuts the home prompt
    assert model.guide.spoken[-1] == [PHRASES["sector"]]
    await until(lambda: len(speaker.played) == 2, what="the second prompt playing")
    first = speaker.played[0]
    assert first.ended is not None and first.ended - first.started < first.duration
    model.touch()  # a tap: silence at once
    assert not model.guide.speaking
    await until(lambda: speaker.played[-1].ended is not None, what="the sound stopped")
    await model.take_ticket(BIRTH)
    assert model.screen is Page.TICKET and model.ticket is not None
    assert model.guide.spoken[-1][0] == PHRASES["your_number"]
    await until(lambda: not model.guide.speaking, what="the number read to the end")
    last = speaker.played[-1]
    assert last.ended is not None and last.ended - last.started >= last.duration * 0.95
    assert no_overlap(speaker)
    model._on_idle()  # the next citizen: the voice is off again
    assert not model.voice and not model.guide.speaking


async def test_voice_off_says_nothing(speaking):
    model, speaker = speaking
    model.open_sector("ho-tich")
    await model.take_ticket(BIRTH)
    assert model.guide.spoken == [] and speaker.played == []


async def test_no_sound_device_is_logged_once_and_the_kiosk_goes_on(
    speaking, caplog: pytest.LogCaptureFixture
):
    model, _speaker = speaking
    model.guide = VoiceGuide(CommandPlayer(path="/nonexistent"))
    caplog.set_level(logging.WARNING, logger="kiosk.voice")
    model.toggle_voice()
    await until(lambda: bool(model.guide.unavailable), what="no device found")
    model.open_sector("ho-tich")
    model.open_search()
    warnings = [r for r in caplog.records if "spoken guidance off" in r.getMessage()]
    assert len(warnings) == 1 and model.screen is Page.SEARCH
