"""The one settable clock of the tests."""

from __future__ import annotations


class FakeClock:
    """A "now" the test sets (`clock.now = …`, `clock.now += …`); pass it as `clock=`."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
