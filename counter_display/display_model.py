"""What the counter display and the hall display show: asyncio only, no Qt.

Both listen as role `display`. Each welcome rebuilds them completely, so nothing
stale survives a reconnect; events keep them current in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from queue_server.client import QueueClient

from .audio import Announcer
from .common import LiveModel


class CounterDisplayModel(LiveModel):
    """The screen over one counter: its name, status and the number it serves."""

    def __init__(self, number: int, client: QueueClient | None = None, *,
                 flash_seconds: float = 6.0) -> None:
        self.number = number
        self.counter: dict[str, Any] | None = None
        self.known = True  # False when the server has no such counter
        self.flash_seconds = flash_seconds
        self._called_at: float | None = None  # monotonic, for the "just called" flash
        super().__init__(client)

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        views = {c["number"]: c for c in welcome.get("counters", [])}
        self.counter = views.get(self.number)
        self.known = self.counter is not None
        self._called_at = None

    def on_counter(self, event: dict[str, Any]) -> bool:
        view = event.get("counter") or {}
        if view.get("number") != self.number:
            return False
        self.counter = view
        return True

    def on_ticket_called(self, event: dict[str, Any]) -> bool:
        if event.get("counter") != self.number or self.counter is None:
            return False
        self.counter = {**self.counter, "ticket": event["number"]}
        self._called_at = time.monotonic()
        return True

    @property
    def name(self) -> str:
        return (self.counter or {}).get("name") or f"Quầy {self.number}"

    @property
    def status(self) -> str:
        return (self.counter or {}).get("status") or "closed"

    @property
    def ticket(self) -> str | None:
        return (self.counter or {}).get("ticket") if self.status == "open" else None

    def flashing(self) -> bool:
        return (self._called_at is not None
                and time.monotonic() - self._called_at < self.flash_seconds)


class HallModel(LiveModel):
    """The latest calls of the hall (or of one zone), newest first; each call announced."""

    def __init__(self, client: QueueClient | None = None, *, limit: int = 6,
                 counters: Iterable[int] = (), services: Iterable[str] = (),
                 announcer: Announcer | None = None, highlight_seconds: float = 8.0) -> None:
        self.limit = max(1, limit)
        self.counter_filter = frozenset(counters)
        self.service_filter = frozenset(services)
        self.announcer = announcer
        self.highlight_seconds = highlight_seconds
        self.calls: list[dict[str, Any]] = []
        self.counter_names: dict[int, str] = {}
        self._newest_at: float | None = None  # monotonic time of the latest live call
        super().__init__(client)

    def wanted(self, call: dict[str, Any]) -> bool:
        """Whether a call belongs on this screen (its zone's counters and services)."""
        return ((not self.counter_filter or call.get("counter") in self.counter_filter)
                and (not self.service_filter or call.get("service") in self.service_filter))

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        self.counter_names = {c["number"]: c["name"] for c in welcome.get("counters", [])}
        self.calls = []
        for call in welcome.get("calls", []):  # newest first; a recall repeats a number
            if self.wanted(call) and all(c["number"] != call["number"] for c in self.calls):
                self.calls.append(call)
        del self.calls[self.limit:]
        self._newest_at = None  # calls from before the (re)connection are not news

    def on_ticket_called(self, event: dict[str, Any]) -> bool:
        if not self.wanted(event):
            return False
        self.calls = [event] + [c for c in self.calls if c["number"] != event["number"]]
        del self.calls[self.limit:]
        self._newest_at = time.monotonic()
        if self.announcer is not None:
            self.announcer.announce(event["number"], event["counter"])
        return True

    def on_day_started(self, _event: dict[str, Any]) -> bool:
        self.calls = []
        self._newest_at = None
        return True

    def highlighted(self) -> bool:
        """Whether the newest call is still news (it blinks on the screen)."""
        return (self._newest_at is not None
                and time.monotonic() - self._newest_at < self.highlight_seconds)

    def counter_name(self, call: dict[str, Any]) -> str:
        return (call.get("counter_name") or self.counter_names.get(call.get("counter", 0))
                or f"Quầy {call.get('counter')}")
