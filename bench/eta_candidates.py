"""Waiting-time estimators compared by the replay benchmark (bench/bench_eta.py).

`today` is the estimator the server had before issue 12 (ahead × median of the latest
services ÷ open counters); `les` and `hol` are the snapshot predictors of Ibrahim &
Whitt (last-to-enter-service: the wait of the last ticket of the service to be called;
head-of-line: how long the ticket at the head of the service's queue has waited so
far); `ours` is the server's estimator now (`queue_server/domain/eta.py`: the counters
played forward through the real call order).
"""

from __future__ import annotations

from bench.daysim import Estimator, History
from queue_server.domain.eta import HORIZON
from queue_server.domain.state import QueueState


def today(state: QueueState, service: str, ahead: int, _now: float, _h: History) -> float:
    counters = max(1, state.open_counters(service))
    return ahead * state.service_times.median(service) / counters


def les(_state: QueueState, service: str, _ahead: int, _now: float, h: History) -> float:
    return h.last_wait.get(service, 0.0)


def hol(state: QueueState, service: str, _ahead: int, now: float, _h: History) -> float:
    oldest = state.waiting.oldest(service)
    return 0.0 if oldest is None else max(0.0, now - oldest)


def ours(state: QueueState, service: str, _ahead: int, now: float, _h: History) -> float:
    """The server's estimate for the ticket just issued (the newest of its service)."""
    newest = max(t for t in state.waiting.ids() if state.tickets[t].service == service)
    wait = state.wait_estimate(state.tickets[newest], now)
    return HORIZON if wait is None else wait


ESTIMATORS: dict[str, Estimator] = {"today": today, "les": les, "hol": hol, "ours": ours}
