"""Every ticket and counter state change allowed, as tables.

Everything that decides whether a ticket or a counter may move from one state to
another lives here; `state.py` asks these tables and never decides on its own.
`docs/protocol.md` prints the same tables.
"""

from __future__ import annotations

from enum import StrEnum

from queue_protocol.errors import QueueError


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    NO_SHOW = "no_show"
    VOIDED = "voided"
    EXPIRED = "expired"
    HELD = "held"  # parked at its counter while the citizen fetches a document


class TicketAction(StrEnum):
    CALL = "call"
    RECALL = "recall"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"  # leaves the counter and waits in another service
    VOID = "void"
    EXPIRE = "expire"
    REQUEUE = "requeue"  # a no-show goes back to the queue (at its time or at the end)
    HOLD = "hold"  # parked at the counter; the counter may call others meanwhile
    RESUME = "resume"  # a parked ticket is served again at its counter


T, A = TicketStatus, TicketAction

TICKET_TRANSITIONS: dict[tuple[TicketStatus, TicketAction], TicketStatus] = {
    (T.WAITING, A.CALL): T.CALLED,
    (T.WAITING, A.VOID): T.VOIDED,
    (T.WAITING, A.EXPIRE): T.EXPIRED,
    (T.CALLED, A.RECALL): T.CALLED,
    (T.CALLED, A.FINISH): T.DONE,
    (T.CALLED, A.NO_SHOW): T.NO_SHOW,
    (T.CALLED, A.TRANSFER): T.WAITING,
    (T.CALLED, A.VOID): T.VOIDED,
    (T.CALLED, A.EXPIRE): T.EXPIRED,
    (T.CALLED, A.HOLD): T.HELD,
    (T.HELD, A.RESUME): T.CALLED,
    (T.HELD, A.VOID): T.VOIDED,
    (T.HELD, A.EXPIRE): T.EXPIRED,
    # A citizen passed over comes back: called by number, or put back in the queue.
    (T.NO_SHOW, A.CALL): T.CALLED,
    (T.NO_SHOW, A.REQUEUE): T.WAITING,
}


class CounterStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class CounterAction(StrEnum):
    OPEN = "open"  # an officer signs in
    CLOSE = "close"  # the officer signs out, or the day ends
    PAUSE = "pause"
    RESUME = "resume"
    CALL = "call"


C, CA = CounterStatus, CounterAction

COUNTER_TRANSITIONS: dict[tuple[CounterStatus, CounterAction], CounterStatus] = {
    (C.CLOSED, CA.OPEN): C.OPEN,
    (C.OPEN, CA.OPEN): C.OPEN,  # the same or another officer takes over
    (C.PAUSED, CA.OPEN): C.PAUSED,
    (C.OPEN, CA.CLOSE): C.CLOSED,
    (C.PAUSED, CA.CLOSE): C.CLOSED,
    (C.OPEN, CA.PAUSE): C.PAUSED,
    (C.PAUSED, CA.RESUME): C.OPEN,
    (C.OPEN, CA.CALL): C.OPEN,
}

_COUNTER_REFUSALS = {C.CLOSED: "counter_closed", C.PAUSED: "counter_paused"}


def next_ticket_status(status: TicketStatus, action: TicketAction) -> TicketStatus:
    """The status after `action`, or `QueueError("invalid_transition")`."""
    try:
        return TICKET_TRANSITIONS[(status, action)]
    except KeyError:
        raise QueueError("invalid_transition", f"{action} from {status}") from None


def next_counter_status(status: CounterStatus, action: CounterAction) -> CounterStatus:
    """The counter status after `action`, refused with the code that says why."""
    try:
        return COUNTER_TRANSITIONS[(status, action)]
    except KeyError:
        code = _COUNTER_REFUSALS.get(status, "invalid_transition")
        raise QueueError(code, f"{action} while {status}") from None
