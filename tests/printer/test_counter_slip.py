"""Phiếu hẹn and phiếu nhận hồ sơ printed through the virtual printer and read back: the
raster decoded to the rendered pixels, the Code 128 and the QR decoded with zbarimg, the
return date counted across the 30/4–1/5 holidays of the sample site.

Set XEPHANG_SCREENSHOTS=1 to write the printed phiếu hẹn to docs/screenshots/."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from assets import SAMPLE_CONFIG
from printer.config import PrinterConfig
from printer.counter_slip import (
    CounterSlipLayout,
    code128_block,
    counter_slip_blocks,
    encode_counter_slip,
    render_counter_slip,
)
from printer.device import TicketPrinter
from printer.errors import ConfigError
from printer.slip_samples import sample_counter_slip
from printer.virtual import VirtualPrinter
from queue_server.core.siteconfig import load_config
from queue_server.domain.dossiers import return_date
from tests.printer.test_printer_roundtrip import assert_page_shows, zbar
from tests.support import SHOTS

LAYOUT = CounterSlipLayout(qr_url="https://hcc.example.vn/tra-cuu/ho-so?ma={code}")


def zbar_all(path: Path) -> set[str]:
    return set(zbar(path).splitlines())


async def print_slip(tmp_path: Path, slip, width: int, mode: str = "bitImageRaster"):
    async with VirtualPrinter(out_dir=tmp_path / "prints", width=width) as vp:
        config = PrinterConfig.from_dict(
            {
                "connection": "network",
                "host": "127.0.0.1",
                "port": vp.port,
                "width": width,
                "image_mode": mode,
            }
        )
        printer = TicketPrinter(config)
        try:
            await printer.print_job(encode_counter_slip(slip, LAYOUT, config))
            (job,) = await vp.wait_for_jobs(1)
        finally:
            printer.close()
    assert job.path is not None
    return job


@pytest.mark.parametrize(("width", "mode"), [(576, "bitImageRaster"), (384, "graphics")])
async def test_phieu_hen_printed_and_read_back_with_the_return_date_across_a_holiday(
    tmp_path, width, mode
):
    site = load_config(SAMPLE_CONFIG).site
    # received on Friday 24/4/2026, 3 working days: Monday 27/4 is the compensating day
    # off, 30/4 and 1/5 holidays, then the weekend → Monday 4/5
    received = dt.date(2026, 4, 24)
    due = return_date(received, 3, site.holidays)
    assert due == dt.date(2026, 5, 4)
    slip = sample_counter_slip(received_on=received, due_on=due)
    job = await print_slip(tmp_path, slip, width, mode)
    with Image.open(job.path) as png:
        page = png.convert("1")
    assert_page_shows(page, render_counter_slip(slip, LAYOUT, width))
    # the pixels are those of 04/05, not of the date without the holidays (29/04)
    without_holidays = return_date(received, 3)
    assert without_holidays == dt.date(2026, 4, 29)
    wrong = render_counter_slip(
        sample_counter_slip(received_on=received, due_on=without_holidays), LAYOUT, width
    )
    assert page.crop((0, 0, width, wrong.height)).tobytes() != wrong.tobytes()
    assert zbar_all(job.path) == {
        slip.dossier_code,
        "https://hcc.example.vn/tra-cuu/ho-so?ma=BD-261203-0007",
    }
    if os.environ.get("XEPHANG_SCREENSHOTS") and width == 576:
        shutil.copy(job.path, SHOTS / "slip-phieu-hen-80mm.png")


async def test_long_province_code_on_58mm_runs_down_the_paper_and_still_reads(tmp_path):
    code = "000.00.15.H09-261203-0001"  # 288 modules: too long across 384 dots at 2 dots each
    block = code128_block(code, 384, 60)
    assert block.image.height > block.image.width  # rotated, not thinned
    slip = sample_counter_slip(dossier_code=code, kind="phieu_nhan", due_on=None)
    job = await print_slip(tmp_path, slip, 384)
    assert code in zbar_all(job.path)


def test_phieu_nhan_has_no_return_date_and_phieu_hen_needs_one():
    nhan = render_counter_slip(sample_counter_slip(kind="phieu_nhan", due_on=None), LAYOUT, 576)
    hen = render_counter_slip(sample_counter_slip(), LAYOUT, 576)
    assert nhan.height < hen.height
    with pytest.raises(ValueError, match="due_on"):
        sample_counter_slip(due_on=None)


def test_reprint_is_marked_on_paper():
    first = render_counter_slip(sample_counter_slip(), LAYOUT, 576)
    again = render_counter_slip(sample_counter_slip(reprint=True), LAYOUT, 576)
    assert again.height > first.height


def test_layout_from_config_names_the_bad_key():
    layout = CounterSlipLayout.from_dict(
        {"header_lines": ["UBND TỈNH BÌNH DƯƠNG", "SỞ TƯ PHÁP"], "show_english": False}
    )
    assert layout.header_lines[1] == "SỞ TƯ PHÁP" and not layout.show_english
    for table, key in (
        ({"colour": "red"}, "colour"),
        ({"header_lines": "x"}, "header_lines"),
        ({"qr_url": "ftp://x"}, "qr_url"),
        ({"footer": 3}, "footer"),
    ):
        with pytest.raises(ConfigError, match=f"'{key}'"):
            CounterSlipLayout.from_dict(table, "console.toml")


@pytest.mark.parametrize("width", [384, 576])
def test_english_lines_have_at_least_2mm_cap_height(width):
    # capitals only, so a line's ink is exactly its cap height
    caps = dict.fromkeys(
        ("title_phieu_hen_en", "due_label_en", "lookup_text_en", "footer_en"), "HH"
    )
    blocks = counter_slip_blocks(sample_counter_slip(), CounterSlipLayout(**caps), width)
    english = [b for b in blocks if b.name.endswith("_en")]
    assert len(english) == 4
    for block in english:
        box = ImageChops.invert(block.image.convert("L")).getbbox()
        assert box is not None and box[3] - box[1] >= 16, block.name  # 2 mm at 8 dots/mm
