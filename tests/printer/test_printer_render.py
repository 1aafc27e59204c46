"""Ticket rendering: golden images, Vietnamese text, wrapping, sizes.

Regenerate the golden PNGs after an intended layout change with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/printer/test_printer_render.py`, then look at them.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer.draw import font, wrap
from printer.render import render_ticket, ticket_blocks
from printer.samples import ALL_TONED_VOWELS, LONG_SERVICE, sample_slip
from printer.ticket import SlipLayout

GOLDEN = Path(__file__).parent / "printer_golden"
LAYOUT = SlipLayout(header_lines=("UBND TỈNH BÌNH DƯƠNG",))


def assert_golden(img: Image.Image, name: str, tmp_path: Path, update: bool = True) -> None:
    """Exact pixel comparison with tests/printer_golden/<name>.png."""
    path = GOLDEN / f"{name}.png"
    if update and os.environ.get("UPDATE_GOLDEN") == "1":
        img.save(path, optimize=True)
    assert path.exists(), f"{path} missing; run with UPDATE_GOLDEN=1 and look at it"
    with Image.open(path) as golden:
        expected = golden.convert("1")
    assert img.mode == "1"
    if img.size != expected.size or img.tobytes() != expected.tobytes():
        actual = tmp_path / f"{name}-actual.png"
        img.save(actual)
        diff = (
            ImageChops.difference(img.convert("L"), expected.convert("L")).getbbox()
            if img.size == expected.size
            else f"size {img.size} != {expected.size}"
        )
        pytest.fail(f"{name} differs from golden (region {diff}); actual saved at {actual}")


@pytest.mark.parametrize("width", [384, 576])
def test_ticket_matches_golden(width: int, tmp_path: Path) -> None:
    assert_golden(render_ticket(sample_slip(), LAYOUT, width), f"ticket-{width}", tmp_path)


@pytest.mark.parametrize("width", [384, 576])
def test_all_vowels_with_all_tones_match_golden(width: int, tmp_path: Path) -> None:
    slip = sample_slip(service_name=ALL_TONED_VOWELS, priority_group="Đ đ – Ưu tiên")
    assert_golden(render_ticket(slip, LAYOUT, width), f"vowels-{width}", tmp_path)


def test_golden_comparison_notices_a_one_pixel_change(tmp_path: Path) -> None:
    img = render_ticket(sample_slip(), LAYOUT, 384)
    img.putpixel((200, 5), 255 if img.getpixel((200, 5)) == 0 else 0)
    with pytest.raises(pytest.fail.Exception, match="differs from golden"):
        assert_golden(img, "ticket-384", tmp_path, update=False)


def test_decomposed_input_renders_like_composed() -> None:
    composed = sample_slip(service_name=LONG_SERVICE, centre_name="Trung tâm Bình Dương")
    decomposed = sample_slip(
        service_name=unicodedata.normalize("NFD", LONG_SERVICE),
        centre_name=unicodedata.normalize("NFD", "Trung tâm Bình Dương"),
    )
    assert (
        render_ticket(composed, LAYOUT, 576).tobytes()
        == render_ticket(decomposed, LAYOUT, 576).tobytes()
    )


@pytest.mark.parametrize("width", [384, 512, 576])
def test_widths_and_band_aligned_height(width: int) -> None:
    img = render_ticket(sample_slip(), LAYOUT, width)
    assert img.mode == "1" and img.width == width and img.height % 24 == 0


def ink_height(img: Image.Image) -> int:
    box = ImageChops.invert(img.convert("L")).getbbox()
    assert box is not None
    return box[3] - box[1]


@pytest.mark.parametrize("number", ["A015", "1024", "B999"])
def test_number_is_at_least_15_mm_tall_on_80_mm_paper(number: str) -> None:
    blocks = ticket_blocks(sample_slip(number=number), LAYOUT, 576)
    (block,) = [b for b in blocks if b.name == "number"]
    assert block.text == number
    assert ink_height(block.image) >= 120  # 8 dots/mm


def test_long_single_word_wraps_without_losing_characters() -> None:
    word = "Giấychứngnhậnquyềnsửdụngđấtquyềnsởhữunhàởvàtàisảnkhácgắnliềnvớiđất"
    fnt = font(LAYOUT.font_bold, 32)
    lines = wrap(word, fnt, 360)
    assert len(lines) > 1
    assert "".join(lines) == unicodedata.normalize("NFC", word)
    assert all(fnt.getlength(line) <= 360 for line in lines)


@pytest.mark.parametrize("width", [384, 576])
def test_long_service_name_wraps_and_nothing_touches_the_edges(width: int) -> None:
    long_name = LONG_SERVICE + " " + "Đăngkýkhaisinhkếthônkhaitửnhậnchanhậnmẹnhậncon" * 2
    blocks = ticket_blocks(sample_slip(service_name=long_name), LAYOUT, width)
    (service,) = [b for b in blocks if b.name == "service"]
    box = ImageChops.invert(service.image.convert("L")).getbbox()
    assert box is not None and box[0] >= LAYOUT.margin_dots // 2
    assert box[2] <= width - LAYOUT.margin_dots // 2
    one_line = ticket_blocks(sample_slip(service_name="Hộ tịch"), LAYOUT, width)
    assert service.image.height >= 4 * [b for b in one_line if b.name == "service"][0].image.height


def test_text_comes_from_the_layout() -> None:
    plain = render_ticket(sample_slip(), LAYOUT, 576)
    no_qr = render_ticket(sample_slip(), SlipLayout(show_qr=False), 576)
    footer = ticket_blocks(sample_slip(), SlipLayout(footer="Xin cảm ơn"), 576)
    assert no_qr.height < plain.height - 150
    assert "footer" in {b.name for b in footer}
    assert "qr" not in {
        b.name for b in ticket_blocks(sample_slip(), SlipLayout(show_qr=False), 576)
    }
    english = {b.name for b in ticket_blocks(sample_slip(), SlipLayout(show_english=False), 576)}
    assert not any(name.endswith("_en") for name in english)


def test_logo_is_drawn_when_configured(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("L", (300, 100), 0).save(logo)
    blocks = ticket_blocks(sample_slip(), SlipLayout(logo_path=str(logo)), 576)
    (block,) = [b for b in blocks if b.name == "logo"]
    assert ink_height(block.image) == block.image.height


def test_naive_datetime_is_rejected() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        sample_slip(issued_at=datetime(2026, 1, 1, 8, 0))


@pytest.mark.parametrize("number", ["B0015", "10015", "AB999"])
def test_five_character_number_is_at_least_12_mm_tall_on_58_mm_paper(number: str) -> None:
    """Issue 12: at 384 dots five characters at full height are wider than the paper;
    they are drawn narrower, not smaller."""
    blocks = ticket_blocks(sample_slip(number=number), LAYOUT, 384)
    (block,) = [b for b in blocks if b.name == "number"]
    box = ImageChops.invert(block.image.convert("L")).getbbox()
    assert box is not None
    assert box[3] - box[1] >= 96  # 12 mm at 8 dots/mm
    assert box[0] >= 0 and box[2] <= 384  # and nothing cut at the edges


@pytest.mark.parametrize("width", [384, 576])
def test_english_lines_have_at_least_2_mm_cap_height(width: int) -> None:
    # capitals only, so each English line's ink is its cap height
    caps = {
        f"{key}_en": "HH"
        for key in ("title", "waiting_text", "wait_text", "issued_text", "qr_caption", "footer")
    }
    layout = SlipLayout(**caps, priority_text_en="HH")
    english = [b for b in ticket_blocks(sample_slip(), layout, width) if b.name.endswith("_en")]
    assert len(english) == 7
    for block in english:
        box = ImageChops.invert(block.image.convert("L")).getbbox()
        assert box is not None and box[3] - box[1] >= 16, block.name  # 2 mm
