"""Wires the citizens' side into the app: booking API, check-in, tracking, pages, hall voice.

| path | what |
|---|---|
| `/dat-lich`, `/en/booking` | book a number online |
| `/dat-lich/huy/{code}`, `/en/booking/cancel/{code}` | cancel (the key is in the `#k=` fragment) |
| `/t/{public_id}`, `/en/t/{public_id}` | follow a ticket live (the QR on every ticket) |
| `/hall` | the hall display in a browser (public, read-only) |
| `/bao-cao`, `/en/report` | the leaders' report (its data: `queue_server.web.reports`, signed in) |
| `GET /api/booking/options`, `GET /api/booking/slots` | what can be booked, free places |
| `POST /api/bookings`, `POST /api/bookings/{code}/cancel` | book, cancel |
| `GET /api/bookings/{code}.ics` | the booking as an event for the phone's calendar |
| `GET /api/announcements/{number}/{counter}.wav` | the spoken call, as the Qt hall says it |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from queue_server.web.booking import BookingDesk
from queue_server.web.pages import FONT_DIR, STATIC_DIR, Pages
from queue_server.web.tracking import Tracker

if TYPE_CHECKING:
    from queue_server.app import QueueServer


def setup(app: web.Application, server: QueueServer) -> None:
    desk, tracker = BookingDesk(server), Tracker(server)
    pages = Pages(server, desk, tracker)
    server.handlers["checkin"] = desk.checkin
    server.handlers["track"] = tracker.track
    app.on_startup.extend([desk.start, tracker.start])  # after the server's own start
    app.on_shutdown.append(tracker.stop)
    r = app.router
    for path in ("/dat-lich", "/en/booking"):
        r.add_get(path, pages.booking)
    for path in ("/dat-lich/huy/{code}", "/en/booking/cancel/{code}"):
        r.add_get(path, pages.cancel)
    for path in ("/t/{public_id}", "/en/t/{public_id}"):
        r.add_get(path, pages.track)
    r.add_get("/hall", pages.hall)
    for path in ("/bao-cao", "/en/report"):
        r.add_get(path, pages.report)
    r.add_get("/api/booking/options", desk.get_options)
    r.add_get("/api/booking/slots", desk.get_slots)
    r.add_post("/api/bookings", desk.post_booking)
    r.add_post("/api/bookings/{code}/cancel", desk.post_cancel)
    r.add_get("/api/bookings/{code}.ics", desk.get_ics)
    r.add_get("/api/announcements/{number}/{counter}.wav", pages.announcement)
    r.add_static("/static/", STATIC_DIR)
    r.add_static("/fonts/", FONT_DIR)
