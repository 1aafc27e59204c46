"""Booking a place through the JSON API, as the web page does; the small site taking
bookings."""

from __future__ import annotations

from typing import Any

import aiohttp

from queue_server.domain.config import SiteConfig
from tests.support.siteconfig import WEDNESDAY, small_site

TODAY, TOMORROW, SATURDAY = WEDNESDAY, "2026-05-28", "2026-05-30"
BOOKING = {
    "horizon_days": 7,
    "slot_minutes": 30,
    "default_capacity": 10,
    "cccd_services": ["dat-dai"],
    "requests_per_hour": 1000,
    "retention_days": 30,
}


def site(**booking: Any) -> SiteConfig:
    """The small site, taking bookings (`BOOKING`, changed by `booking`)."""
    return small_site(booking=BOOKING | booking)


def request(service="khai-sinh", day=TOMORROW, time="09:00", phone="0912345678", **kw):
    """The body of `POST /api/bookings`."""
    return {
        "service": service,
        "day": day,
        "time": time,
        "name": "Nguyễn Văn An",
        "phone": phone,
        "consent": True,
        "notice_version": "2026-01",
        **kw,
    }


async def post(http: aiohttp.ClientSession, base: str, path: str, body) -> tuple[int, Any]:
    async with http.post(base + path, json=body) as resp:
        return resp.status, await resp.json()


async def book(
    base: str, service: str, day: str, slot: str, phone: str = "0912345678"
) -> dict[str, Any]:
    """Book a place; the booking."""
    async with aiohttp.ClientSession() as http:
        status, answer = await post(http, base, "/api/bookings", request(service, day, slot, phone))
    assert status == 201, answer
    return answer["booking"]
