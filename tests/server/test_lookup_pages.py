"""/tra-cuu and a procedure's guide in real headless Chromium, at phone and desktop
width, and the booking page's service search answered by the same server search.

Set XEPHANG_SCREENSHOTS=1 to write the pictures to docs/screenshots/web-lookup-*.png.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.server.test_web_pages import ARGS, CHROMIUM, PHONE, shot
from tests.support.servers import running_server

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
DESKTOP = {"width": 1280, "height": 900}


async def test_look_up_a_procedure_and_read_its_guide(tmp_path: Path) -> None:
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
        aiohttp.ClientSession() as http,
    ):
        marriage = server.procedures["1.000894"]
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        outside: list[str] = []
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=1, locale="vi-VN", bypass_csp=True
        )
        context.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page = await context.new_page()

        # ----- a phone: typed the Telex way, the results come as the citizen types
        await page.goto(f"{base}/tra-cuu")
        assert await page.inner_text("h1") == "Tra cứu thủ tục hành chính"
        await page.type("#q", "ddawng kys keets hoon", delay=10)
        first = page.locator("#results li a").first
        await first.wait_for()
        await page.wait_for_function(
            "document.querySelector('#results a').textContent === 'Đăng ký kết hôn'"
        )
        assert "Tìm thấy" in await page.inner_text("#lookup-count")
        assert "q=ddawng" in page.url  # the address keeps the query (back, share)
        await shot(page, "lookup-phone", tmp_path)
        await first.click()
        await page.wait_for_url(f"{base}/tra-cuu/thu-tuc/1.000894")
        assert await page.inner_text("h1") == marriage.name
        items = page.locator("ol.documents li")
        assert await items.count() == len(marriage.documents)
        assert marriage.documents[0].name in await items.first.inner_text()
        assert "Trong ngày" in await page.inner_text(".guide-facts")
        booking = page.locator(".actions a")
        assert await booking.get_attribute("href") == "/dat-lich?service=ket-hon"
        await shot(page, "lookup-guide-phone", tmp_path)

        # ----- nothing found: a plain sentence, no empty list
        await page.goto(f"{base}/tra-cuu")
        await page.fill("#q", "qqqqzz")
        await page.wait_for_function("document.querySelector('#lookup-count').textContent")
        assert "Không tìm thấy thủ tục" in await page.inner_text("#lookup-count")
        assert await page.locator("#results li").count() == 0

        # ----- a desktop, in English, with an everyday word and a land procedure
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/en/lookup?q=so+do")  # rendered by the server as well
        assert await page.get_attribute("html", "lang") == "en"
        names = await page.locator("#results li a").all_inner_texts()
        assert any("land use right certificate" in n for n in names[:3]), names
        await shot(page, "lookup-desktop-en", tmp_path)
        await page.goto(f"{base}/tra-cuu/thu-tuc/1.001193")
        await shot(page, "lookup-guide-desktop", tmp_path)
        await page.goto(f"{base}/en/lookup/procedure/1.001193")
        assert await page.inner_text("h1") == "Birth registration"
        assert "The same day" in await page.inner_text(".guide-facts")

        # ----- the booking page: its service search is the server's
        await page.set_viewport_size(PHONE)
        await page.goto(f"{base}/dat-lich")
        await page.fill("#search", "so do")  # a synonym: no service is called that
        await page.wait_for_function(
            "!document.querySelector('label[for=svc-cap-giay-chung-nhan]')"
            ".closest('li').hidden && document.querySelector('label[for=svc-ket-hon]')"
            ".closest('li').hidden"
        )
        await page.fill("#search", "ho5 ti5ch")  # VNI
        await page.wait_for_function(
            "!document.querySelector('label[for=svc-khai-sinh-khai-tu]').closest('li').hidden"
            " && document.querySelector('label[for=svc-cap-giay-chung-nhan]')"
            ".closest('li').hidden"
        )
        first_shown = (
            "[...document.querySelectorAll('#services li[data-search]')]"
            ".find((li) => !li.hidden && !li.closest('.sector').hidden)"
            ".querySelector('input').value"
        )
        await page.fill("#search", "dang ky")  # ranked: the server's first comes first
        assert await search_first(server, "dang ky") == "khai-sinh-khai-tu"
        await page.wait_for_function(f"{first_shown} === 'khai-sinh-khai-tu'")
        await page.fill("#search", "")  # and back to the page's own order
        await page.wait_for_function(f"{first_shown} === 'cap-giay-chung-nhan'")
        await page.goto(f"{base}/dat-lich?service=ket-hon")  # from a guide's button
        assert await page.is_checked("#svc-ket-hon")

        async with http.get(f"{base}/tra-cuu/thu-tuc/9.999999") as res:
            assert res.status == 404
        async with http.get(f"{base}/tra-cuu", params={"q": "<script>"}) as res:
            assert "<script>alert" not in await res.text() and res.status == 200
        assert outside == []
        await browser.close()


async def search_first(server, query: str) -> str:
    return (await server.site_search()).find(query).services[0]
