"""The citizens' pages in real headless Chromium: book, check in, track, the hall.

Set XEPHANG_SCREENSHOTS=1 to write the pages' pictures to docs/screenshots/web-*.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

from tests.support import SHOTS
from tests.support.booking import TODAY, post, request, site
from tests.support.clock import FakeClock
from tests.support.servers import (
    KIOSK_TOKEN,
    PASSWORD,
    RATING_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.siteconfig import SMALL_SITE_KIOSK, WEDNESDAY_9AM

playwright = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
PHONE = {"width": 390, "height": 844}
TV = {"width": 1920, "height": 1080}


async def shot(page, name: str, tmp_path: Path) -> None:
    target = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") else tmp_path
    path = target / f"web-{name}.png"
    await page.screenshot(path=str(path))
    assert path.stat().st_size < 300_000


async def test_book_check_in_track_and_hall_in_a_browser(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM - 3600)  # 08:00 on a working Wednesday
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, server),
        playwright.async_playwright() as pw,
        aiohttp.ClientSession() as http,
    ):
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        outside: list[str] = []
        # bypass_csp: the pages forbid eval, which Playwright's wait_for_function uses
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=1, locale="vi-VN", bypass_csp=True
        )
        context.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page = await context.new_page()

        # ----- book: search without marks, choose day and time, details, consent
        await page.goto(f"{base}/dat-lich")
        assert await page.get_attribute("html", "lang") == "vi"
        await page.fill("#search", "khai sinh")
        assert not await page.is_visible("label[for=svc-ket-hon]")
        await page.click("label[for=svc-khai-sinh]")
        await page.click(f"label[for=day-{TODAY}]")
        await page.wait_for_selector("label[for=slot-0900]")
        assert "còn 10 chỗ" in await page.inner_text("label[for=slot-0900]")
        await page.click("label[for=slot-0900]")
        await page.fill("#name", "Trần Thị Bình")
        await page.fill("#phone", "+84 912 345 678")
        await page.click("#submit")  # no consent yet: refused, nothing stored
        await page.wait_for_selector("#error:not([hidden])")
        assert "đồng ý" in await page.inner_text("#consent-error")
        await page.check("#consent")
        await page.evaluate("window.scrollTo(0, 0)")
        await shot(page, "booking", tmp_path)
        await page.evaluate("document.getElementById('step-time').scrollIntoView()")
        await shot(page, "booking-details", tmp_path)
        await page.click("#submit")
        await page.wait_for_selector("#done:not([hidden])")
        code = (await page.inner_text("#done-code")).replace("-", "")
        assert len(code) == 8
        assert await page.is_visible("#done-qr svg")
        assert "09:00" in await page.inner_text("#done-when")
        await shot(page, "booking-done", tmp_path)
        async with page.expect_download() as download:  # into the phone's calendar
            await page.click("#done-ics")
        event = Path(await (await download.value).path()).read_text(encoding="utf-8")
        assert "DTSTART:20260527T020000Z" in event  # 09:00 in the centre's zone
        cancel_link = await page.get_attribute("#done-cancel", "href")
        assert cancel_link.startswith(f"/dat-lich/huy/{code}#k=")

        # ----- check in at 09:05 over the protocol, after a walk-in at 09:02
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        clock.now = WEDNESDAY_9AM + 120
        walk_in = (await kiosk.request("issue", service="khai-sinh", request_id="w"))["ticket"]
        clock.now = WEDNESDAY_9AM + 300
        checked = await kiosk.request("checkin", code=code, request_id="c")
        ticket = checked["ticket"]
        assert ticket["ahead"] == 0 and not checked["checkin"]["late"]

        # ----- track it on the phone; a counter calls it: "Mời đến quầy số 1"
        await page.goto(f"{base}/t/{ticket['public_id']}")
        await page.wait_for_function(
            "document.getElementById('conn').textContent.includes('trực tiếp')"
        )
        assert await page.inner_text("#number") == ticket["number"]
        assert await page.inner_text("#ahead") == "Không ai"
        await shot(page, "track", tmp_path)
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        for conn in [c for c in server.hub.connections if c.role == "public"]:
            await conn.close(1001, b"the phone slept")  # it reconnects and asks again
        assert (await counter.request("call_next"))["ticket"]["number"] == ticket["number"]
        await page.wait_for_selector("#called:not([hidden])", timeout=10_000)
        assert "Mời đến quầy số" in await page.inner_text("#called")
        assert await page.inner_text("#called-counter") == "1"
        await shot(page, "track-called", tmp_path)

        # ----- the hall on a TV: the next call appears and its voice is fetched
        hall = await browser.new_page(viewport=TV, bypass_csp=True)
        await hall.goto(f"{base}/hall")
        await hall.wait_for_function(
            f"document.getElementById('newest-number').textContent === '{ticket['number']}'"
        )
        async with hall.expect_response(lambda r: "/api/announcements/" in r.url) as wav:
            await counter.request("call_next")
            await hall.wait_for_function(
                f"document.getElementById('newest-number').textContent === '{walk_in['number']}'"
            )
        assert (await wav.value).status == 200
        for n in range(3):  # a few more calls, for a fuller screen
            await kiosk.request("issue", service="ket-hon", request_id=f"more{n}")
        counter2 = await peer(base, "counter", await login(base, "an"), counter=2)
        for _ in range(3):
            last = (await counter2.request("call_next"))["ticket"]["number"]
        await hall.wait_for_function(
            f"document.getElementById('newest-number').textContent === '{last}'"
        )
        assert ticket["number"] in await hall.inner_text("#recent")
        assert "đến Quầy 2" in await hall.inner_text("#newest")
        await hall.wait_for_function(  # the server's clock in the site's zone, not the TV's
            "document.getElementById('time').textContent.startsWith('09:0')"
        )
        assert "27/05/2026" in await hall.inner_text("#date")
        await shot(hall, "hall", tmp_path)

        # ----- cancel page (another booking), in English
        other = (await post(http, base, "/api/bookings", request(phone="0987654321")))[1]
        await page.goto(
            f"{base}/en/booking/cancel/{other['booking']['code']}#k={other['cancel_key']}"
        )
        assert await page.get_attribute("html", "lang") == "en"
        await page.click("#cancel")
        await page.wait_for_selector("#result:not([hidden])")
        assert "cancelled" in await page.inner_text("#result")
        await shot(page, "cancel", tmp_path)

        assert outside == []  # nothing fetched from outside the server
        await page.evaluate("document.fonts.ready")
        assert await page.evaluate("document.fonts.check('700 16px \"Noto Sans\"', 'Việt')")
        loaded = await page.evaluate(
            "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
        )
        assert "Noto Sans" in " ".join(loaded)
        for p in (kiosk, counter, counter2):
            await p.close()
        await browser.close()


async def test_the_hall_reads_the_calls_it_missed_while_cut_off(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM)
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, server),
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        hall = await browser.new_page(viewport=TV, bypass_csp=True)
        voice: list[str] = []
        hall.on(
            "request",
            lambda r: "/api/announcements/" in r.url and voice.append(r.url.rsplit("/", 2)[1]),
        )
        network_up = True

        async def wire(route) -> None:  # the TV's network: through, or down
            if network_up:
                route.connect_to_server()
            else:
                await route.close(code=1006)

        await hall.route_web_socket("**/ws", wire)
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        numbers = [
            (await kiosk.request("issue", service="khai-sinh", request_id=f"r{n}"))["ticket"][
                "number"
            ]
            for n in range(4)
        ]
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        await counter.request("call_next")  # before the TV is on: shown, not read
        await hall.goto(f"{base}/hall")
        await hall.wait_for_function(
            f"document.getElementById('newest-number').textContent === '{numbers[0]}'"
        )
        clock.now += 30
        await counter.request("call_next")  # heard live
        await hall.wait_for_function(
            f"document.getElementById('newest-number').textContent === '{numbers[1]}'"
        )
        network_up = False
        for conn in [c for c in server.hub.connections if c.role == "public"]:
            await conn.close(1001, b"the network blips")
        await hall.wait_for_selector("#banner:not([hidden])")
        for _ in range(2):  # called while the TV is cut off
            clock.now += 30
            await counter.request("call_next")
        assert await hall.is_visible("#banner")
        network_up = True
        await hall.wait_for_function(
            f"document.getElementById('newest-number').textContent === '{numbers[3]}'",
            timeout=20_000,
        )
        # Every call since the TV came on is read once, in the order called (read or in
        # the voice's queue); the call from before it came on was never news.
        queued = await hall.evaluate("window.hallAudioQueue.map((u) => u.split('/')[3])")
        assert voice + [n for n in queued if n not in voice] == numbers[1:]
        await kiosk.close()
        await counter.close()
        await browser.close()


async def a_busy_morning(base: str, server, clock: FakeClock) -> int:
    """07:30–11:30 at three counters of the sample centre: tickets, calls, finishes,
    no-shows and ratings, by the protocol. Returns how many tickets were issued."""
    counters = {5: "bien-dong-dat-dai", 9: "khai-sinh-khai-tu", 21: "giay-phep-lai-xe"}
    kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
    staff, pads, since = {}, {}, {}
    names = ["Nguyễn Thị Hoa", "Trần Văn Bình", "Lê Minh Châu"]
    for n, (counter, _) in enumerate(counters.items()):
        await add_officer(server, f"can-bo-{n + 1}", full_name=names[n])
        staff[counter] = await peer(
            base, "counter", await login(base, f"can-bo-{n + 1}"), counter=counter
        )
        pads[counter] = await peer(base, "rating", RATING_TOKEN, counter=counter)
    ratings = [
        "rat-hai-long",
        "hai-long",
        "rat-hai-long",
        "binh-thuong",
        "hai-long",
        "khong-hai-long",
    ]
    start, issued, done = clock.now, 0, 0
    for step in range(80):  # every 3 minutes
        clock.now = start + step * 180
        busy = 2 if 18 <= step < 50 else 1  # the morning rush
        for k in range(busy):
            service = list(counters.values())[(step + k) % 3]
            await kiosk.request("issue", service=service, request_id=f"m{step}-{k}")
            issued += 1
        for counter, officer in staff.items():
            serving = since.get(counter)
            if serving is not None and clock.now - serving[1] >= 180 * (2 + counter % 3):
                done += 1
                if done % 9 == 0:
                    await officer.request("no_show")
                else:
                    await officer.request("finish")
                    await pads[counter].request(
                        "rate", number=serving[0], rating=ratings[done % len(ratings)]
                    )
                since.pop(counter)
            if counter not in since:
                called = await officer.request("call_next")
                if called["ok"]:
                    since[counter] = (called["ticket"]["number"], clock.now)
    for p in (kiosk, *staff.values(), *pads.values()):
        await p.close()
    return issued


async def test_the_leaders_report_in_a_browser(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM - 90 * 60)  # 07:30
    async with (
        running_server(tmp_path / "q.db", clock=clock) as (base, server),
        playwright.async_playwright() as pw,
    ):
        async with aiohttp.ClientSession() as http:  # one booking, for 10:00, never used
            status, answer = await post(
                http,
                base,
                "/api/bookings",
                request(service="giay-phep-lai-xe", day=TODAY, time="10:00"),
            )
            assert status == 201, answer
        issued = await a_busy_morning(base, server, clock)
        await add_officer(server, "lanh-dao", role="leader")
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(
            viewport={"width": 1440, "height": 900},
            locale="vi-VN",
            bypass_csp=True,
            accept_downloads=True,
        )
        page = await context.new_page()
        await page.goto(f"{base}/bao-cao")
        assert await page.is_visible("#login") and not await page.is_visible("#report")
        await shot(page, "report-login", tmp_path)
        # An officer's account may not read it: refused, still at the door
        await page.fill("#username", "can-bo-1")
        await page.fill("#password", PASSWORD)
        await page.click("#login button")
        await page.wait_for_selector("#error:not([hidden])")
        assert "Không có quyền" in await page.inner_text("#error")
        assert await page.is_visible("#login")
        await page.fill("#username", "lanh-dao")
        await page.fill("#password", PASSWORD)
        await page.click("#login button")
        await page.wait_for_selector("#tiles .tile")
        tiles = await page.inner_text("#tiles")
        assert f"{issued}\nSố đã cấp" in tiles and "Hài lòng (" in tiles
        assert "phút" in tiles
        assert "Lịch hẹn trực tuyến: 0 đã đến (0 trễ), 0 huỷ, 1 chưa đến" in tiles
        services = await page.inner_text("#services")
        for service in ("bien-dong-dat-dai", "khai-sinh-khai-tu", "giay-phep-lai-xe"):
            assert server.config.services[service].name in services
        assert await page.locator("#services tbody tr").count() == 3
        assert await page.locator("#officers tbody tr").count() == 3
        officers = await page.inner_text("#officers")
        assert "Nguyễn Thị Hoa (can-bo-1)" in officers
        assert "Mở quầy" in officers and "3 giờ 57 phút" in officers  # 07:30 to 11:27
        assert await page.locator("#hours .bar").count() == 5  # 07:00 … 11:00
        assert not await page.is_visible("#days-block")  # one day
        assert await page.inner_text("#now-summary") == "3 quầy đang mở, 0 tạm dừng, 29 đóng."
        staffed = await page.inner_text("#now")
        assert "Quầy 5\tĐang mở\tNguyễn Thị Hoa" in staffed
        await shot(page, "report", tmp_path)
        await page.screenshot(path=str(tmp_path / "report-full.png"), full_page=True)

        await page.emulate_media(media="print")  # on paper: figures, no buttons
        assert not await page.is_visible("#csv") and await page.is_visible("#tiles")
        await page.emulate_media(media="screen")

        async with page.expect_download() as download:
            await page.click("#csv")
        path = await (await download.value).path()
        text = Path(path).read_bytes()
        assert text.startswith("\ufeff".encode())
        assert len(text.decode("utf-8-sig").strip().splitlines()) == issued + 1

        # English, same tab: still signed in
        await page.click("a.lang")
        await page.wait_for_selector("#tiles .tile")
        assert await page.inner_text("h1") == "Activity report"
        assert "Tickets issued" in await page.inner_text("#tiles")
        assert "median wait" in await page.inner_text("#hours")
        await shot(page, "report-en", tmp_path)
        await page.click("#sign-out")
        assert await page.is_visible("#login")
        await browser.close()


async def test_the_tracking_page_says_when_the_turn_is_near(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        tickets = [
            (await kiosk.request("issue", service="khai-sinh", request_id=f"n{n}"))["ticket"]
            for n in range(5)
        ]
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport=PHONE, bypass_csp=True)
        await page.add_init_script(  # count the phone's vibrations
            "window.buzz = 0; navigator.vibrate = () => { window.buzz += 1; return true; };"
        )
        await page.goto(f"{base}/t/{tickets[4]['public_id']}")
        await page.wait_for_function("document.getElementById('ahead').textContent === '4'")
        assert not await page.is_visible("#near")

        async def call_and_see(ahead: str) -> None:
            assert (await counter.request("call_next"))["ok"]
            await page.wait_for_function(
                f"document.getElementById('ahead').textContent === '{ahead}'"
            )

        await call_and_see("3")
        assert not await page.is_visible("#near")
        await call_and_see("2")  # now it is near: said once, with a nudge
        assert await page.inner_text("#near") == (
            "Sắp đến lượt Ông/Bà: còn 2 người phía trước. Hãy quay lại gần khu vực các quầy."
        )
        assert await page.evaluate("window.buzz") == 1
        await shot(page, "track-near", tmp_path)
        await call_and_see("1")
        assert "còn 1 người" in await page.inner_text("#near")
        await call_and_see("Không ai")
        assert await page.inner_text("#near") == (
            "Ông/Bà là người kế tiếp. Hãy đến gần khu vực các quầy."
        )
        assert await page.evaluate("window.buzz") == 1  # no nudge at every step
        assert (await counter.request("call_next"))["ticket"]["number"] == tickets[4]["number"]
        await page.wait_for_selector("#called:not([hidden])")
        assert not await page.is_visible("#near")
        assert await page.evaluate("window.buzz") == 2  # the call itself
        for p in (kiosk, counter):
            await p.close()
        await browser.close()


async def test_booking_page_in_english_by_keyboard_alone(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM - 3600)) as (
            base,
            _,
        ),
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport=PHONE, bypass_csp=True)
        await page.goto(f"{base}/en/booking")
        assert await page.get_attribute("html", "lang") == "en"
        await page.keyboard.press("Tab")  # the skip link comes first
        assert await page.evaluate("document.activeElement.className") == "skip"
        await page.focus("#search")
        for query in ("đất", "DAT DAI", "dang ky dat"):  # with or without marks, any case
            await page.fill("#search", query)
            assert await page.is_visible("label[for=svc-dat-dai]")
            assert not await page.is_visible("label[for=svc-khai-sinh]")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")
        assert await page.is_checked("#svc-dat-dai")
        assert await page.is_visible("#cccd")  # this service asks for the CCCD
        await page.keyboard.press("Tab")  # to the days: arrows move between them
        await page.keyboard.press("ArrowRight")
        assert await page.evaluate("document.activeElement.name") == "day"
        assert await page.is_checked("#day-2026-05-28")
        await page.wait_for_selector("label[for=slot-0730]")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")
        assert await page.is_checked("#slot-0730")
        for field, value in (("#name", "Lê Văn Cường"), ("#phone", "0912345678"), ("#cccd", "123")):
            await page.keyboard.press("Tab")
            assert await page.evaluate("'#' + document.activeElement.id") == field
            await page.keyboard.type(value)
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "consent"
        await page.keyboard.press("Space")
        await page.keyboard.press("Enter")  # submits the form
        await page.wait_for_selector("#error:not([hidden])")
        assert "12 digits" in await page.inner_text("#cccd-error")
        assert await page.evaluate("document.activeElement.id") == "cccd"
        assert await page.get_attribute("#cccd", "aria-invalid") == "true"
        await browser.close()


async def test_the_tracking_page_never_says_soon_when_nobody_can_call(tmp_path):
    """Issue 12: with the only open counter paused, the page said "Sắp đến lượt" and showed
    a finished ticket as "Số đang được phục vụ". Now it says why nobody calls and until
    when, and shows only a number still at a counter."""
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, server),
        playwright.async_playwright() as pw,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        first, mine = [
            (await kiosk.request("issue", service="khai-sinh", request_id=f"s{n}"))["ticket"]
            for n in range(2)
        ]
        await add_officer(server, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        assert (await counter.request("call_next"))["ticket"]["number"] == first["number"]
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page(viewport=PHONE, bypass_csp=True)
        await page.goto(f"{base}/t/{mine['public_id']}")
        serving = "document.getElementById('serving').textContent"
        await page.wait_for_function(f"{serving} === '{first['number']}'")
        assert (await counter.request("finish"))["ok"]
        await page.wait_for_function(f"{serving} === '–'")  # finished: not "being served"
        assert (await counter.request("pause", reason="nghi-trua"))["ok"]
        await page.wait_for_selector("#calling:not([hidden])")
        assert await page.inner_text("#calling") == (
            "Các quầy đang nghỉ trưa, phục vụ lại lúc 09:30"  # paused at 09:00, 30 min allowed
        )
        assert await page.inner_text("#wait") == "khoảng 33 phút"  # 30 min, and those who go first
        await shot(page, "track-paused", tmp_path)
        for p in (kiosk, counter):
            await p.close()
        await browser.close()
