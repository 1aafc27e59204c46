"""Render → python-escpos → bytes → decoder (or a real TCP virtual printer) → same pixels."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer import _escpos
from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.encode import encode_ticket
from printer.escpos_decode import DecodedJob, decode
from printer.render import render_ticket, ticket_blocks
from printer.samples import sample_slip
from printer.ticket import SlipLayout
from printer.virtual import VirtualPrinter
from tests.support import SHOTS

MODES = ["bitImageRaster", "bitImageColumn", "graphics"]
LAYOUT = SlipLayout()
SCREENSHOT = SHOTS / "ticket-80mm.png"


def assert_page_shows(page: Image.Image, render: Image.Image) -> None:
    """The paper starts with exactly the rendered ticket and is blank after it (feed)."""
    assert page.width == render.width and page.height >= render.height
    top = page.crop((0, 0, render.width, render.height))
    assert top.tobytes() == render.tobytes(), ImageChops.difference(
        top.convert("L"), render.convert("L")
    ).getbbox()
    rest = page.crop((0, render.height, page.width, page.height)).convert("L")
    assert ImageChops.invert(rest).getbbox() is None


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("mode", MODES)
def test_dummy_bytes_decode_to_the_rendered_pixels(mode: str, width: int) -> None:
    render = render_ticket(sample_slip(), LAYOUT, width)
    printer = _escpos.dummy("default", width)
    printer.image(render, impl=mode, fragment_height=240)
    printer.cut()
    jobs, _ = decode(printer.output, width)
    assert len(jobs) == 1 and jobs[0].cut == "full"
    assert_page_shows(jobs[0].page, render)
    assert {i.command for i in jobs[0].images} == {
        "bitImageRaster": {"GS v 0"},
        "bitImageColumn": {"ESC *"},
        "graphics": {"GS ( L"},
    }[mode]


@pytest.mark.parametrize("mode", MODES)
def test_encoded_ticket_decodes_to_the_rendered_pixels(mode: str) -> None:
    config = PrinterConfig(width=512, image_mode=mode, cut="partial")
    jobs, _ = decode(encode_ticket(sample_slip(), LAYOUT, config), 512)
    assert [j.cut for j in jobs] == ["partial"]
    assert_page_shows(jobs[0].page, render_ticket(sample_slip(), LAYOUT, 512))


@pytest.mark.parametrize("mode", MODES)
def test_hybrid_prints_the_number_as_big_printer_text(mode: str) -> None:
    config = PrinterConfig(width=576, image_mode=mode, hybrid=True, hybrid_text_size=4)
    data = encode_ticket(sample_slip(number="B042"), LAYOUT, config)
    (job,) = decode(data, 576)[0]
    (run,) = job.texts
    assert run.text == "B042" and run.align == "center"
    assert run.width_mult == run.height_mult == 4
    assert len(job.images) >= 5  # the Vietnamese lines travel as image strips
    assert job.images[-1].command in ("GS v 0", "ESC *", "GS ( L")  # the footer, after the QR
    assert "GS ( k" in {i.command for i in job.images}  # native QR code
    full_page = render_ticket(sample_slip(number="B042"), LAYOUT, 576)
    assert ink_bottom(job.page) > 0.9 * ink_bottom(full_page)
    full = encode_ticket(sample_slip(number="B042"), LAYOUT, PrinterConfig(image_mode=mode))
    assert len(data) < len(full) * 0.6
    assert b"B042" in data


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("mode", MODES)
def test_hybrid_strips_are_the_rendered_lines(mode: str, width: int) -> None:
    """Every line but the number reaches paper pixel for pixel; raster and graphics modes
    keep exact positions, column mode may pad a strip group to whole 24-dot bands."""
    slip, size = sample_slip(), 4
    blocks = ticket_blocks(slip, LAYOUT, width)
    config = PrinterConfig(width=width, image_mode=mode, hybrid=True, hybrid_text_size=size)
    (job,), _ = decode(encode_ticket(slip, LAYOUT, config), width)
    y, shift = 0, 0
    for block in blocks:
        h = block.image.height
        if block.name == "number":
            shift += 24 * size - h
        elif block.name not in ("gap", "rule"):
            expected = y + shift
            slack = range(0, 24) if mode == "bitImageColumn" else range(1)
            found = [
                d
                for d in slack
                if job.page.crop((0, expected + d, width, expected + d + h)).tobytes()
                == block.image.tobytes()
            ]
            assert found, f"{block.name} not on paper near y={expected}"
            shift += found[0]
        y += h


def ink_bottom(img: Image.Image) -> int:
    box = ImageChops.invert(img.convert("L")).getbbox()
    assert box is not None
    return box[3]


def zbar(path: Path) -> str:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (Debian zbar-tools) not installed")
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return done.stdout.strip()


async def print_over_tcp(tmp_path: Path, config: dict, width: int = 576) -> DecodedJob:
    async with VirtualPrinter(out_dir=tmp_path, width=width) as vp:
        cfg = PrinterConfig.from_dict(
            {
                "connection": "network",
                "host": "127.0.0.1",
                "port": vp.port,
                "width": width,
                "timeout": 5,
                **config,
            }
        )
        printer = TicketPrinter(cfg)
        await printer.print_ticket(sample_slip(), LAYOUT)
        (job,) = await vp.wait_for_jobs(1)
        printer.close()
    assert job.path is not None and job.path.exists()
    return job


@pytest.mark.parametrize("mode", MODES)
async def test_ticket_printer_over_tcp_writes_the_rendered_ticket(
    mode: str, tmp_path: Path
) -> None:
    job = await print_over_tcp(tmp_path, {"image_mode": mode})
    with Image.open(job.path) as png:
        assert_page_shows(png.convert("1"), render_ticket(sample_slip(), LAYOUT, 576))
    assert zbar(job.path) == sample_slip().tracking_url


async def test_escpos_network_printer_to_virtual_printer(tmp_path: Path) -> None:
    render = render_ticket(sample_slip(), LAYOUT, 384)
    async with VirtualPrinter(out_dir=tmp_path, width=384) as vp:
        net = _escpos.module().Network("127.0.0.1", vp.port, timeout=5)

        def send() -> None:
            net.open()
            net.image(render, impl="graphics", fragment_height=240)
            net.cut()
            net.close()

        await asyncio.to_thread(send)
        (job,) = await vp.wait_for_jobs(1)
    with Image.open(job.path) as png:
        assert_page_shows(png.convert("1"), render)


async def test_screenshot_of_a_printed_80mm_ticket(tmp_path: Path) -> None:
    """docs/screenshots/ticket-80mm.png is what the virtual printer printed (UPDATE_GOLDEN=1)."""
    job = await print_over_tcp(tmp_path, {"image_mode": "bitImageRaster"})
    if os.environ.get("UPDATE_GOLDEN") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(job.path, SCREENSHOT)
    with Image.open(SCREENSHOT) as shot, Image.open(job.path) as png:
        assert shot.convert("1").tobytes() == png.convert("1").tobytes()
    assert zbar(SCREENSHOT) == sample_slip().tracking_url


async def test_hybrid_over_tcp_still_has_a_readable_qr(tmp_path: Path) -> None:
    job = await print_over_tcp(tmp_path, {"hybrid": True}, width=384)
    assert [t.text for t in job.decoded.texts] == ["A015"]
    assert zbar(job.path) == sample_slip().tracking_url
