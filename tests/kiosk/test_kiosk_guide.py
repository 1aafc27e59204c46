"""The kiosk's "Tra cứu thủ tục" (issue 16), real Qt widgets offscreen on qasync against
the real server and the virtual printer: type as a citizen does, open a guide, print
it (the raster read back, its QR decoded with zbarimg), take a number for it.

Set KIOSK_SCREENSHOTS=1 (or XEPHANG_SCREENSHOTS=1) to keep the screens and the printed
guide in docs/screenshots.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from PIL import Image

from kiosk.guide import guide_slip
from kiosk.model import Page
from printer.guide_slip import render_guide
from printer.virtual import VirtualPrinter
from tests.kiosk.test_kiosk_ui import (  # noqa: F401 - run_kiosk is a fixture
    LANDSCAPE,
    grab,
    laid_out,
    run_kiosk,
    shown,
    tap,
    type_on_screen,
)
from tests.printer.test_printer_roundtrip import assert_page_shows, zbar
from tests.support import SHOTS
from tests.support.waiting import until

MARRIAGE_CODE = "1.000894"  # Đăng ký kết hôn, received by the service "ket-hon"


def keep() -> bool:
    return any(os.environ.get(k) for k in ("KIOSK_SCREENSHOTS", "XEPHANG_SCREENSHOTS"))


async def shoot(window, name: str, tmp_path: Path) -> None:
    await laid_out(window)
    await grab(window, name, SHOTS if keep() else tmp_path)


def test_look_up_print_the_guide_and_take_a_number(run_kiosk, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(window, model, server, vp: VirtualPrinter) -> None:
        procedure = server.server.procedures[MARRIAGE_CODE]
        assert window.home.guide.text() == "Tra cứu thủ tục"
        tap(window.home.guide)
        assert shown(window) is window.guides
        assert window.guides.title.text().startswith("Tra cứu thủ tục")
        # typed the Telex way on the screen keyboard, no marks
        type_on_screen(window.guides.keyboard, "keets hoon")
        await until(lambda: window.guides.codes[:1] == [MARRIAGE_CODE], what="results")
        first = window.guides.grid.tiles[0]
        assert first.title.text() == "Đăng ký kết hôn"
        assert "Hộ tịch" in first.detail.text() and "trong ngày" in first.detail.text()
        await shoot(window, "guide-search-portrait", tmp_path)

        tap(first)
        page = window.guide
        assert shown(window) is page and page.title.text() == procedure.name
        text = page.text.text()
        for document in procedure.documents:
            assert document.name.split(" (")[0] in text
        assert "Thời hạn giải quyết" in text and "Miễn phí" in text
        assert page.scroller.widget() is page.text  # long guides scroll
        await shoot(window, "guide-portrait", tmp_path)

        # ----- "In hướng dẫn": the checklist on paper, with the QR to the guide online
        frozen = model.clock()
        model.clock = lambda: frozen  # the minute printed on the guide, known
        tap(page.print)
        await until(lambda: model.guide_print == "printed", what="guide printed")
        (job,) = await vp.wait_for_jobs(1)
        assert job.path is not None
        assert page.status.isVisible() and "Đã in hướng dẫn" in page.status.text()
        url = f"{server.server.config.messaging.public_url}/tra-cuu/thu-tuc/{MARRIAGE_CODE}"
        assert zbar(job.path) == url  # the site's public address, not the kiosk's
        view = next(p for p in model.guide_results() if p["code"] == MARRIAGE_CODE)
        now = dt.datetime.fromtimestamp(frozen, model.settings.tz)
        expected = guide_slip(view, model.site_name, url, "vi", now)
        with Image.open(job.path) as png:
            assert_page_shows(png.convert("1"), render_guide(expected, vp.width))
        if keep():
            shutil.copy(job.path, SHOTS / "guide-printed-80mm.png")

        # ----- "Lấy số cho thủ tục này": straight to a ticket for the right service
        assert page.take.isEnabled()
        tap(page.take)
        await until(lambda: model.screen is Page.TICKET, what="ticket shown")
        assert [t.service for t in server.tickets()] == [procedure.service] == ["ket-hon"]
        assert model.ticket is not None and model.ticket.service.id == "ket-hon"
        await vp.wait_for_jobs(2)

    run_kiosk(scenario)


def test_guide_screens_in_english_and_landscape_and_a_printer_out_of_paper(
    run_kiosk,  # noqa: F811
    tmp_path: Path,
) -> None:
    async def scenario(window, model, server, vp: VirtualPrinter) -> None:
        tap(window.language)
        tap(window.home.guide)
        type_on_screen(window.guides.keyboard, "driving licence")
        await until(lambda: bool(window.guides.codes), what="results")
        assert window.guides.grid.tiles[0].title.text() == "Exchange of a driving licence"
        await shoot(window, "guide-search-landscape-en", tmp_path)
        tap(window.guides.grid.tiles[0])
        assert "Papers to bring" in window.guide.text.text()
        await shoot(window, "guide-landscape-en", tmp_path)

        vp.set_state(paper="out")  # found out by the print itself: refused, said plainly
        tap(window.guide.print)
        await until(lambda: model.guide_print == "failed", what="print refused")
        assert "could not be printed" in window.guide.status.text()
        assert vp.jobs == []
        assert shown(window) is window.guide  # still on the guide

        # nothing found: a plain sentence
        tap(window.guide.back)
        tap(window.guides.keyboard.clear)
        type_on_screen(window.guides.keyboard, "qqqzzx")
        await until(lambda: "No matching" in window.guides.status.text(), what="none")

    # the printer is asked only when printing: the paper runs out under the guide page
    run_kiosk(scenario, size=LANDSCAPE, printer_poll_seconds=3600)


def test_the_service_search_is_the_servers(run_kiosk) -> None:  # noqa: F811
    """Issue 12: the "Tìm thủ tục" page finds by everyday words, VNI and whole words
    (before, "so do" found nothing and "ket hon" also offered the information desk)."""

    async def scenario(window, model, server, vp: VirtualPrinter) -> None:
        tap(window.home.search)
        page = window.search

        async def typed(text: str) -> list[str]:
            tap(page.keyboard.clear)
            type_on_screen(page.keyboard, text)
            await until(lambda: model.lookup.answer(model.query) is not None, what=text)
            return page.list.ids

        assert (await typed("so do"))[:1] == ["cap-giay-chung-nhan"]
        assert (await typed("ho5 ti5ch"))[:1] == ["khai-sinh-khai-tu"]
        found = await typed("ket hon ")
        assert found[:1] == ["ket-hon"] and "huong-dan-chung" not in found
        assert (await typed("khai sinhh"))[:1] == ["khai-sinh-khai-tu"]
        tap(page.list.grid.tiles[0])  # and a tap still takes the ticket
        await until(lambda: model.screen is Page.TICKET, what="ticket")
        assert [t.service for t in server.tickets()] == ["khai-sinh-khai-tu"]

    run_kiosk(scenario)
