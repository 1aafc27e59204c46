"""Issue 15's settings on the admin screen (/quan-tri, real headless Chromium, a real
server): the hall's notice and voice, a counter's zone (refused beside the field in
Vietnamese when too long, in English on /en/admin), the search synonyms, and the channel
for phones — each applied live: the search finds by the new synonym, the next message
goes through the newly chosen channel.

Set XEPHANG_SCREENSHOTS=1 to write the changed tabs to docs/screenshots/admin-*.png.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import aiohttp
import pytest

from queue_server.outbox.standins.sms_gateway import SmsGateway
from tests.server.test_web_pages import ARGS, CHROMIUM
from tests.support import SHOTS
from tests.support.booking import post, request
from tests.support.clock import FakeClock
from tests.support.messaging import gateway_channel, messaging_site
from tests.support.servers import PASSWORD, add_officer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM
from tests.support.waiting import until

playwright = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
    pytest.mark.timeout(120),
]
NOTICE = (
    "Thứ Bảy 04/7 Trung tâm làm việc buổi sáng để tiếp nhận hồ sơ hộ tịch; "
    "công dân vui lòng mang theo căn cước công dân bản chính."
)
TOO_LONG = "Khu tiếp nhận và trả kết quả hồ sơ đất đai, tầng hai"  # 52 characters


async def signed_in(browser, base: str, path: str = "/quan-tri"):
    page = await browser.new_page(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    await page.goto(base + path)
    await page.fill("#username", "quan-tri")
    await page.fill("#password", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("table[data-table=services] tbody tr")
    return page


async def save(page, version: int) -> None:
    await page.click("#config-form button[type=submit]")
    await page.wait_for_selector(f"#notice:has-text('phiên bản {version}.')")


async def found(http: aiohttp.ClientSession, base: str, query: str) -> list[str]:
    async with http.get(f"{base}/api/search?q={urllib.parse.quote(query)}") as resp:
        return [s["id"] for s in (await resp.json())["services"]]


async def test_hall_zone_synonyms_and_channel_are_set_on_the_admin_screen(tmp_path):
    gateways = [SmsGateway(), SmsGateway()]
    for gw in gateways:
        await gw.start()
    config = messaging_site(
        {"sms": gateway_channel(gateways[0].url), "sms2": gateway_channel(gateways[1].url)}
    )
    shots = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") == "1" else tmp_path
    shot = lambda page, name: page.screenshot(path=str(Path(shots) / f"admin-{name}.png"))  # noqa: E731
    try:
        async with (
            running_server(tmp_path / "q.db", config, clock=FakeClock(WEDNESDAY_9AM)) as (
                base,
                server,
            ),
            playwright.async_playwright() as pw,
            aiohttp.ClientSession() as http,
        ):
            await add_officer(server, "quan-tri", "admin")
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = await signed_in(browser, base)

            # the hall: its notice line and the southern voice
            await page.click("button[data-tab=hall]")
            await page.fill('[data-path="hall.notice"]', NOTICE)
            await page.fill('[data-path="hall.notice_en"]', "Open on Saturday morning, 4 July.")
            await page.select_option('[data-path="hall.voice"]', "nam")
            await save(page, 2)
            await shot(page, "hall-notice")
            hall = server.config.hall
            assert (hall.notice, hall.voice) == (NOTICE, "nam")

            # a counter's zone: too long is refused beside it, in Vietnamese, naming it
            await page.click("button[data-tab=counters]")
            await page.fill('[data-path="counters[0].zone"]', TOO_LONG)
            await page.click("#config-form button[type=submit]")
            error = page.locator('[data-error-for="counters[0].zone"]')
            await error.wait_for(state="visible")
            assert await error.inner_text() == "dài 52 ký tự; tối đa 40 ký tự"
            top = await page.inner_text("#error")
            assert "Quầy, dòng 1, Khu vực (ví dụ Khu A, Tầng 2): dài 52 ký tự" in top, top
            await shot(page, "zone-error")
            await page.fill('[data-path="counters[0].zone"]', "Khu A")
            await page.fill('[data-path="counters[0].zone_en"]', "Zone A")
            await save(page, 3)
            await shot(page, "counters-zone")
            assert (server.config.counters[1].zone, server.config.counters[1].zone_en) == (
                "Khu A",
                "Zone A",
            )

            # a search synonym: the kiosk's search finds by it, without a restart
            assert "khai-sinh" not in await found(http, base, "giấy chào đời")
            await page.click("button[data-tab=services]")
            await page.click("button[data-add=synonym]")
            row = page.locator('table[data-table="search.synonyms"] tbody tr').last
            await row.locator("[data-synonym=phrase]").fill("giấy chào đời")
            await row.locator("[data-synonym=targets]").fill("khai sinh")
            await save(page, 4)
            await row.scroll_into_view_if_needed()
            await shot(page, "services-synonyms")
            assert dict(server.config.search.synonyms)["giấy chào đời"] == ("khai sinh",)

            async def finds() -> bool:
                return "khai-sinh" in await found(http, base, "giấy chào đời")

            await until(finds, what="the search rebuilt with the new synonym")

            # the channel for phones: the next message goes through the other gateway
            await page.click("button[data-tab=site]")
            await page.select_option('[data-path="messaging.route.phone"]', "sms2")
            await save(page, 5)
            await shot(page, "site-channel")
            status, _ = await post(http, base, "/api/bookings", request(messages=True))
            assert status == 201
            await until(lambda: len(gateways[1].delivered) == 1, what="the message via sms2")
            assert gateways[0].requests == 0

            # the English screen says the same refusal in English
            english = await signed_in(browser, base, "/en/admin")
            await english.click("button[data-tab=counters]")
            await english.fill('[data-path="counters[1].zone"]', TOO_LONG)
            await english.click("#config-form button[type=submit]")
            beside = english.locator('[data-error-for="counters[1].zone"]')
            await beside.wait_for(state="visible")
            assert await beside.inner_text() == "is 52 characters long; at most 40"
            await browser.close()
    finally:
        for gw in gateways:
            await gw.close()
