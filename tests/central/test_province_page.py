"""The province page (/tinh, /en/province) in real headless Chromium: a leader signs in,
sees the centres of the province, their queues live (a ticket issued at a site shows
on the page without a reload), the report of a period grouped by centre and by
procedure with medians and p90s, and signs out (the session ended at the server).

Set XEPHANG_SCREENSHOTS=1 to write the page's pictures to docs/screenshots/province*.png.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest

from queue_server.domain.replication import site_meta
from queue_server.replication.shipper import Shipper
from tests.support import SHOTS
from tests.support.province import (
    LEADER_PASSWORD,
    shipping,
    simulate,
    site_head,
    write_site,
)
from tests.support.servers import KIOSK_TOKEN, InProcessServer, peer, sample_site

playwright = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 768}
DAY = dt.date(2026, 3, 2)


async def shot(page, name: str, tmp_path: Path, full_page: bool = True) -> None:
    target = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") else tmp_path
    await page.screenshot(path=str(target / f"{name}.png"), full_page=full_page)


async def test_a_leader_watches_the_province_live_and_reads_the_report(central, tmp_path):
    config = sample_site(tmp_path)
    await central.add_leader("tinh", "province", "Bình Dương")
    for n, site in enumerate(("xa-phu-my", "xa-tan-dinh"), start=1):  # yesterday's logs
        events, bookings = simulate(config, DAY, 1, 40 * n, seed=n)
        db = tmp_path / f"{site}.db"
        await write_site(db, events, bookings)
        token = await central.add_site(site, district="Bến Cát" if n == 1 else "Dĩ An")
        async with shipping(Shipper(db, central.base, site, token, site_meta(config))):
            await central.caught_up(site, site_head(db))
    token = await central.add_site("trung-tam-tinh")
    async with (
        InProcessServer(tmp_path / "live.db") as live,
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(live.base, "kiosk", KIOSK_TOKEN)
        shipper = Shipper(live.db, central.base, "trung-tam-tinh", token, site_meta(config))
        async with shipping(shipper):
            await central.caught_up("trung-tam-tinh", 1)
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = await browser.new_page(viewport=LAPTOP, locale="vi-VN")
            await page.goto(f"{central.base}/tinh")
            await page.fill("#username", "tinh")
            await page.fill("#password", LEADER_PASSWORD)
            await page.click("#login button[type=submit]")
            await page.wait_for_selector("#floor-state:text('Cập nhật trực tiếp')")
            row = "#floor tr:has(td:text('Trung tâm trung-tam-tinh'))"
            await page.wait_for_selector(f"{row} td.state.on")
            for _ in range(4):  # citizens take numbers at the live centre
                answer = await kiosk.request(
                    "issue", service="ket-hon", request_id=uuid.uuid4().hex
                )
                assert answer["ok"]
            await page.wait_for_selector(f"{row} td:nth-child(5):text-is('4')")  # no reload
            await page.fill("#from", DAY.isoformat())
            await page.fill("#to", DAY.isoformat())
            await page.click("#ask button[type=submit]")
            await page.wait_for_selector("#report td:text('Trung tâm xa-phu-my')")
            assert await page.locator("#report tbody tr").count() == 2
            csv = await page.get_attribute("#csv", "href")
            assert csv is not None and "by=site" in csv and "from=2026-03-02" in csv
            await page.wait_for_selector("#report th:text-is('Chờ trung vị')")
            median = page.locator("#report tbody tr").first.locator("td:nth-child(6)")
            assert "phút" in await median.inner_text()  # a figure, not "—"
            await shot(page, "province", tmp_path)
            await page.select_option("#by", "procedure")  # issue 17: by procedure
            await page.click("#ask button[type=submit]")
            await page.wait_for_selector("#report th:text-is('Thủ tục')")
            first = page.locator("#report tbody tr").first
            name = await first.locator("td:nth-child(2)").inner_text()
            codes = {p.code: p.name for p in config.procedures.values()}
            code = await first.locator("td:nth-child(1)").inner_text()
            assert codes[code] == name  # the procedure's Vietnamese name, from the site
            assert "khoảng 1 phút" in await page.inner_text("#board")  # the resolution
            await page.locator("#report").scroll_into_view_if_needed()
            await shot(page, "province-procedure", tmp_path, full_page=False)
            await page.goto(f"{central.base}/en/province")
            await page.wait_for_selector("#floor-state:text('Live')")
            await page.wait_for_selector("th:text('Longest wait')")
            await shot(page, "province-en", tmp_path)
            old = await page.evaluate("sessionStorage.getItem('province-token')")
            await page.click("#logout")  # sign out: the session ends at the server
            await page.wait_for_selector("#login-box:not([hidden]) #username")
            refused = await page.evaluate(
                "async (t) => (await fetch('/api/province/floor', "
                "{headers: {Authorization: 'Bearer ' + t}})).status",
                old,
            )
            assert refused == 401
            await browser.close()
        await kiosk.close()
