"""Events out: each durable batch becomes messages, sent to the roles that should see them.

The messages of a batch are built when the writer applies it (from the state those
events made) and sent when the store says the batch is durable. Calls go first: at
most two writes per connection and batch, the calls, then the rest. Screens get the
rest of a batch with calls `SCREENS_LATER` after them, so no hall waits behind the
bookkeeping of a thousand counters; waiting figures are coalesced to
`QUEUE_UPDATE_SECONDS`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from queue_protocol.codec import dumps
from queue_protocol.messages import encode
from queue_server.core import heap
from queue_server.core import views as messages
from queue_server.core.context import ServerContext
from queue_server.core.hub import text_frame
from queue_server.domain import events as e
from queue_server.domain.state import QueueState

# Waiting figures go out at most this often: at peak a batch commits every few ms,
# and every kiosk and phone does not need each intermediate count.
QUEUE_UPDATE_SECONDS = 0.25
# On screens, the rest of a batch with calls in it (ticket_done, counter states) follows
# the calls this much later, so that no screen's call waits behind the bookkeeping of
# a thousand others. Staff apps get everything at once, in order.
SCREENS_LATER = 0.02
SCREENS = frozenset({"display", "public"})
RECENT_CALLS = 20


class FanOut:
    """Sends every durable batch's messages; remembers the latest calls for newcomers."""

    def __init__(self, ctx: ServerContext, *, tune_gc: bool = False) -> None:
        self.ctx = ctx
        self.tune_gc = tune_gc  # a process of its own: the heap is frozen (see core/heap.py)
        self.calls: deque[dict[str, Any]] = deque(maxlen=RECENT_CALLS)
        self._dirty_services: set[str] = set()
        self._queue_flush: asyncio.TimerHandle | None = None
        self._screens_later: list[dict[str, bytes]] = []  # see SCREENS_LATER
        self._screens_timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Follow the writer from now on (after the day is loaded)."""
        self.calls.extend(messages.latest_calls(self.ctx.state, RECENT_CALLS))
        self.ctx.engine.subscribe(self.publish)

    def stop(self) -> None:
        for timer in (self._queue_flush, self._screens_timer):
            if timer is not None:
                timer.cancel()

    def publish(self, events: list[e.Event], state: QueueState) -> Callable[[], None]:
        """Build the batch's messages now; send them when the writer says it is durable."""
        hub, metrics = self.ctx.hub, self.ctx.metrics
        out, services = messages.event_messages(state, events, hub.reaches)
        calls = [msg for _, msg in out if msg["type"] == "ticket_called"]
        # Each part is the role's frames joined: the calls first, then the rest.
        parts: tuple[defaultdict[str, list[bytes]], ...] = (defaultdict(list), defaultdict(list))
        for roles, msg in out:
            if hub.reaches(roles):
                frame = text_frame(dumps(msg))
                for role in roles:
                    parts[msg["type"] != "ticket_called"][role].append(frame)
        passes = [{role: b"".join(frames) for role, frames in part.items()} for part in parts]

        issued = sum(1 for ev in events if type(ev) is e.TicketIssued)
        called = sum(1 for ev in events if type(ev) is e.TicketCalled)
        new_day = any(type(ev) is e.DayStarted for ev in events)

        def send() -> None:
            if issued:
                metrics.issued.inc(issued)
            if called:
                metrics.called.inc(called)
            if new_day:
                self.calls.clear()
                if self.tune_gc:
                    heap.sweep()  # yesterday's tickets are gone: collect once, at night
            self.calls.extendleft(calls)
            urgent, rest = passes
            self._broadcast(urgent)
            self._broadcast({role: frames for role, frames in rest.items() if role not in SCREENS})
            later = {role: frames for role, frames in rest.items() if role in SCREENS}
            if later and (urgent or self._screens_later):  # keeps the order of what waits
                self._screens_later.append(later)
                if self._screens_timer is None:
                    self._screens_timer = asyncio.get_running_loop().call_later(
                        SCREENS_LATER, self._flush_screens
                    )
            else:
                self._broadcast(later)
            self._dirty_services |= services
            if self._dirty_services and self._queue_flush is None:
                self._queue_flush = asyncio.get_running_loop().call_later(
                    QUEUE_UPDATE_SECONDS, self._flush_queue
                )

        return send

    def _broadcast(self, by_role: dict[str, bytes]) -> None:
        """Each role's joined frames to every connection of that role."""
        for role, joined in by_role.items():
            self.ctx.hub.broadcast_frames(joined, (role,))

    def _flush_screens(self) -> None:
        self._screens_timer = None
        waiting, self._screens_later = self._screens_later, []
        for by_role in waiting:
            self._broadcast(by_role)

    def _flush_queue(self) -> None:
        self._queue_flush = None
        services, self._dirty_services = self._dirty_services, set()
        msg = messages.queue_message(self.ctx.state, services, self.ctx.clock())
        self.ctx.hub.broadcast(encode(msg), messages.QUEUE_AUDIENCE)
        self._send_upcoming(services)

    def _send_upcoming(self, services: set[str]) -> None:
        """Each signed-in counter whose services changed gets its new preview."""
        lists: dict[int, str] = {}
        state = self.ctx.state
        for conn in self.ctx.hub.counters():
            number = conn.counter or 0
            # its tiers: its services and one a supervisor suggested for now
            if not any(services.intersection(tier) for tier in state.tiers(number)):
                continue
            if number not in lists:
                lists[number] = encode(
                    {
                        "type": "next",
                        "counter": number,
                        "tickets": messages.upcoming(self.ctx.state, number),
                    }
                )
            self.ctx.hub.send(conn, lists[number])
