"""Following one ticket from a phone: the `track` request and the `ticket` pushes.

A public connection sends `track` with a ticket's public id and from then on gets
`{"type": "ticket", "ticket": {…}}` whenever that ticket changes (at once: a call
must reach the phone quickly) or its queue moves (coalesced, at most once a second).
"""

from __future__ import annotations

import asyncio
from typing import Any

from queue_protocol.errors import QueueError
from queue_protocol.messages import encode
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.core.views import ticket_public
from queue_server.domain import events as e
from queue_server.domain.state import QueueState, Ticket

QUEUE_PUSH_SECONDS = 1.0
MAX_TRACKED_PER_CONNECTION = 5


class Tracker:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._followers: dict[int, set[Connection]] = {}  # ticket id → connections
        self._following: dict[Connection, set[int]] = {}  # connection → ticket ids
        self._sent: dict[tuple[int, int], str] = {}  # (id(conn), ticket id) → last frame
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None

    async def start(self, _app=None) -> None:
        self.ctx.engine.subscribe(self._on_batch)
        self.ctx.hub.departures.append(self.forget)

    async def stop(self, _app=None) -> None:
        if self._flush is not None:
            self._flush.cancel()

    def view(self, state: QueueState, ticket: Ticket) -> dict[str, Any]:
        config = state.config
        view = ticket_public(state, ticket)
        counter = config.counters.get(ticket.counter) if ticket.counter else None
        serving = state.now_serving(ticket.service)  # at a counter now, never one finished
        return {
            **view,
            "public_id": ticket.public_id,
            "service_name_en": config.services[ticket.service].name_en,
            "counter_name": counter.name if counter else None,
            # where that counter is, to find it ("Khu A"; "" if the site does not say)
            "counter_zone": counter.zone if counter else "",
            "counter_zone_en": counter.zone_en if counter else "",
            "now_serving": serving.number if serving else None,
            "recalls": ticket.recalls,
            "booked": ticket.booking is not None,
        }

    async def track(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """The `track` request: answer with the ticket and follow it from now on."""
        ticket = self.ctx.state.ticket_by_public_id(fields["ticket"])
        if ticket is None:
            raise QueueError("unknown_ticket", fields["ticket"][:40])
        mine = self._following.setdefault(conn, set())
        if ticket.id not in mine and len(mine) >= MAX_TRACKED_PER_CONNECTION:
            raise QueueError("bad_request", f"at most {MAX_TRACKED_PER_CONNECTION} tickets")
        mine.add(ticket.id)
        self._followers.setdefault(ticket.id, set()).add(conn)
        view = self.view(self.ctx.state, ticket)
        self._sent[(id(conn), ticket.id)] = encode({"type": "ticket", "ticket": view})
        return {"ticket": view}

    def forget(self, conn: Connection) -> None:
        """A connection has closed: it follows nothing any more. (Kept until then, a phone
        that followed a ticket already served would stay in memory until the night.)"""
        for tid in self._following.pop(conn, ()):
            followers = self._followers.get(tid)
            if followers is not None:
                followers.discard(conn)
                if not followers:
                    del self._followers[tid]
            self._sent.pop((id(conn), tid), None)

    # ----- pushing ----------------------------------------------------------

    def _on_batch(self, events: list[e.Event], state: QueueState):
        """Build the frames for tickets these events touched; send once durable."""
        if not self._followers:  # the usual case under load
            return None
        frames: list[tuple[int, str]] = []
        services: set[str] = set()
        restart = False
        for ev in events:
            ticket = state.tickets.get(getattr(ev, "ticket_id", -1))
            if ticket is not None:
                services.add(ticket.service)
                if ticket.id in self._followers:
                    frames.append(
                        (ticket.id, encode({"type": "ticket", "ticket": self.view(state, ticket)}))
                    )
            elif isinstance(ev, e.DayStarted):
                restart = True
            elif isinstance(
                ev, e.CounterOpened | e.CounterClosed | e.CounterPaused | e.CounterResumed
            ):
                services.update(state.config.counters[ev.counter].all_services)
        if not (frames or services or restart):
            return None

        def send() -> None:
            if restart:
                self._day_started()
            for tid, text in frames:
                self._deliver(tid, text)
            self._dirty |= services
            if self._dirty and self._flush is None and self._followers:
                self._flush = asyncio.get_running_loop().call_later(
                    QUEUE_PUSH_SECONDS, self._flush_queue
                )

        return send

    def _day_started(self) -> None:
        expired = encode({"type": "ticket", "ticket": {"status": "expired"}})
        for tid in list(self._followers):
            self._deliver(tid, expired)
        self._followers.clear()
        self._following.clear()
        self._sent.clear()

    def _flush_queue(self) -> None:
        self._flush = None
        services, self._dirty = self._dirty, set()
        state = self.ctx.state
        for tid in list(self._followers):
            ticket = state.tickets.get(tid)
            if ticket is not None and ticket.service in services:
                self._deliver(tid, encode({"type": "ticket", "ticket": self.view(state, ticket)}))

    def _deliver(self, tid: int, text: str) -> None:
        """Send to the ticket's followers what they have not seen yet; forget closed ones."""
        live = self.ctx.hub.connections
        followers = self._followers.get(tid, set())
        for conn in list(followers):
            key = (id(conn), tid)
            if conn not in live:
                self.forget(conn)
            elif self._sent.get(key) != text:
                self._sent[key] = text
                self.ctx.hub.send(conn, text)
        if not followers:
            self._followers.pop(tid, None)
