"""Look-ups by SMS: "STT A012", a booking code or "HS <mã hồ sơ>" texted in, the state
texted back.

Texts come from a modem's `+CMTI` (the channel calls `Lookups.answer`) or from a
gateway's webhook (`/api/sms/inbound`). The reply is an outbox row like any other
message (kind `lookup_reply`, sent back on the channel the text came in on), written
durably before the sender is woken. Each sender gets at most `inbound_per_hour`
answers: past that, texts are counted and dropped, so a loop between two automatic
senders cannot run up the bill.

A dossier's state is told only to the phone on the dossier (the sender's number is the
proof, as the last four digits are on the web page); to any other phone the answer is
the same "not found" as for a wrong code.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from collections.abc import Callable

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.core.ratelimit import RateLimit
from queue_server.core.store import INSERT_OUTBOX
from queue_server.domain.booking import Booking, BookingStatus, normalize_code
from queue_server.domain.dossiers import normalize_phone_digits
from queue_server.domain.lifecycle import TicketStatus
from queue_server.domain.state import Ticket
from queue_server.dossiers.desk import DossierDesk
from queue_server.outbox.channels.base import Inbound
from queue_server.outbox.compose import Composer
from vntext import fold

log = logging.getLogger(__name__)

_STT = re.compile(r"^(?:STT|SO)\s*[:#]?\s*(\S+)$")  # "STT A012", "stt: a012", "SO 1024"
_HS = re.compile(
    r"^HS\s*[:#]?\s*(\S+)$", re.IGNORECASE
)  # "HS BD-261203-0007", "hs: bd-261203-0007"


class Lookups:
    """Answers texted look-ups; `answer` is the channels' `on_inbound`."""

    def __init__(
        self,
        ctx: ServerContext,
        composer: Composer,
        wake: Callable[[], None],
        dossiers: DossierDesk | None = None,
    ) -> None:
        self.ctx, self.composer, self.wake = ctx, composer, wake
        self.dossiers = dossiers
        self.limit = RateLimit(ctx.config.messaging.inbound_per_hour)

    async def answer(self, inbound: Inbound) -> None:
        metrics = self.ctx.metrics.lookups
        if not self.limit.allow(inbound.sender, inbound.received_at):
            log.warning(
                "look-ups from %s over the hourly limit: not answered", _mask(inbound.sender)
            )
            metrics.labels("limited").inc()
            return
        dossier = await self.dossier_reply(inbound.text, inbound.sender)
        text_id, params = dossier or self.reply(inbound.text)
        metrics.labels("unknown" if text_id == "lookup_help" else "answered").inc()
        ctx = self.ctx
        row = (
            f"lookup:{inbound.channel}:{inbound.sender}:{inbound.received_at!r}",
            inbound.channel,
            "lookup_reply",
            inbound.sender,
            "vi",
            self.composer.text(inbound.channel, text_id, "vi", params),
            None,
            "{}",
            ctx.engine.today(),
            None,
            None,
            ctx.clock(),
            ctx.clock(),
        )
        await ctx.store.write(lambda conn: _insert(conn, row))
        self.wake()

    def reply(self, text: str) -> tuple[str, dict[str, str]]:
        """The catalogue text that answers `text`, and its parameters."""
        words = fold(text).upper().strip()
        match = _STT.match(words)
        wanted = match.group(1) if match else words.replace(" ", "")
        state = self.ctx.state
        ticket = next((t for t in state.tickets.values() if t.number == wanted), None)
        if ticket is None:
            ticket = state.ticket_by_public_id(text.strip())
        if ticket is not None:
            return self._ticket(ticket)
        try:
            booking = state.bookings.get(normalize_code(wanted))
        except QueueError:
            booking = None
        if booking is not None:
            return self._booking(booking)
        return "lookup_help", {}

    async def dossier_reply(self, text: str, sender: str) -> tuple[str, dict[str, str]] | None:
        """The answer to "HS <code>", or None when the text is not one."""
        match = _HS.match(text.strip())  # not folded: a code keeps its dots and dashes
        if match is None or self.dossiers is None:
            return None
        code = match.group(1)
        try:
            dossier = await self.dossiers.find(code)
        except QueueError as err:
            if err.code == "dossier_unavailable":
                return "lookup_dossier_retry", {}
            dossier = None
        if dossier is None or normalize_phone_digits(dossier.phone) != normalize_phone_digits(
            sender
        ):
            return "lookup_dossier_none", {"code": code}
        today = dt.datetime.fromtimestamp(self.ctx.clock(), self.ctx.config.site.tz).date()
        return "lookup_dossier", {
            "code": dossier.code,
            "procedure": dossier.procedure_name,
            "status": dossier.status_text(today, "vi"),
        }

    def _ticket(self, ticket: Ticket) -> tuple[str, dict[str, str]]:
        state = self.ctx.state
        service = self.ctx.config.services[ticket.service].name
        params = {"number": ticket.number, "service": service}
        if ticket.status is TicketStatus.WAITING:
            return "lookup_waiting", {**params, "ahead": str(state.ahead(ticket))}
        if ticket.status is TicketStatus.CALLED and ticket.counter is not None:
            counter = self.ctx.config.counters.get(ticket.counter)
            zone = counter.zone if counter is not None else ""
            return "lookup_called", {**params, "counter": str(ticket.counter), "zone": zone}
        return "lookup_ended", params

    def _booking(self, booking: Booking) -> tuple[str, dict[str, str]]:
        config = self.ctx.config
        local = dt.datetime.fromtimestamp(booking.slot_at, config.site.tz)
        status = {
            BookingStatus.ACTIVE: "booking_active",
            BookingStatus.CANCELLED: "booking_cancelled_state",
            BookingStatus.CHECKED_IN: "booking_checked_in",
        }[booking.status]
        return "lookup_booking", {
            "code": booking.code,
            "service": config.services[booking.service].name,
            "time": local.strftime("%H:%M"),
            "date": local.strftime("%d/%m/%Y"),
            "status": self.composer.text("", status, "vi", {}),
        }


def _insert(conn: sqlite3.Connection, row: tuple) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        INSERT_OUTBOX.run(conn, [row])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _mask(phone: str) -> str:
    return phone[:4] + "***" + phone[-3:]
