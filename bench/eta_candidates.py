"""Waiting-time estimators compared by the replay benchmark (bench/bench_eta.py).

`today` is the server's estimator (queue_server.domain: ahead × median ÷ open counters);
`les` and `hol` are the snapshot predictors of Ibrahim & Whitt (last-to-enter-service:
the wait of the last ticket of the service to be called; head-of-line: how long the
ticket at the head of the service's queue has waited so far); `projection` is a
candidate not yet in the server: the counters played forward through the real call
order with each service's mean time (shrunk toward the configured default), closed
counters expected at opening, and the lunch gap of the site's hours taken by most
(`LUNCH_SHARE`) of them.
"""

from __future__ import annotations

import datetime as dt
import heapq

from bench.daysim import Estimator, History
from queue_server.domain.lifecycle import CounterStatus
from queue_server.domain.state import QueueState

PRIOR_WEIGHT = 5  # samples the configured default counts for
LUNCH_SHARE = 0.8  # share of the lunch gap a counter is away
HORIZON = 10 * 3600.0


def today(state: QueueState, service: str, ahead: int, _now: float, _h: History) -> float:
    return state.estimated_wait(service, ahead)


def les(_state: QueueState, service: str, _ahead: int, _now: float, h: History) -> float:
    return h.last_wait.get(service, 0.0)


def hol(state: QueueState, service: str, _ahead: int, now: float, _h: History) -> float:
    oldest = state.waiting.oldest(service)
    return 0.0 if oldest is None else max(0.0, now - oldest)


def _mean(state: QueueState, service: str) -> float:
    samples = state.service_times._samples.get(service, ())
    default = state.config.default_service_minutes * 60
    return (sum(samples) + PRIOR_WEIGHT * default) / (len(samples) + PRIOR_WEIGHT)


def _hours(state: QueueState, t: float) -> list[tuple[float, float]]:
    site = state.config.site
    local = dt.datetime.fromtimestamp(t, site.tz)
    return [
        (
            local.replace(hour=a.hour, minute=a.minute, second=0, microsecond=0).timestamp(),
            local.replace(hour=b.hour, minute=b.minute, second=0, microsecond=0).timestamp(),
        )
        for a, b in site.hours
    ]


def _open_at(state: QueueState, t: float, share: float = LUNCH_SHARE) -> float:
    """`t` moved out of a closed gap of the day: the first gap (before opening) whole,
    later gaps (lunch) by `share`."""
    for i, (start, end) in enumerate(_hours(state, t)):
        if t < start:
            return t + (start - t) * (share if i else 1.0)
        if t < end:
            return t
    return t


def projection(state: QueueState, service: str, _ahead: int, now: float, _h: History) -> float:
    target = max(t for t in state.waiting.ids() if state.tickets[t].service == service)
    first_open = _hours(state, now)[0][0]
    free: list[tuple[float, int]] = []
    for number, cs in state.counters.items():
        if cs.status is CounterStatus.OPEN:
            current = state.current_ticket(number)
            t = (
                now
                if current is None or current.called_at is None
                else max(now, current.called_at + _mean(state, current.service))
            )
        elif cs.status is CounterStatus.PAUSED:
            since = cs.since or now
            t = max(now + 60, since + (90 if cs.pause_reason == "nghi-trua" else 30) * 60)
        elif now < first_open + 1800:
            t = max(now, first_open) + 300  # officers sign in at opening
        else:
            continue
        heapq.heappush(free, (_open_at(state, t), number))
    queues: dict[str, list[tuple[int, float, int]]] = {}
    for tid in state.waiting.ids():
        ticket = state.tickets[tid]
        queues.setdefault(ticket.service, []).append((state.rank(ticket), ticket.effective_at, tid))
    for queue in queues.values():
        heapq.heapify(queue)
    while free:
        t, number = heapq.heappop(free)
        if t - now > HORIZON:
            break
        counter = state.config.counters[number]
        best = None
        for tier in (counter.services, counter.secondary_services):
            for s in tier:
                waiting = queues.get(s)
                if waiting and (best is None or waiting[0] < best[0]):
                    best = (waiting[0], s)
            if best:
                break
        if best is None:
            continue
        (_, _, tid), s = best
        heapq.heappop(queues[s])
        if tid == target:
            return t - now
        heapq.heappush(free, (_open_at(state, t + _mean(state, s)), number))
    return HORIZON


ESTIMATORS: dict[str, Estimator] = {
    "today": today,
    "les": les,
    "hol": hol,
    "projection": projection,
}
