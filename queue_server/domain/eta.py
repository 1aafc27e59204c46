"""Estimated waiting time: tickets ahead × median service time ÷ open counters."""

from __future__ import annotations

import statistics
from collections import deque


class ServiceTimes:
    """A rolling window of the latest service durations, per service."""

    def __init__(self, window: int, default_seconds: float) -> None:
        self._window = window
        self._default = default_seconds
        self._samples: dict[str, deque[float]] = {}

    def add(self, service: str, seconds: float) -> None:
        if seconds > 0:
            self._samples.setdefault(service, deque(maxlen=self._window)).append(seconds)

    def median(self, service: str) -> float:
        """The median of the window, or the configured default before any history."""
        samples = self._samples.get(service)
        return statistics.median(samples) if samples else self._default


def estimate_wait(ahead: int, median_seconds: float, open_counters: int) -> float:
    """Seconds until a ticket with `ahead` tickets before it is likely called.

    With no counter open yet, count one: the estimate is then what a single
    counter would need once it opens, which is more useful than nothing.
    """
    return ahead * median_seconds / max(1, open_counters)
