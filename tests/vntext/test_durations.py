"""Durations in words: never "0:14", which reads as minutes or seconds."""

from __future__ import annotations

import pytest

from vntext.durations import minutes_text


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (None, "–", "–"),
        (-5, "dưới 1 phút", "under 1 min"),
        (59, "dưới 1 phút", "under 1 min"),
        (14 * 60 + 59, "14 phút", "14 min"),
        (60 * 60, "1 giờ 00 phút", "1 h 00 min"),
        (65 * 60, "1 giờ 05 phút", "1 h 05 min"),
        (2 * 3600 + 30 * 60, "2 giờ 30 phút", "2 h 30 min"),
    ],
)
def test_minutes_in_words(seconds, vi, en):
    assert minutes_text(seconds) == vi
    assert minutes_text(seconds, "en") == en
