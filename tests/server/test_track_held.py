"""A citizen whose ticket is parked at the counter (gone to fetch a document) reads so on
the tracking page, in real Chromium, and is called again when the officer resumes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.test_message_pages import BIRTH, browser_page
from tests.server.test_web_pages import CHROMIUM, PHONE, shot
from tests.support.servers import KIOSK_TOKEN, add_officer, login, peer, running_server

playwright = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
    pytest.mark.timeout(90),
]


async def test_a_held_ticket_says_go_straight_back_to_the_counter(tmp_path: Path):
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
    ):
        await add_officer(server, "an")
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        officer = await peer(base, "counter", await login(base, "an"), counter=9)
        ticket = (await kiosk.request("issue", service=BIRTH, request_id="h1"))["ticket"]
        browser, _context, page = await browser_page(pw, PHONE)
        await page.goto(f"{base}/t/{ticket['public_id']}")
        await page.wait_for_function("document.getElementById('status').textContent === 'Đang chờ'")
        assert (await officer.request("call_next"))["ok"]
        assert (await officer.request("hold"))["ok"]
        await page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('Đang được giữ')"
        )
        assert await page.inner_text("#status") == (
            "Đang được giữ tại quầy – khi có đủ giấy tờ, Ông/Bà quay lại thẳng quầy đã phục vụ"
        )
        await shot(page, "track-held", tmp_path)
        assert (await officer.request("resume_held", number=ticket["number"]))["ok"]
        await page.wait_for_selector("#called:not([hidden])")  # called back, as any call
        await browser.close()
        await officer.close()
        await kiosk.close()
