"""The supervisor's board (/giam-sat) in real headless Chromium, fed by a real kiosk
whose virtual printer runs out of paper, and by a server that restarts.

Set XEPHANG_SCREENSHOTS=1 to write the board's pictures to docs/screenshots/floor-*.png.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from printer.virtual import VirtualPrinter
from tests.server.test_floor import quick_site
from tests.support import SHOTS
from tests.support.kiosk import running_kiosk
from tests.support.servers import PASSWORD, InProcessServer, add_officer, login, peer

playwright = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WALL = {"width": 1920, "height": 1080}


async def shot(page, name: str, tmp_path: Path) -> None:
    target = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") else tmp_path
    await page.screenshot(path=str(target / f"floor-{name}.png"))


async def test_paper_out_on_the_board_acknowledged_cleared_and_a_restart(tmp_path):
    local = InProcessServer(tmp_path / "q.db", quick_site())
    await local.start()
    try:
        server = local.server
        await add_officer(server, "giam-sat", "supervisor", full_name="Trần Thị Giám Sát")
        await add_officer(server, "can-bo", full_name="Nguyễn Văn An")
        officer = await peer(local.base, "counter", await login(local.base, "can-bo"), counter=9)
        async with (
            VirtualPrinter(width=576) as vp,
            running_kiosk(local.base, vp) as kiosk,
            playwright.async_playwright() as pw,
        ):
            for service in ["khai-sinh-khai-tu"] * 3 + ["ket-hon"] * 2:
                await kiosk.client.request("issue", service=service, request_id=f"r-{time.time()}")
            await officer.request("call_next")
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = await browser.new_page(viewport=WALL, locale="vi-VN", bypass_csp=True)
            await page.goto(f"{local.base}/giam-sat")
            assert not await page.is_visible("#conn")  # no empty pill before signing in
            await page.fill("#username", "giam-sat")
            await page.fill("#password", PASSWORD)
            await page.click("#login button[type=submit]")
            await page.wait_for_selector(".conn[data-state=live]")
            await page.wait_for_selector("#counters td:text('Nguyễn Văn An')")
            await shot(page, "normal", tmp_path)
            # On the wall screen the quiet rows fold away, so the services someone waits
            # for and the counters at work are all in view without scrolling.
            assert await page.inner_text("#counters tr.folded") == "Đóng (31): quầy 1–8, 10–32"
            assert "dịch vụ khác: không có người chờ" in await page.inner_text(
                "#services tr.folded"
            )
            for table in ("#services", "#counters"):
                box = await page.locator(table).bounding_box()
                assert box is not None and box["y"] + box["height"] <= WALL["height"], table

            # A notice from the board scrolls on the hall screen in a browser.
            hall = await browser.new_page(viewport=WALL, bypass_csp=True)
            await hall.goto(f"{local.base}/hall")
            await hall.wait_for_selector("#banner[hidden]", state="attached")
            text = "Lĩnh vực Đất đai tạm ngưng nhận hồ sơ đến 14 giờ"
            await page.fill("#notice-text", text)
            await page.fill("#notice-minutes", "15")
            await page.click("#notice button[type=submit]")
            await page.wait_for_selector("#notice-status:text('Đã gửi thông báo.')")
            await hall.wait_for_function(
                f"() => document.getElementById('notice').textContent === {text!r}"
            )
            await hall.close()

            # Thresholds for the rest of the day, from the board: 1 waiting is enough.
            assert await page.input_value("#limit-count") == "40"
            await page.fill("#limit-count", "1")
            await page.click("#limits button[type=submit]")
            await page.wait_for_selector("#limits-status:text('Đã lưu ngưỡng cảnh báo.')")
            await page.wait_for_selector("#alerts li[data-kind=long_queue]")
            assert server.state.alert_limits.waiting_count == 1

            vp.set_state(paper="out")
            started = time.monotonic()
            alert = page.locator("#alerts li[data-kind=printer][data-subject=kiosk-1]")
            await alert.wait_for(timeout=5000)
            assert time.monotonic() - started < 5
            assert "Hết giấy" in await alert.inner_text()
            assert await page.is_visible(".alerts.raised")
            await shot(page, "alert", tmp_path)
            await page.set_viewport_size({"width": 1366, "height": 768})
            await shot(page, "laptop", tmp_path)
            await page.set_viewport_size(WALL)

            await alert.locator("button").click()
            await page.wait_for_selector("#alerts li.acked[data-kind=printer]")
            assert "giam-sat" in await alert.inner_text()

            vp.set_state(paper="ok")
            await alert.wait_for(state="detached", timeout=10_000)

            # The server restarts: the board says it is stale, then shows the truth again.
            await local.stop()
            await page.wait_for_selector(".floor.stale")
            assert (
                await page.inner_text("#conn")
                == "Mất kết nối – đang kết nối lại; số liệu có thể đã cũ"
            )
            await shot(page, "stale", tmp_path)
            await local.start()
            kiosk_peer = await peer(local.base, "kiosk", "kiosk-2-demo-token-change-me")
            await kiosk_peer.request("issue", service="ket-hon", request_id="after-restart")
            await page.wait_for_selector(".conn[data-state=live]", timeout=20_000)
            row = page.locator("#services tr", has_text="Đăng ký kết hôn")
            await page.wait_for_function(
                "() => [...document.querySelectorAll('#services tr')].some(r =>"
                " r.cells[0].textContent.includes('kết hôn') && r.cells[1].textContent === '3')",
                timeout=10_000,
            )
            assert await row.count() == 1
            await browser.close()
    finally:
        await local.stop()
    with sqlite3.connect(tmp_path / "q.db") as db:
        audit = db.execute("SELECT actor FROM audit WHERE action = 'alert_acknowledged'").fetchall()
    assert audit == [("giam-sat",)]
