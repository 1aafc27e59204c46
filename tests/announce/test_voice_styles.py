"""The site's voice style (`[hall] voice`): the regional words FIELD-NOTES names, and a
counter's zone in the announcement's text but not in its clips."""

from __future__ import annotations

from announce import (
    VOICE_STYLES,
    build_call_announcement,
    read_number,
    style_options,
    style_words,
)
from announce.numbers import ReadingOptions
from queue_server.domain.config import VOICE_STYLES as CONFIG_STYLES


def said(number: int, style: str) -> str:
    return " ".join(read_number(number, style_options(style)))


def test_northern_and_southern_readings():
    assert said(105, "bac") == "một trăm linh năm"
    assert said(105, "nam") == "một trăm lẻ năm"
    assert said(1005, "bac") == "một nghìn không trăm linh năm"
    assert said(1005, "nam") == "một ngàn không trăm lẻ năm"
    # FIELD-NOTES: 24 "hai mươi tư (or bốn; option)" is a centre's choice, not a region's
    assert said(24, "bac") == said(24, "nam") == "hai mươi tư"
    assert style_words("nam") == ("lẻ", "ngàn") and style_words("bac") == ("linh", "nghìn")


def test_a_style_keeps_the_halls_own_choices():
    digits = style_options("nam", ReadingOptions(mode="digits", four="bốn"))
    assert (digits.mode, digits.four, digits.zero_tens) == ("digits", "bốn", "lẻ")


def test_the_validator_and_the_reader_know_the_same_styles():
    assert set(CONFIG_STYLES) == set(VOICE_STYLES)


def test_the_zone_ends_the_text_and_caption_and_is_not_spoken():
    plain = build_call_announcement("1005", 21, repeat=1, options=style_options("nam"))
    placed = build_call_announcement("1005", 21, repeat=1, style="nam", zone="Tầng 2")
    assert placed.clips == plain.clips
    assert placed.caption == "Mời công dân có số 1005 đến quầy số 21, Tầng 2"
    assert placed.text.endswith("đến quầy số hai mươi mốt, Tầng 2.")
    assert "một ngàn không trăm lẻ năm" in placed.text
