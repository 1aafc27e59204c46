"""Issue 15 on the web hall (/hall, real headless Chromium): the site's notice line, its
voice style and a counter's zone, changed through the admin API of the running server,
are taken on live from the `config` event; the announcement is fetched in the new
style, and the server's wave for it differs. Nothing clipped at 1920×1080 or 1366×768.

Set XEPHANG_SCREENSHOTS=1 to write web-hall-notice-*.png to docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

from tests.counter_display.test_hall_settings import NOTICE, NOTICE_EN, hall_settings
from tests.server.test_web_pages import ARGS, CHROMIUM
from tests.support import SHOTS
from tests.support.admin import change_config
from tests.support.servers import KIOSK_TOKEN, add_officer, login, peer, running_server

playwright = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
    pytest.mark.timeout(120),
]

NOTHING_CLIPPED = """() => {
  const over = (el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  const page = document.documentElement;
  return !over(page) && !over(document.getElementById("newest")) &&
    ![...document.querySelectorAll(".to span, #recent td, #recent .zone")].some(
      (el) => el.scrollWidth > el.clientWidth + 1);
}"""


async def test_the_web_hall_follows_notice_voice_and_zone_live(tmp_path):
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        playwright.async_playwright() as pw,
        aiohttp.ClientSession() as http,
    ):
        await add_officer(server, "quan-tri", "admin")
        await add_officer(server, "an")
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        tickets = [
            (await kiosk.request("issue", service="giay-phep-lai-xe", request_id=f"r{n}"))["ticket"]
            for n in range(4)
        ]
        counter = await peer(base, "counter", await login(base, "an"), counter=21)
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        hall = await browser.new_page(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        await hall.goto(f"{base}/hall")
        await hall.wait_for_function("document.getElementById('notice').textContent.length > 0")
        assert "Công dân vui lòng theo dõi" in await hall.inner_text("#notice")
        async with hall.expect_request(lambda r: "/api/announcements/1001/" in r.url) as first:
            await counter.request("call_next")
        assert (await first.value).url.endswith("?voice=bac")

        await change_config(base, hall_settings)
        await hall.wait_for_function(
            "expected => document.getElementById('notice').textContent === expected",
            arg=f"{NOTICE}   •   {NOTICE_EN}",
        )
        await hall.wait_for_function(  # the newest call's counter, now with its zone
            "document.getElementById('to-vi').textContent.endsWith('Tầng 2, khu B')"
        )
        assert await hall.inner_text("#to-en") == "to counter 21, Floor 2, zone B"
        await counter.request("call_next")  # 1002: queued while 1001 is still being read
        await hall.wait_for_function(
            "window.hallAudioQueue.some((u) => u.startsWith('/api/announcements/1002/'))"
        )
        queued = await hall.evaluate("window.hallAudioQueue")
        assert [u for u in queued if "/1002/" in u] == ["/api/announcements/1002/21.wav?voice=nam"]
        # the server reads it the southern way: another wave than the northern one
        waves = {}
        for voice in ("bac", "nam"):
            async with http.get(f"{base}/api/announcements/1005/21.wav?voice={voice}") as resp:
                assert resp.status == 200
                waves[voice] = await resp.read()
        assert waves["bac"] != waves["nam"]
        async with http.get(f"{base}/api/announcements/1005/21.wav?voice=trung") as resp:
            assert resp.status == 404

        # the citizen's phone, following 1003: the call says where the counter is
        phone = await browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
        await phone.goto(f"{base}/t/{tickets[2]['public_id']}")
        await phone.wait_for_selector("#conn:not(:has-text('…'))", state="attached")
        await counter.request("call_next")  # 1003: the zone in the list under 21
        await phone.wait_for_selector("#called:not([hidden])")
        assert await phone.inner_text("#called-counter") == "21, Tầng 2, khu B"
        await hall.wait_for_function("document.querySelector('#recent .zone') !== null")
        shots = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") == "1" else tmp_path
        for width, height in ((1920, 1080), (1366, 768)):
            await hall.set_viewport_size({"width": width, "height": height})
            assert await hall.evaluate(NOTHING_CLIPPED), f"clipped at {width}×{height}"
            path = Path(shots) / f"web-hall-notice-{width}x{height}.png"
            await hall.screenshot(path=str(path))
            assert path.stat().st_size < 300_000
        await browser.close()
        for p in (kiosk, counter):
            await p.close()
