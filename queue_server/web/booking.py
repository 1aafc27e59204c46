"""Online booking at the edge: the JSON API, the kiosk's `checkin`, abuse limits, purging.

The rules live in `domain/booking.py` and `domain/state.py`; here requests are
read, the citizen's details checked (a refusal stores nothing), random codes
chosen, and the check-and-book handed to the single writer as one command, so
a slot is never oversold however many people take its last place at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import secrets
import time
from typing import Any

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.core.ratelimit import RateLimit
from queue_server.domain import commands as c
from queue_server.domain.booking import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Booking,
    BookingStatus,
    bookable,
    booking_days,
    checkin_window,
    find_slot,
    format_code,
    normalize_cccd,
    normalize_code,
    normalize_name,
    normalize_phone,
    slots,
)
from queue_server.domain.config import SiteConfig
from queue_server.domain.events import ConfigChanged, DayStarted, Event
from queue_server.domain.hours import local_time
from queue_server.web.calendar import booking_ics
from queue_server.web.responses import error_response, json_answer, json_body
from vntext import WEEKDAYS_EN, WEEKDAYS_VI

log = logging.getLogger(__name__)


def purpose_notice(config) -> dict[str, str]:
    """What is collected, why and for how long (Law 91/2025/QH15, Decree 356/2025)."""
    days = config.booking.retention_days
    site = config.site
    return {
        "version": config.booking.notice_version,
        "vi": (
            f"{site.name} thu thập họ tên, số điện thoại di động và (chỉ với dịch vụ cần) số "
            "căn cước công dân của Ông/Bà để giữ chỗ, nhận diện lịch hẹn khi Ông/Bà đến và "
            "liên hệ khi lịch hẹn thay đổi. Dữ liệu không dùng cho mục đích khác, không chia "
            f"sẻ cho bên thứ ba và được xoá {days} ngày sau ngày hẹn. Ông/Bà có thể huỷ lịch "
            "hẹn bất cứ lúc nào bằng liên kết được cấp; khi huỷ, dữ liệu cũng được xoá theo "
            "thời hạn trên."
        ),
        "en": (
            f"{site.name_en} collects your name, mobile number and (only for services "
            "that need it) your citizen ID number to hold your place, recognise your "
            "booking when you arrive and contact you if it changes. The data is used for "
            f"nothing else, shared with no one, and erased {days} days after the booked "
            "day. You can cancel at any time with the link you receive."
        ),
    }


def qr_svg(text: str) -> str:
    """The QR code as inline SVG (no image file, no outside service)."""
    # Imported here: qrcode brings Pillow (≈ 5 MB of RSS) into a server that draws a
    # QR only when a booking is made (tests/server/test_idle_imports.py).
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    out = io.BytesIO()
    img.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration: it goes inside HTML


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class BookingDesk:
    """HTTP booking API and the kiosk's check-in, for one site."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        # every booking and cancel request (a generous ceiling: typos cost little)…
        self.limit = RateLimit(self.config.booking.requests_per_hour)
        # …and the bookings accepted, per address (many phones share one on mobile data)
        self.accepted = RateLimit(self.config.booking.bookings_per_address_per_hour)
        self._purging: set[asyncio.Task] = set()

    @property
    def config(self) -> SiteConfig:
        return self.ctx.config  # changes live (/quan-tri)

    async def start(self, _app: web.Application | None = None) -> None:
        self.ctx.engine.subscribe(self._on_batch)
        self._purge()

    # ----- reading ----------------------------------------------------------

    def _service_list(self) -> list[dict[str, Any]]:
        cfg = self.config
        return [
            {
                "id": s.id,
                "name": s.name,
                "name_en": s.name_en,
                "sector": s.sector,
                "needs_cccd": s.id in cfg.booking.cccd_services,
            }
            for s in cfg.services.values()
            if bookable(cfg, s.id)
        ]

    def options(self, now: float) -> dict[str, Any]:
        cfg = self.config
        return {
            "services": self._service_list(),
            "sectors": [
                {"id": s.id, "name": s.name, "name_en": s.name_en} for s in cfg.sectors.values()
            ],
            "days": [
                {
                    "day": d.isoformat(),
                    "weekday": WEEKDAYS_VI[d.weekday()],
                    "weekday_en": WEEKDAYS_EN[d.weekday()],
                    "label": f"{d:%d/%m}",
                }
                for d in booking_days(cfg, now)
            ],
            "notice": purpose_notice(cfg),
            "checkin_before_minutes": cfg.booking.checkin_before_minutes,
            "checkin_after_minutes": cfg.booking.checkin_after_minutes,
        }

    def slot_list(self, service: str, day: str, now: float) -> list[dict[str, Any]]:
        if not bookable(self.config, service):
            raise QueueError(
                "not_bookable" if service in self.config.services else "unknown_service", service
            )
        date = self._day(day, now)
        book = self.ctx.state.bookings
        return [
            {
                "time": s.label,
                "start": s.start,
                "places": s.places,
                "remaining": max(0, s.places - book.taken(service, s.start)),
            }
            for s in slots(self.config, service, date)
            if s.start > now
        ]

    def _day(self, day: str, now: float) -> dt.date:
        try:
            date = dt.date.fromisoformat(day)
        except (TypeError, ValueError):
            raise QueueError("booking_day_closed", str(day)[:20]) from None
        if date not in booking_days(self.config, now):
            raise QueueError("booking_day_closed", day)
        return date

    def booking_view(self, booking: Booking) -> dict[str, Any]:
        service = self.config.services[booking.service]
        opens, closes = checkin_window(self.config, booking.slot_at)
        site = self.config.site
        slot = local_time(site, booking.slot_at)
        return {
            "code": booking.code,
            "code_display": format_code(booking.code),
            "service": service.id,
            "service_name": service.name,
            "service_name_en": service.name_en,
            "day": booking.day,
            "weekday": WEEKDAYS_VI[slot.weekday()],
            "weekday_en": WEEKDAYS_EN[slot.weekday()],
            "date": f"{slot:%d/%m/%Y}",
            "time": f"{slot:%H:%M}",
            "slot_at": booking.slot_at,
            "checkin_from": f"{local_time(site, opens):%H:%M}",
            "checkin_until": f"{local_time(site, closes):%H:%M}",
            "status": booking.status.value,
        }

    # ----- HTTP -------------------------------------------------------------

    async def get_options(self, _request: web.Request) -> web.Response:
        return json_answer(self.options(self.ctx.clock()))

    async def get_slots(self, request: web.Request) -> web.Response:
        service, day = request.query.get("service", ""), request.query.get("day", "")
        try:
            found = self.slot_list(service, day, self.ctx.clock())
        except QueueError as err:
            return error_response(err)
        return json_answer({"service": service, "day": day, "slots": found})

    async def post_booking(self, request: web.Request) -> web.Response:
        now, address, moment = self.ctx.clock(), request.remote or "?", time.monotonic()
        if not self.limit.allow(address, moment) or self.accepted.full(address, moment):
            return error_response(QueueError("too_many_requests"))
        try:
            command, key = self._book_command(await json_body(request), now)
            await self.ctx.engine.submit(command)
        except QueueError as err:
            return error_response(err)
        self.accepted.allow(address, moment)  # only a booking made counts here
        booking = self.ctx.state.bookings.by_code[command.code]
        log.info("booking %s for %s at %s", booking.code, booking.service, booking.day)
        return json_answer(
            {
                "booking": self.booking_view(booking),
                "qr_svg": qr_svg(booking.code),
                "cancel_key": key,
            },
            status=201,
        )

    def _book_command(self, body: dict[str, Any], now: float) -> tuple[c.BookSlot, str]:
        """The command for a booking request, or the refusal of every bad field at once
        (`FormErrors`: the first one's code, and `fields` naming each)."""
        messages = body.get("messages", False)  # the confirmation and reminders by SMS
        if not isinstance(messages, bool):
            raise QueueError("bad_request", "'messages' must be true or false")
        service = _text(body, "service")
        if not bookable(self.config, service):
            raise QueueError(
                "not_bookable" if service in self.config.services else "unknown_service", service
            )
        wrong: list[tuple[str, QueueError]] = []

        def field(name: str, check: Any, *args: Any) -> Any:
            try:
                return check(*args)
            except QueueError as err:
                wrong.append((name, err))
                return None

        name = field("name", normalize_name, _text(body, "name"))
        phone = field("phone", normalize_phone, _text(body, "phone"))
        cccd = None
        if service in self.config.booking.cccd_services:  # only where it is needed
            cccd = field("cccd", normalize_cccd, _text(body, "cccd"))
        if body.get("consent") is not True:
            wrong.append(("consent", QueueError("consent_required")))
        elif body.get("notice_version") != self.config.booking.notice_version:
            wrong.append(
                ("consent", QueueError("consent_required", "the notice has changed; read it again"))
            )
        if wrong:
            raise FormErrors(wrong)
        assert name is not None and phone is not None
        date = self._day(_text(body, "day"), now)
        slot = self._slot(service, date, _text(body, "time"))
        key = secrets.token_urlsafe(18)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        return c.BookSlot(
            actor="web",
            code=code,
            service=service,
            day=date.isoformat(),
            slot_at=slot,
            name=name,
            phone=phone,
            cccd=cccd,
            notice_version=self.config.booking.notice_version,
            cancel_hash=_hash(key),
            cancel_key=key,  # for the confirmation message's link; not stored
            messages=messages,
        ), key

    def _slot(self, service: str, date: dt.date, label: str) -> float:
        try:
            start = dt.time.fromisoformat(label)
        except ValueError:
            raise QueueError("bad_slot", label[:20]) from None
        at = dt.datetime.combine(date, start, self.config.site.tz).timestamp()
        if find_slot(self.config, service, date, at) is None:
            raise QueueError("bad_slot", f"{date} {label}")
        return at

    async def post_cancel(self, request: web.Request) -> web.Response:
        if not self.limit.allow(request.remote or "?", time.monotonic()):
            return error_response(QueueError("too_many_requests"))
        try:
            code = normalize_code(request.match_info["code"])
            body = await json_body(request)
            await self.ctx.engine.submit(
                c.CancelBooking(actor="web", code=code, cancel_hash=_hash(_text(body, "key")))
            )
        except QueueError as err:
            return error_response(err)
        log.info("booking %s cancelled", code)
        return json_answer({"booking": self.booking_view(self.ctx.state.bookings.by_code[code])})

    async def get_ics(self, request: web.Request) -> web.Response:
        """The booking as a calendar event; anyone holding the code (no personal data)."""
        try:
            code = normalize_code(request.match_info["code"])
        except QueueError as err:
            return error_response(err)
        booking = self.ctx.state.bookings.get(code)
        if booking is None or booking.status is BookingStatus.CHECKED_IN:
            return error_response(QueueError("unknown_booking", code))
        # a cancelled booking: the calendar's cancellation of the same event
        text = booking_ics(
            self.config,
            self.booking_view(booking),
            self.ctx.clock(),
            base_url=f"{request.scheme}://{request.host}",
        )
        return web.Response(
            text=text,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="lich-hen-{code}.ics"'},
        )

    # ----- the kiosk --------------------------------------------------------

    async def checkin_card(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`checkin_card`: the kiosk read an ID card; today's booking made with that CCCD
        is checked in as if its code had been scanned. The number is compared with what
        the bookings hold and kept nowhere (the event names the booking's code)."""
        cccd = normalize_cccd(fields["cccd"])
        code = self.ctx.state.bookings.for_card(cccd, self.ctx.engine.today())
        return await self._checkin(conn, code, fields["request_id"])

    async def checkin(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`checkin` over the protocol: a booking code becomes a ticket (see docs)."""
        return await self._checkin(conn, normalize_code(fields["code"]), fields["request_id"])

    async def _checkin(self, conn: Connection, code: str, request_id: str) -> dict[str, Any]:
        outcome = await self.ctx.engine.submit(
            c.CheckIn(
                actor=conn.actor,
                code=code,
                request_id=request_id,
                public_id=self.ctx.engine.new_public_id(),
            )
        )
        booking = self.ctx.state.bookings.get(code)
        view = self.booking_view(booking) if booking else {"code": code}
        late = bool(booking and booking.late)
        if late:
            message = (
                f"Ông/Bà đến sau giờ hẹn {view['time']}. Số của Ông/Bà được xếp như số "
                "lấy trực tiếp tại quầy. Xin cảm ơn Ông/Bà đã thông cảm.",
                f"You arrived after your {view['time']} booking, so your number "
                "queues like a walk-in ticket. Thank you for understanding.",
            )
        else:
            message = (
                f"Đã nhận lịch hẹn {view.get('time', '')}. Số của Ông/Bà được xếp theo giờ hẹn.",
                "Booking checked in: your number queues by your booked time.",
            )
        return {
            "ticket": outcome.ticket,
            "checkin": {**view, "late": late, "message": message[0], "message_en": message[1]},
        }

    # ----- personal data ----------------------------------------------------

    def _on_batch(self, events: list[Event], _state) -> Any:
        if any(isinstance(ev, ConfigChanged) for ev in events):
            self._follow_limits()
        if any(isinstance(ev, DayStarted) for ev in events):
            return self._purge
        return None

    def _follow_limits(self) -> None:
        """The rate limits of `[booking]` as the configuration now says (/quan-tri, live);
        what each address has already used still counts."""
        booking = self.config.booking
        self.limit.limit = booking.requests_per_hour
        self.accepted.limit = booking.bookings_per_address_per_hour

    def _purge(self) -> None:
        """Erase the details of bookings older than the retention period (daily reset)."""
        today = dt.date.fromisoformat(self.ctx.engine.today())
        cutoff = today - dt.timedelta(days=self.config.booking.retention_days)
        task = asyncio.create_task(self.purge(cutoff.isoformat()))
        self._purging.add(task)
        task.add_done_callback(self._purging.discard)

    async def purge(self, before_day: str) -> int:
        try:
            count = await self.ctx.store.purge_personal_data(before_day, self.ctx.clock())
        except Exception:
            log.exception("purging personal data failed; it runs again at the next reset")
            return 0
        if count:
            log.info("personal data of %d bookings before %s erased", count, before_day)
        return count


class FormErrors(QueueError):
    """Every bad field of a form at once: the first one's code and message, and
    `fields`: [{field, code, message, message_en}] for the page to show each."""

    def __init__(self, wrong: list[tuple[str, QueueError]]) -> None:
        first = wrong[0][1]
        super().__init__(first.code, first.detail)
        self.fields = wrong

    def to_dict(self) -> dict[str, Any]:
        fields = [
            {"field": name, "code": e.code, "message": e.message, "message_en": e.message_en}
            for name, e in self.fields
        ]
        return {**super().to_dict(), "fields": fields}


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise QueueError("bad_request", f"{key!r} must be text")
    return value.strip()[:200]
