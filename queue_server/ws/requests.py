"""The two kinds of request handler, and the requests of kiosks, counters and rating pads.

A `Command` request is one command for the single writer: it is queued at once and
answered from a callback when the command is durable, so the connection reads its
next request meanwhile. A `Call` request is answered by a coroutine, in turn.
Which request type is which handler is one table, in `queue_server.app`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from queue_protocol.errors import QueueError
from queue_protocol.messages import encode
from queue_server.core import views
from queue_server.core.context import ServerContext
from queue_server.core.engine import Outcome
from queue_server.core.hub import Connection
from queue_server.domain import commands as c
from queue_server.ws.kiosk_printers import tell_counters

log = logging.getLogger(__name__)

Fields = dict[str, Any]
Body = dict[str, Any]


def ticket_answer(
    _ctx: ServerContext, _conn: Connection, _fields: Fields, outcome: Outcome
) -> Body:
    """The answer of a ticket command: the ticket it concerns, as it is now."""
    return {"ticket": outcome.ticket}


def counter_answer(
    ctx: ServerContext, conn: Connection, _fields: Fields, _outcome: Outcome
) -> Body:
    """The answer of a counter command: the counter, as its officer sees it."""
    return {"counter": views.counter_view(ctx.state, conn.counter or 0, private=True)}


def rated_answer(_ctx: ServerContext, _conn: Connection, fields: Fields, _outcome: Outcome) -> Body:
    return {"rated": fields["number"]}


@dataclass(frozen=True)
class Command:
    """A request that is one writer command, answered once that command is durable."""

    build: Callable[[Connection, Fields], c.Command]
    answer: Callable[[ServerContext, Connection, Fields, Outcome], Body] = ticket_answer


@dataclass(frozen=True)
class Call:
    """A request answered by a coroutine (look-ups, and work beside the writer)."""

    run: Callable[[Connection, Fields], Awaitable[Body]]


Handler = Command | Call


class FloorDesk:
    """What kiosks, counters and rating pads ask: requests turned into writer commands."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    # ----- kiosk -------------------------------------------------------------

    def issue(self, conn: Connection, f: Fields) -> c.Command:
        return c.IssueTicket(
            actor=conn.actor,
            service=f["service"],
            priority=f.get("priority"),
            request_id=f["request_id"],
            public_id=self.ctx.engine.new_public_id(),
        )

    def void(self, conn: Connection, f: Fields) -> c.Command:
        ticket = self.ctx.state.tickets.get(f["ticket_id"])
        if ticket is not None and ticket.issued_by != conn.actor:
            raise QueueError("forbidden", "only the kiosk that issued a ticket voids it")
        return c.VoidTicket(actor=conn.actor, ticket_id=f["ticket_id"], reason=f["reason"])

    async def device_status(self, conn: Connection, f: Fields) -> Body:
        """A kiosk tells its printer's state (on change and every few seconds); staff and
        screens are told of a change, the alert watch looks at once."""
        printer, message = f["printer"], f.get("message") or ""
        now = self.ctx.clock()
        status = {"device": conn.actor, "printer": printer, "message": message, "at": now}
        changed = self.ctx.devices.get(conn.actor, {}).get("printer") != printer
        self.ctx.devices[conn.actor] = status
        self.ctx.device_book.seen(conn.actor, now, f.get("version"))
        if changed:
            log.info("device %s printer %s %s", conn.actor, printer, message)
            self.ctx.hub.broadcast(encode({"type": "devices", **status}), views.STAFF_AND_SCREENS)
            tell_counters(self.ctx, conn.actor)
            self.ctx.alerts.poke()
        return {}

    async def ping(self, conn: Connection, f: Fields) -> Body:
        """A device is alive (displays and rating pads every few seconds)."""
        self.ctx.device_book.seen(conn.actor, self.ctx.clock(), f.get("version"))
        return {}

    # ----- counter -----------------------------------------------------------

    def _officer(self, conn: Connection) -> tuple[int, str]:
        """The counter and the officer a request speaks for, if still theirs."""
        number = conn.counter or 0
        officer = self.ctx.state.counters[number].officer
        if officer is not None and officer != conn.actor:
            raise QueueError("forbidden", f"counter {number} is now served by {officer}")
        return number, conn.actor

    def call_next(self, conn: Connection, _f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.CallNext(actor=actor, counter=number)

    def recall(self, conn: Connection, _f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.Recall(actor=actor, counter=number)

    def no_show(self, conn: Connection, _f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.NoShow(actor=actor, counter=number)

    def finish(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.Finish(actor=actor, counter=number, outcome=f.get("outcome"))

    def transfer(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.Transfer(actor=actor, counter=number, to_service=f["service"], reason=f["reason"])

    def pause(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        if f["reason"] not in self.ctx.config.pause_reasons:
            raise QueueError("bad_request", f"unknown pause reason {f['reason']!r}")
        return c.PauseCounter(
            actor=actor, counter=number, reason=f["reason"], minutes=f.get("minutes")
        )

    def resume(self, conn: Connection, _f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.ResumeCounter(actor=actor, counter=number)

    def call_number(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.CallNumber(actor=actor, counter=number, number=f["number"])

    def requeue(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.Requeue(actor=actor, counter=number, number=f["number"])

    def hold(self, conn: Connection, _f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.Hold(actor=actor, counter=number)

    def resume_held(self, conn: Connection, f: Fields) -> c.Command:
        number, actor = self._officer(conn)
        return c.ResumeHeld(actor=actor, counter=number, number=f["number"])

    async def lookup(self, _conn: Connection, f: Fields) -> Body:
        """Any ticket of today by its number: its state, its counter and its history."""
        state = self.ctx.state
        ticket = state.ticket_by_number(f["number"])
        if ticket is None:
            raise QueueError("unknown_number", f["number"])
        history = await self.ctx.store.ticket_history(ticket.id)
        return {"ticket": {**views.ticket_public(state, ticket), "history": history}}

    async def sign_out(self, conn: Connection, _f: Fields) -> Body:
        number, actor = self._officer(conn)
        await self.ctx.engine.submit(c.CloseCounter(actor=actor, counter=number))
        await self.ctx.accounts.audit(actor, "counter_sign_out", f"counter {number}")
        return {"counter": views.counter_view(self.ctx.state, number, private=True)}

    # ----- rating pad --------------------------------------------------------

    def rate(self, conn: Connection, f: Fields) -> c.Command:
        return c.RateTicket(
            actor=conn.actor, counter=conn.counter or 0, number=f["number"], rating=f["rating"]
        )
