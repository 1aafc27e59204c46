"""Dossier look-up by citizens against the real server: `/api/dossiers/lookup` with the
built-in store and with the province system's stand-in (timing out), the page
`/tra-cuu/ho-so` in real headless Chromium, and "HS <mã>" texted to the GSM modem.

Set XEPHANG_SCREENSHOTS=1 to write the page's pictures to docs/screenshots/web-dossier-*.png.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from queue_protocol.errors import ERRORS
from queue_server.app import DOSSIERS_KEY
from queue_server.domain.dossier_config import parse_dossier_config
from queue_server.domain.dossiers import Dossier, DossierStatus
from queue_server.dossiers.standin import ProvinceDossierSystem
from queue_server.outbox.standins.virtual_modem import VirtualModem
from tests.server.test_web_pages import ARGS, CHROMIUM, PHONE, shot
from tests.support.messaging import messaging_site
from tests.support.servers import InProcessServer
from tests.support.waiting import until

RESULT_SERVICE = "huong-dan-chung"
TODAY = dt.date.today()
READY = Dossier(
    code="BD-261203-0007",
    procedure_code="1.001193",
    procedure_name="Đăng ký khai sinh có yếu tố nước ngoài",
    citizen_name="Nguyễn Thị Hồng Nhung",
    phone="0912345678",
    status=DossierStatus.READY,
    received_on=TODAY - dt.timedelta(days=7),
    due_on=TODAY,
    updated_at=1.0,
)
IN_PROGRESS = Dossier(
    **{
        **READY.__dict__,
        "code": "BD-261203-0008",
        "status": DossierStatus.IN_PROGRESS,
        "unit": "Phòng Tư pháp",
        "due_on": TODAY + dt.timedelta(days=3),
    }
)


async def lookup(base: str, code: str, phone4: str) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/dossiers/lookup", json={"code": code, "phone4": phone4}) as r,
    ):
        return r.status, await r.json()


def builtin(**table):
    return parse_dossier_config(
        {"result_service": RESULT_SERVICE, **table}, services=(RESULT_SERVICE,)
    )


async def seeded(server: InProcessServer, *dossiers: Dossier) -> None:
    await server.runner.app[DOSSIERS_KEY].builtin.put(dossiers)  # type: ignore[union-attr]


async def test_lookup_with_the_builtin_store_refuses_without_saying_which_part(tmp_path):
    async with InProcessServer(tmp_path / "q.db", dossiers=builtin(lookups_per_hour=3)) as srv:
        await seeded(srv, READY)
        status, answer = await lookup(srv.base, "bd-261203-0007", "5678")
        assert status == 200
        assert answer["status"] == "ready"
        assert answer["status_text"] == "Đã có kết quả, mời Ông/Bà đến nhận"
        assert answer["result_service"]["id"] == RESULT_SERVICE
        assert "citizen_name" not in answer and "phone" not in answer
        assert "Nhung" not in str(answer) and "0912" not in str(answer)
        wrong_digits = await lookup(srv.base, READY.code, "5679")
        wrong_code = await lookup(srv.base, "BD-261203-9999", "5678")
        assert wrong_digits == wrong_code  # the same status and the same words
        assert wrong_digits[0] == 404
        assert wrong_digits[1]["error"]["message"] == ERRORS["dossier_not_found"].vi
        # three refusals from this address: now even the right pair waits
        await lookup(srv.base, READY.code, "0000")
        status, answer = await lookup(srv.base, READY.code, "5678")
        assert (status, answer["error"]["code"]) == (429, "too_many_requests")


async def test_lookup_through_the_province_system_timing_out_says_try_later(tmp_path):
    province = ProvinceDossierSystem(hang_times=1, hang_seconds=30)
    province.add(
        MaHoSo="HS-0001",
        TenThuTuc="Cấp Phiếu lý lịch tư pháp",
        SoDienThoai="0987654321",
        TrangThai="DANG_XU_LY",
        NgayTiepNhan="01/12/2026",
        NgayHenTra="11/12/2026",
        DonViXuLy="Sở Tư pháp",
    )
    await province.start()
    config = parse_dossier_config(province.config(timeout_seconds=0.5, cache_seconds=0))
    try:
        async with InProcessServer(tmp_path / "q.db", dossiers=config) as srv:
            # the guard is far above the adapter's own 0.5 s: it only catches a hang
            status, answer = await asyncio.wait_for(lookup(srv.base, "HS-0001", "4321"), 10)
            assert status == 503
            assert answer["error"]["message"].endswith("Vui lòng thử lại sau.")
            status, answer = await lookup(srv.base, "HS-0001", "4321")
            assert status == 200
            assert answer["status_text"].startswith("Đang giải quyết tại Sở Tư pháp")
    finally:
        await province.close()


playwright = pytest.importorskip("playwright.async_api")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
@pytest.mark.timeout(90)
async def test_dossier_page_in_a_browser(tmp_path: Path):
    async with (
        InProcessServer(tmp_path / "q.db", dossiers=builtin()) as srv,
        playwright.async_playwright() as pw,
    ):
        await seeded(srv, READY, IN_PROGRESS)
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(viewport=PHONE, device_scale_factor=1)
        page = await context.new_page()
        # the slip's QR opens the page with the code filled in
        await page.goto(f"{srv.base}/tra-cuu/ho-so?ma={IN_PROGRESS.code}")
        assert await page.input_value("#code") == IN_PROGRESS.code
        await page.click("#submit")  # no digits: said, nothing sent
        assert "4 chữ số cuối" in await page.inner_text("#error")
        await page.fill("#phone4", "1111")
        await page.click("#submit")
        await page.wait_for_selector("#error:not([hidden])")
        await page.wait_for_function(
            "document.getElementById('error').textContent.includes('Không tìm thấy')"
        )
        await shot(page, "dossier-refused", tmp_path)
        await page.fill("#phone4", "5678")
        await page.click("#submit")
        await page.wait_for_selector("#result:not([hidden])")
        assert "Đang giải quyết tại Phòng Tư pháp" in await page.inner_text("#result-status")
        assert await page.is_hidden("#result-pickup")
        await shot(page, "dossier-in-progress", tmp_path)
        await page.fill("#code", READY.code)
        await page.click("#submit")
        await page.wait_for_selector("#result-pickup:not([hidden])")
        assert await page.get_attribute("#result-book", "href") == (
            f"/dat-lich?service={RESULT_SERVICE}"
        )
        await shot(page, "dossier-ready", tmp_path)
        await page.goto(f"{srv.base}/en/lookup/dossier")
        await page.fill("#code", READY.code)
        await page.fill("#phone4", "5678")
        await page.click("#submit")
        await page.wait_for_selector("#result:not([hidden])")
        assert await page.inner_text("#result-status") == "The result is ready for pickup"
        await browser.close()


async def test_hs_texted_to_the_modem_answers_only_the_phone_on_the_dossier(tmp_path):
    modem = VirtualModem(tmp_path / "ttyUSB-modem")
    modem.plug()
    channel = {"type": "gsm_modem", "port": str(modem.path), "reconnect_min": 0.05}
    config = messaging_site({"modem": channel}, route={"phone": "modem"})
    try:
        async with InProcessServer(tmp_path / "q.db", config, dossiers=builtin()) as srv:
            await seeded(srv, IN_PROGRESS)
            await until(lambda: "AT+CNMI=2,1,0,0,0" in modem.commands, what="the modem set up")
            modem.inject("84912345678", "hs bd-261203-0008")
            await until(modem.messages, what="the answer")
            phone, text = modem.messages()[0]
            assert phone == "84912345678"
            assert text.startswith(
                "Hồ sơ BD-261203-0008 (Đăng ký khai sinh có yếu tố nước ngoài): "
                "Đang giải quyết tại Phòng Tư pháp"
            )
            modem.inject("84987654321", "HS BD-261203-0008")  # someone else's phone
            await until(lambda: len(modem.messages()) == 2, what="the second answer")
            assert modem.messages()[1] == (
                "84987654321",
                "Không tìm thấy hồ sơ BD-261203-0008 của số điện thoại này. "
                "Ông/Bà xem lại mã trên phiếu hẹn.",
            )
    finally:
        modem.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
@pytest.mark.timeout(90)
async def test_the_report_shows_service_time_per_procedure(tmp_path: Path):
    from assets import SAMPLE_CONFIG
    from queue_server.core.siteconfig import load_config
    from tests.support.servers import KIOSK_TOKEN, PASSWORD, add_officer, login, peer

    site = load_config(SAMPLE_CONFIG)
    land = next(p for p in site.procedures.values() if p.service == "bien-dong-dat-dai")
    async with (
        InProcessServer(tmp_path / "q.db", dossiers=builtin()) as srv,
        playwright.async_playwright() as pw,
    ):
        server = srv.server
        await add_officer(server, "an", full_name="Nguyễn Văn An")
        await add_officer(server, "lanh-dao", role="leader")
        kiosk = await peer(srv.base, "kiosk", KIOSK_TOKEN)
        counter = await peer(srv.base, "counter", await login(srv.base, "an"), counter=5)
        await kiosk.request("issue", service="bien-dong-dat-dai", request_id="d1")
        await counter.request("call_next")
        answer = await counter.request(
            "dossier_receive", procedure=land.code, citizen_name="Lê Thị Mai", phone="0912345678"
        )
        assert answer["ok"], answer
        await counter.request("finish")
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await (await browser.new_context(viewport={"width": 1440, "height": 900})).new_page()
        await page.goto(f"{srv.base}/bao-cao")
        await page.fill("#username", "lanh-dao")
        await page.fill("#password", PASSWORD)
        await page.click("#login button")
        await page.wait_for_selector("#procedures-block:not([hidden])")
        text = await page.inner_text("#procedures")
        assert f"{land.name} ({land.code})" in text
        assert await page.locator("#procedures tbody tr").count() == 1
        await page.locator("#procedures-block").scroll_into_view_if_needed()
        await shot(page, "report-procedures", tmp_path)
        await browser.close()
        await kiosk.close()
        await counter.close()


async def test_hs_texted_while_the_province_system_hangs_says_try_later(tmp_path):
    province = ProvinceDossierSystem(hang_times=1, hang_seconds=30)
    await province.start()
    modem = VirtualModem(tmp_path / "ttyUSB-modem")
    modem.plug()
    channel = {"type": "gsm_modem", "port": str(modem.path), "reconnect_min": 0.05}
    config = messaging_site({"modem": channel}, route={"phone": "modem"})
    dossiers = parse_dossier_config(province.config(timeout_seconds=0.5))
    try:
        async with InProcessServer(tmp_path / "q.db", config, dossiers=dossiers):
            await until(lambda: "AT+CNMI=2,1,0,0,0" in modem.commands, what="the modem set up")
            modem.inject("84912345678", "HS HS-0001")
            await until(modem.messages, what="the answer")
            assert modem.messages()[0] == (
                "84912345678",
                "Hệ thống tra cứu hồ sơ đang bận. Vui lòng thử lại sau.",
            )
    finally:
        modem.close()
        await province.close()
