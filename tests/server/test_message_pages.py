"""The pages around messages to citizens, in real headless Chromium against the real
server: the tracking page's "text me when my turn is near" form, the rating link's page,
and the supervisors' outbox.

Set XEPHANG_SCREENSHOTS=1 to write the pictures to docs/screenshots/web-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_protocol.errors import ERRORS
from queue_server.outbox.standins.sms_gateway import SmsGateway
from tests.server.test_web_pages import ARGS, CHROMIUM, PHONE, shot
from tests.support.messaging import gateway_channel, messaging_site, outbox_rows
from tests.support.servers import (
    KIOSK_TOKEN,
    PASSWORD,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.siteconfig import SMALL_SITE_KIOSK, small_site
from tests.support.waiting import until

playwright = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
    pytest.mark.timeout(90),
]
DESKTOP = {"width": 1280, "height": 860}
BIRTH = "khai-sinh-khai-tu"


async def browser_page(pw, viewport: dict[str, int], csp: bool = False):
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    # bypass_csp: the pages forbid eval, which Playwright's wait_for_function uses;
    # `csp=True` keeps the page's policy, for a test that needs no wait_for_function
    context = await browser.new_context(
        viewport=viewport, device_scale_factor=1, locale="vi-VN", bypass_csp=not csp
    )
    return browser, context, await context.new_page()


async def test_tracking_page_signs_up_for_a_text_message(tmp_path: Path):
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        ticket = (await kiosk.request("issue", service=BIRTH, request_id="n1"))["ticket"]
        browser, context, page = await browser_page(pw, PHONE)
        await page.goto(f"{base}/t/{ticket['public_id']}")
        await page.wait_for_selector("#notify:not([hidden])")
        assert await page.inner_text("#notify-title") == "Nhận tin nhắn khi sắp đến lượt"
        assert "xoá sau khi hết ngày" in await page.inner_text("#notify")

        # nothing typed, nothing ticked: said beside each field, nothing sent
        await page.click("#notify-submit")
        assert await page.inner_text("#notify-phone-error") == "Hãy nhập số điện thoại di động."
        assert "đánh dấu ô đồng ý" in await page.inner_text("#notify-consent-error")
        assert await page.get_attribute("#notify-phone", "aria-invalid") == "true"

        # not a Vietnamese mobile: the server's words, beside the phone field
        await page.fill("#notify-phone", "0123 456 789")
        await page.check("#notify-consent")
        await page.click("#notify-submit")
        await page.wait_for_function(
            "document.getElementById('notify-phone-error').textContent.length > 20"
        )
        assert await page.inner_text("#notify-phone-error") == ERRORS["bad_phone"].vi
        assert await page.is_hidden("#notify-consent-error")
        await shot(page, "track-notify", tmp_path)

        # the phone loses its network: a Vietnamese sentence, not "Failed to fetch"
        await context.set_offline(True)
        await page.fill("#notify-phone", "0912 345 678")
        await page.click("#notify-submit")
        await page.wait_for_selector("#notify-error:not([hidden])")
        assert "Không kết nối được máy chủ" in await page.inner_text("#notify-error")
        await context.set_offline(False)

        await page.click("label[for=ahead-5]")
        await page.click("#notify-submit")
        await page.wait_for_selector("#notify-done:not([hidden])")
        done = await page.inner_text("#notify-done")
        assert "0912 345 678" in done and "còn 5 người trước" in done
        assert await page.is_hidden("#notify-form")
        await shot(page, "track-notify-done", tmp_path)

        # English, on a desktop
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/en/t/{ticket['public_id']}")
        await page.wait_for_selector("#notify:not([hidden])")
        assert await page.inner_text("#notify-title") == "Get a text message when your turn is near"
        await shot(page, "track-notify-en-desktop", tmp_path)
        await browser.close()
        await kiosk.close()


async def test_no_form_where_the_centre_sends_no_messages(tmp_path: Path):
    async with (
        running_server(tmp_path / "q.db", small_site()) as (base, _server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        ticket = (await kiosk.request("issue", service="khai-sinh", request_id="q1"))["ticket"]
        browser, _context, page = await browser_page(pw, PHONE)
        await page.goto(f"{base}/t/{ticket['public_id']}")
        await page.wait_for_function(
            "document.getElementById('conn').textContent.includes('trực tiếp')"
        )
        assert await page.inner_text("#number") == ticket["number"]
        assert await page.is_hidden("#notify")
        await browser.close()
        await kiosk.close()


async def test_the_rating_link_takes_one_rating_per_ticket(tmp_path: Path):
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        ticket = (await kiosk.request("issue", service=BIRTH, request_id="r1"))["ticket"]
        waiting = (await kiosk.request("issue", service=BIRTH, request_id="r2"))["ticket"]
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=9)
        await counter.request("call_next")
        await counter.request("finish")
        browser, context, page = await browser_page(pw, PHONE, csp=True)

        await page.goto(f"{base}/danh-gia/{ticket['public_id']}")
        await page.wait_for_selector("#ticket:not([hidden])")
        assert await page.inner_text("#ticket") == "Số D001 · Đăng ký khai sinh, khai tử"
        answers = page.locator("#scale .scale-button")
        assert await answers.all_inner_texts() == [c.name for c in server.config.rating_scale]
        assert min(b["height"] for b in [await a.bounding_box() for a in await answers.all()]) >= 64
        await shot(page, "rating", tmp_path)
        await page.set_viewport_size(DESKTOP)  # in English on a desktop, before rating
        await page.click("a.lang")
        await page.wait_for_selector("#ticket:not([hidden])")
        assert await page.inner_text("#ticket") == "Number D001 · Birth and death registration"
        assert await answers.all_inner_texts() == [c.name_en for c in server.config.rating_scale]
        await shot(page, "rating-en", tmp_path)
        await page.set_viewport_size(PHONE)
        await page.goto(f"{base}/danh-gia/{ticket['public_id']}")
        await page.wait_for_selector("#ticket:not([hidden])")
        await page.click("#scale [data-rating=hai-long]")
        await page.wait_for_selector("#thanks:not([hidden])")
        assert "Ông/Bà đã chọn: Hài lòng" in await page.inner_text("#thanks")
        assert await page.is_hidden("#scale")
        await until(lambda: server.state.tickets[ticket["id"]].rating == "hai-long", what="rated")
        await shot(page, "rating-done", tmp_path)

        # the link opened again: already rated, no second rating possible
        await page.reload()
        await page.wait_for_selector("#thanks:not([hidden])")
        assert "đã được đánh giá: Hài lòng" in await page.inner_text("#thanks")

        # a ticket still waiting cannot be rated: the server's words, no buttons
        await page.goto(f"{base}/danh-gia/{waiting['public_id']}")
        await page.wait_for_selector("#error:not([hidden])")
        assert await page.inner_text("#error") == ERRORS["not_ratable"].vi
        assert await page.is_hidden("#scale")

        # English on a desktop: the scale's English words
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/en/rating/{ticket['public_id']}")
        await page.wait_for_selector("#thanks:not([hidden])")
        assert "rated already: Satisfied" in await page.inner_text("#thanks")
        await browser.close()
        for p in (kiosk, counter):
            await p.close()


async def test_a_rating_tapped_twice_at_once_counts_once(tmp_path: Path):
    """Two taps before the answer: the buttons are off after the first, the server keeps
    one rating per ticket either way."""
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        ticket = (await kiosk.request("issue", service=BIRTH, request_id="r1"))["ticket"]
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=9)
        await counter.request("call_next")
        await counter.request("finish")
        browser, _context, page = await browser_page(pw, PHONE)
        await page.goto(f"{base}/danh-gia/{ticket['public_id']}")
        await page.wait_for_selector("#ticket:not([hidden])")
        await page.evaluate(
            "document.querySelectorAll('#scale .scale-button').forEach(b => b.click())"
        )
        await page.wait_for_selector("#thanks:not([hidden])")
        assert "Rất hài lòng" in await page.inner_text("#thanks")
        assert server.state.tickets[ticket["id"]].rating == "rat-hai-long"
        await browser.close()
        for p in (kiosk, counter):
            await p.close()


async def test_supervisors_read_the_outbox_and_send_a_failed_message_again(tmp_path: Path):
    gateway = SmsGateway(api_key="another-key")  # the provider refuses ours: HTTP 401
    await gateway.start()
    db = tmp_path / "q.db"
    try:
        async with (
            running_server(db, messaging_site({"sms": gateway_channel(gateway.url)})) as (
                base,
                server,
            ),
            playwright.async_playwright() as pw,
        ):
            kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
            first = (await kiosk.request("issue", service="khai-sinh", request_id="o1"))["ticket"]
            await kiosk.request(
                "notify_me", ticket=first["public_id"], phone="0912345678", consent=True
            )
            await until(lambda: outbox_rows(db, "state = 'failed'"), what="the failure")
            gateway.api_key = "test-api-key"
            second = (await kiosk.request("issue", service="khai-sinh", request_id="o2"))["ticket"]
            await kiosk.request(
                "notify_me", ticket=second["public_id"], phone="0987654321", consent=True
            )
            await until(lambda: gateway.delivered, what="the second message")
            await add_officer(server, "giam-sat", role="supervisor")
            await add_officer(server, "an")
            browser, _context, page = await browser_page(pw, DESKTOP)

            await page.goto(f"{base}/tin-nhan")
            assert await page.is_visible("#login") and await page.is_hidden("#outbox")
            await page.fill("#username", "an")  # an officer may not read it
            await page.fill("#password", PASSWORD)
            await page.click("#login button")
            await page.wait_for_selector("#error:not([hidden])")
            assert "Không có quyền" in await page.inner_text("#error")
            await page.fill("#username", "giam-sat")
            await page.fill("#password", PASSWORD)
            await page.click("#login button")
            await page.wait_for_selector("#messages tbody tr")
            rows = await page.locator("#messages tbody tr").all_inner_texts()
            assert len(rows) == 2
            failed_row = page.locator("#messages tbody tr.state-failed")
            failed = await failed_row.inner_text()
            assert "Sắp đến lượt" in failed and "Không gửi được" in failed
            assert "09xx xxx 678" in failed and "0912345678" not in await page.content()
            assert "HTTP 401" in failed
            assert "Đã gửi" in await page.locator("#messages tr.state-sent").inner_text()
            assert "Không gửi được (1)" in await page.inner_text("#state")
            await shot(page, "outbox", tmp_path)

            await page.select_option("#state", "failed")
            await page.wait_for_function(
                "document.querySelectorAll('#messages tbody tr').length === 1"
            )
            await failed_row.locator("button.resend").click()
            await page.wait_for_function(
                "document.getElementById('status').textContent.includes('gửi lại')"
            )
            await until(lambda: len(gateway.delivered) == 2, what="the failed one, sent again")
            await until(lambda: not outbox_rows(db, "state = 'failed'"), what="no failure left")

            await page.set_viewport_size(PHONE)
            await page.select_option("#state", "")
            await page.wait_for_function(
                "document.querySelectorAll('#messages tbody tr.state-sent').length === 2"
            )
            await shot(page, "outbox-phone", tmp_path)
            await page.click("a.lang")  # English, still signed in (the same tab)
            await page.wait_for_selector("#messages tbody tr")
            assert await page.inner_text("h1") == "Messages to citizens"
            assert "Turn near" in await page.inner_text("#messages")
            await page.set_viewport_size(DESKTOP)
            await shot(page, "outbox-en", tmp_path)
            await browser.close()
            await kiosk.close()
    finally:
        await gateway.close()
