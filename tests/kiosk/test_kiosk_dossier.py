"""The kiosk's "Tra cứu hồ sơ" against the real server (Qt offscreen): the slip's QR
scanned, the digits on the number pad, the state shown, a ticket for the result-return
service; a wrong pair refused without saying which part; the province system timing
out → "Vui lòng thử lại sau", no hang.

Set XEPHANG_SCREENSHOTS=1 to write the page to docs/screenshots/kiosk-dossier.png.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from PySide6.QtCore import Qt

from kiosk.dossier import DossierLookup, code_from_scan, is_dossier_scan
from kiosk.dossier_page import DossierPage
from kiosk.style import load_fonts
from printer.virtual import VirtualPrinter
from queue_server.domain.dossier_config import parse_dossier_config
from queue_server.dossiers.standin import ProvinceDossierSystem
from tests.server.test_dossier_pages import READY, RESULT_SERVICE, builtin, seeded
from tests.support.kiosk import running_kiosk
from tests.support.qt import run_scenario, save_shot
from tests.support.servers import InProcessServer
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)


def test_code_from_scan_reads_the_barcode_and_the_qr_link():
    assert code_from_scan("BD-261203-0007\r") == "BD-261203-0007"
    link = "https://hcc.example.vn/tra-cuu/ho-so?ma=000.00.15.H09-261203-0001"
    assert code_from_scan(link) == "000.00.15.H09-261203-0001"
    assert code_from_scan("bd-261203-0007") == "BD-261203-0007"


def test_ready_dossier_looked_up_and_a_ticket_taken_for_the_result(qapp, qtbot, tmp_path):
    load_fonts(qapp)

    async def scenario():
        async with (
            InProcessServer(tmp_path / "q.db", dossiers=builtin()) as server,
            VirtualPrinter(out_dir=tmp_path / "prints", width=576) as vp,
            running_kiosk(server.base, vp) as model,
        ):
            await seeded(server, READY)
            lookup = DossierLookup(model)
            page = DossierPage(lookup, back=lambda: None)
            lookup.listeners.append(page.refresh)  # in the kiosk, the window refreshes it
            qtbot.addWidget(page)
            page.resize(1080, 1100)
            page.show()
            lookup.scanned(f"http://127.0.0.1/tra-cuu/ho-so?ma={READY.code}")
            assert page.code.text() == READY.code
            for digit in "5679":  # one digit wrong
                qtbot.mouseClick(page.pad.keys[digit], Qt.MouseButton.LeftButton)
            qtbot.mouseClick(page.submit, Qt.MouseButton.LeftButton)
            await until(lambda: lookup.refusal is not None, what="the refusal")
            assert lookup.refusal.startswith("Không tìm thấy hồ sơ với mã và số điện thoại này")
            assert page.pickup.isHidden()
            qtbot.mouseClick(page.pad.delete, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(page.pad.keys["8"], Qt.MouseButton.LeftButton)
            qtbot.mouseClick(page.submit, Qt.MouseButton.LeftButton)
            await until(lambda: lookup.result is not None, what="the answer")
            assert page.status.text() == "Đã có kết quả, mời Ông/Bà đến nhận"
            assert page.due.text() == f"Ngày hẹn trả kết quả: {READY.due_on:%d/%m/%Y}"
            assert not page.pickup.isHidden()
            assert "Lấy số nhận kết quả" in page.pickup.text()
            save_shot(page, "kiosk-dossier.png", tmp_path)
            qtbot.mouseClick(page.pickup, Qt.MouseButton.LeftButton)
            await until(lambda: server.tickets(RESULT_SERVICE), what="a ticket for the result")
            await vp.wait_for_jobs(1)  # and printed
            model.language = "en"
            page.refresh()
            assert page.status.text() == "The result is ready for pickup"

    run_scenario(scenario(), timeout=75)


def test_province_system_timing_out_says_try_again_later(qapp, tmp_path):
    async def scenario():
        province = ProvinceDossierSystem(hang_times=1)
        province.add(
            MaHoSo="HS-0001",
            SoDienThoai="0987654321",
            TrangThai="DANG_XU_LY",
            NgayTiepNhan="01/12/2026",
            NgayHenTra=f"{dt.date.today() + dt.timedelta(days=5):%d/%m/%Y}",
            DonViXuLy="Sở Tư pháp",
        )
        await province.start()
        config = parse_dossier_config(province.config(timeout_seconds=0.5, cache_seconds=0))
        try:
            async with (
                InProcessServer(tmp_path / "q.db", dossiers=config) as server,
                VirtualPrinter(out_dir=tmp_path / "prints", width=576) as vp,
                running_kiosk(server.base, vp) as model,
            ):
                lookup = DossierLookup(model)
                lookup.set_code("HS-0001")
                lookup.set_phone4("4321")
                # the guard is far above the server's own 0.5 s: it only catches a hang
                await asyncio.wait_for(lookup.ask(), 10)
                assert lookup.refusal == "Hệ thống tra cứu hồ sơ đang bận. Vui lòng thử lại sau."
                await lookup.ask()
                assert lookup.result is not None and lookup.refusal is None
                assert lookup.status_text().startswith("Đang giải quyết tại Sở Tư pháp")
        finally:
            await province.close()

    run_scenario(scenario(), timeout=75)


def test_scanner_tells_a_slip_from_a_booking():
    assert is_dossier_scan("BD-261203-0007")
    assert is_dossier_scan("000.00.15.H09-261203-0001")
    assert is_dossier_scan("https://hcc.example.vn/tra-cuu/ho-so?ma=BD-261203-0007")
    assert not is_dossier_scan("K7M2-QX9P")  # a booking code
    assert not is_dossier_scan("https://hcc.example.vn/t/A015-7F3K")


def test_slip_scanned_on_the_home_screen_opens_its_dossier(qapp, tmp_path):
    from PySide6.QtTest import QTest

    from kiosk.model import Page
    from kiosk.window import KioskWindow

    load_fonts(qapp)
    qapp.setQuitOnLastWindowClosed(False)

    async def scenario():
        async with (
            InProcessServer(tmp_path / "q.db", dossiers=builtin()) as server,
            VirtualPrinter(out_dir=tmp_path / "prints", width=576) as vp,
            running_kiosk(server.base, vp) as model,
        ):
            await seeded(server, READY)
            window = KioskWindow(model)
            window.resize(1080, 1920)
            window.show()
            try:
                await until(lambda: window.stack.currentWidget() is window.home, what="home")
                assert window.home.dossier.text() == "Tra cứu hồ sơ"
                QTest.keyClicks(window, "https://hcc.example.vn/tra-cuu/ho-so?ma=" + READY.code)
                QTest.keyClick(window, Qt.Key.Key_Return)
                await until(lambda: model.page is Page.DOSSIER, what="the dossier page")
                assert window.stack.currentWidget() is window.dossier
                assert window.dossier.code.text() == READY.code
                for digit in "5678":
                    QTest.mouseClick(window.dossier.pad.keys[digit], Qt.MouseButton.LeftButton)
                QTest.mouseClick(window.dossier.submit, Qt.MouseButton.LeftButton)
                await until(lambda: model.dossier.result is not None, what="the answer")
                assert not server.tickets()  # a scan is not a booking: no ticket
                QTest.mouseClick(window.dossier.back, Qt.MouseButton.LeftButton)
                assert model.page is Page.HOME and model.dossier.code == ""
            finally:
                window.close()
                window.deleteLater()

    run_scenario(scenario(), timeout=75)
