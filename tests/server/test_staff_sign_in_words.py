"""A wrong password on the staff pages reads as a sentence an officer understands, in
real Chromium (the console's own check is in tests/counter_display/test_console.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.test_web_pages import ARGS, CHROMIUM, shot
from tests.support.servers import add_officer, running_server

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")


async def test_wrong_password_on_the_report_page_says_so_plainly(tmp_path: Path) -> None:
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
    ):
        await add_officer(server, "lanh-dao", role="leader")
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 720}, locale="vi-VN")
        await page.goto(f"{base}/bao-cao")
        await page.fill("#username", "lanh-dao")
        await page.fill("#password", "sai-mat-khau")
        await page.click("#login button")
        await page.wait_for_selector("#error:not([hidden])")
        assert await page.inner_text("#error") == "Tên đăng nhập hoặc mật khẩu không đúng."
        assert await page.is_visible("#login")
        await shot(page, "report-wrong-password", tmp_path)
        await browser.close()
