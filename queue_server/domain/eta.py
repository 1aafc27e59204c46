"""Estimated waiting time: the counters played forward through the real call order.

How long until a waiting ticket is called is estimated by replaying what the counters
will do next, with what is known now (issue 12; measured by `bench/bench_eta.py`):

1. every counter that can call gets the time it is expected free:
   - open: now, or when its current citizen is expected done (called at + mean time);
     open and calling inside a closed gap (lunch): it serves through that gap;
   - paused: when its pause reason's allowance (`[alerts] pause_minutes`) runs out,
     and not before a minute from now;
   - closed and not yet opened today: shortly after opening in the first half hour of
     the day, else within `LATE_OPENING_MINUTES` during the morning (officers who
     come late still come); a counter closed after serving, or in the afternoon, is
     not expected back;
   - a time inside a closed gap of the site's hours (lunch) moves to the end of the
     gap (the first gap, before opening, whole; later ones by `LUNCH_SHARE`: some
     counters serve through lunch);
2. the earliest free counter calls what the call-next policy would give it (its own
   services before its secondary ones, priority before normal, earliest effective
   time), and is free again one mean service time later;
3. a service's mean time is the day's samples shrunk toward the configured default
   (`PRIOR_SAMPLES`), so one quick service does not turn "24 minutes" into "soon";
   every call counts (one nobody answered, one transferred on: the counter's time
   went to it), and so does the time the services still running have taken so far
   (early in the day the finished ones are the short ones);
4. the replayed wait is lengthened by `JUMP_AHEAD` for those who will arrive later
   and still go first (priority groups, bookings checked in at their slot).

One replay gives every waiting ticket its estimate; the state keeps it and replays
again when the queues or counters change (see `QueueState.wait_estimate`).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

PRIOR_SAMPLES = 2  # how many services the configured default counts for
JUMP_AHEAD = 0.10  # share added for later arrivals who go first
LUNCH_SHARE = 0.6  # share of a later closed gap (lunch) a counter is away (most go)
FIRST_HALF_HOUR = 1800.0  # counters not open yet are expected 5 min after opening
LATE_OPENING_MINUTES = 45.0  # … later in the morning, within this
MORNING_HOURS = 4.0  # after opening + this, a closed counter is not expected
HORIZON = 10 * 3600.0  # a ticket not reached within this is shown as "not today"


class ServiceTimes:
    """A rolling window of the latest service durations, per service."""

    def __init__(self, window: int, default_seconds: float) -> None:
        self._window = window
        self._default = default_seconds
        self._samples: dict[str, deque[float]] = {}  # services finished (the median's)
        self._calls: dict[str, deque[float]] = {}  # … and calls ended otherwise (the mean's)

    def reconfigure(self, window: int, default_seconds: float) -> None:
        """A new window or default (a configuration change): the newest samples stay."""
        if window != self._window:
            for kept in (self._samples, self._calls):
                for service, samples in kept.items():
                    kept[service] = deque(samples, maxlen=window)
        self._window, self._default = window, default_seconds

    def add(self, service: str, seconds: float) -> None:
        """A service finished after `seconds` at the counter."""
        if seconds > 0:
            self._samples.setdefault(service, deque(maxlen=self._window)).append(seconds)
            self._calls.setdefault(service, deque(maxlen=self._window)).append(seconds)

    def add_call(self, service: str, seconds: float) -> None:
        """A call that took the counter `seconds` but ended without a service of
        `service` (nobody came; transferred to another service): the replay's counters
        spend a call's time on every ticket they call, whatever its end."""
        if seconds > 0:
            self._calls.setdefault(service, deque(maxlen=self._window)).append(seconds)

    def median(self, service: str) -> float:
        """The median of the window, or the configured default before any history."""
        samples = self._samples.get(service)
        if not samples:
            return self._default
        ordered = sorted(samples)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    def mean(self, service: str, running: Sequence[float] = ()) -> float:
        """The mean time a call of `service` takes the counter (the latest calls, nobody
        coming and transfers included), shrunk toward the default by `PRIOR_SAMPLES`.

        `running`: how long the services of `service` still in progress have lasted so
        far. They count as time spent without a finish (the "total time on test" of a
        censored sample): early in the day the finished services are the short ones,
        and the long ones still running would otherwise be left out."""
        samples = self._calls.get(service, ())
        spent = sum(samples) + sum(running) + PRIOR_SAMPLES * self._default
        return spent / (len(samples) + PRIOR_SAMPLES)


@dataclass(frozen=True)
class CounterOutlook:
    """A counter that can call: when it is expected free, and its tiers of services."""

    number: int
    free_at: float
    tiers: Sequence[Sequence[str]]
    # the closed gaps this counter keeps, when not the site's (one serving through lunch)
    gaps: Sequence[tuple[float, float]] | None = None


@dataclass
class Projection:
    """One replay: when each waiting ticket is expected to be called."""

    at: float
    call_at: dict[int, float] = field(default_factory=dict)  # ticket id → expected call
    # service → when a ticket joining it now would be called, and the seconds each more
    # ticket adds (its mean time over the counters serving it)
    next_call: dict[str, float] = field(default_factory=dict)
    pace: dict[str, float] = field(default_factory=dict)

    def wait(self, ticket_id: int, now: float) -> float | None:
        """Seconds from `now`, or None when no counter reaches the ticket in the horizon."""
        call = self.call_at.get(ticket_id)
        return None if call is None else max(0.0, call - now) * (1 + JUMP_AHEAD)

    def wait_for_new(self, service: str, now: float) -> float | None:
        """Seconds a ticket joining `service` now would wait, or None (nobody calls)."""
        call = self.next_call.get(service)
        if call is None or call - now > HORIZON:
            return None
        return max(0.0, call - now) * (1 + JUMP_AHEAD)

    def joined(self, ticket_id: int, service: str, now: float) -> None:
        """A normal ticket joined the end of `service` since the replay."""
        call = self.next_call.get(service)
        if call is not None:
            self.call_at[ticket_id] = max(call, now)
            self.next_call[service] = max(call, now) + self.pace[service]


def rounded(wait: float | None) -> int | None:
    """Whole seconds for the wire; None (no counter expected) stays None."""
    return None if wait is None else round(wait)


def gap_end(gaps: Sequence[tuple[float, float]], t: float, share: float = LUNCH_SHARE) -> float:
    """`t` moved out of a closed gap of the day (`gaps`: (start, end) in order; the first
    one, before opening, whole; later ones by `share`)."""
    for i, (start, end) in enumerate(gaps):
        if start <= t < end:
            return t + (end - t) * (share if i else 1.0)
    return t


class Queues(Protocol):
    """What a replay takes tickets from (`policy.QueueSnapshot`)."""

    def take(self, tiers: Sequence[Sequence[str]]) -> tuple[int, str] | None: ...


def project(
    now: float,
    counters: Iterable[CounterOutlook],
    queues: Queues,
    mean: Callable[[str], float],
    gaps: Sequence[tuple[float, float]],
) -> Projection:
    """Replay the counters from `now` until every queue is empty or the horizon."""
    out = Projection(at=now)
    counters = list(counters)
    own = {c.number: gaps if c.gaps is None else c.gaps for c in counters}
    free = [(gap_end(own[c.number], c.free_at), c.number, c.tiers) for c in counters]
    heapq.heapify(free)
    idle: list[tuple[float, Sequence[Sequence[str]]]] = []  # counters with nothing left
    while free:
        t, number, tiers = heapq.heappop(free)
        if t - now > HORIZON:
            heapq.heappush(free, (t, number, tiers))
            break
        taken = queues.take(tiers)
        if taken is None:
            idle.append((t, tiers))  # nothing left for this counter: free from t
            continue
        tid, service = taken
        out.call_at[tid] = t
        heapq.heappush(free, (gap_end(own[number], t + mean(service)), number, tiers))
    serving: dict[str, int] = {}
    for t, _, tiers in [*free, *((t, 0, tiers) for t, tiers in idle)]:
        for service in {s for tier in tiers for s in tier}:
            serving[service] = serving.get(service, 0) + 1
            out.next_call[service] = min(t, out.next_call.get(service, t))
    for service, n in serving.items():
        out.pace[service] = mean(service) / n
    return out
