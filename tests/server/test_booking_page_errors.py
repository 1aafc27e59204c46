"""The booking page in real Chromium when the citizen gets things wrong: every problem
is shown at once under its field, the phone is checked as it is typed, and a server
that cannot be reached is a Vietnamese sentence, not the browser's "Failed to fetch"."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_protocol.errors import ERRORS
from tests.server.test_web_pages import ARGS, CHROMIUM, PHONE, shot
from tests.support.booking import TOMORROW, site
from tests.support.clock import FakeClock
from tests.support.servers import running_server
from tests.support.siteconfig import WEDNESDAY_9AM

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")


async def test_all_errors_at_once_phone_as_typed_and_server_down(tmp_path: Path) -> None:
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, server),
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(viewport=PHONE, locale="vi-VN", bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{base}/dat-lich")

        # Nothing chosen, nothing typed: every problem at once, not one after the other
        await page.click("#submit")
        await page.wait_for_selector("#error:not([hidden])")
        assert await page.inner_text("#error") == "Vui lòng sửa 6 mục được đánh dấu bên trên."
        for field in ("service", "day", "time"):
            assert (await page.inner_text(f"#{field}-error")).startswith("Vui lòng chọn: ")
        assert await page.inner_text("#name-error") == ERRORS["bad_name"].vi
        assert await page.inner_text("#phone-error") == ERRORS["bad_phone"].vi
        assert await page.inner_text("#consent-error") == ERRORS["consent_required"].vi
        assert await page.get_attribute("#phone", "aria-invalid") == "true"

        # The phone, as it is typed: fine while it can still become a mobile number…
        await page.fill("#phone", "")
        await page.type("#phone", "0912 34")
        assert not await page.is_visible("#phone-error")
        assert await page.get_attribute("#phone", "aria-invalid") is None
        # …wrong at once when it cannot (a landline's 02…, letters, too long)
        await page.type("#phone", "5x")
        assert await page.is_visible("#phone-error")
        await page.fill("#phone", "")
        await page.type("#phone", "028 3822")
        assert await page.inner_text("#phone-error") == ERRORS["bad_phone"].vi
        await page.fill("#phone", "")
        await page.type("#phone", "+84 912 345 678")
        assert not await page.is_visible("#phone-error")
        await page.evaluate("window.scrollTo(0, document.getElementById('step-details').offsetTop)")
        await shot(page, "booking-errors", tmp_path)

        # The server goes away while the citizen chooses: a sentence they understand
        await page.click("label[for=svc-khai-sinh]")
        await page.route("**/api/booking/slots*", lambda route: route.abort("connectionrefused"))
        await page.click(f"label[for=day-{TOMORROW}]")
        await page.wait_for_function(
            "document.getElementById('slots-note').textContent.includes('máy chủ')"
        )
        note = await page.inner_text("#slots-note")
        assert note == "Không kết nối được máy chủ. Vui lòng thử lại."
        assert "Failed to fetch" not in await page.content()
        await browser.close()
