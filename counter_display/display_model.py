"""What the counter display and the hall display show: asyncio only, no Qt.

Both listen as role `display`. Each welcome rebuilds them completely, so nothing
stale survives a reconnect; events keep them current in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from counter_display.audio import Announcer
from counter_display.common import LiveModel
from queue_protocol.client import QueueClient


class CounterDisplayModel(LiveModel):
    """The screen over one counter: its name, status and the number it serves."""

    def __init__(
        self, number: int, client: QueueClient | None = None, *, flash_seconds: float = 6.0
    ) -> None:
        self.number = number
        self.counter: dict[str, Any] | None = None
        self.known = True  # False when the server has no such counter
        self.flash_seconds = flash_seconds
        self._called_at: float | None = None  # monotonic, for the "just called" flash
        self.pause_reasons: dict[str, dict[str, Any]] = {}
        super().__init__(client)

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        self.pause_reasons = {r["id"]: r for r in welcome.get("pause_reasons", [])}
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

    def apply_config(self, config: dict[str, Any]) -> None:
        views = {c["number"]: c for c in config.get("counters", [])}
        self.counter = views.get(self.number)
        self.known = self.counter is not None

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
    def zone(self) -> tuple[str, str]:
        """Where the counter is (`zone`, `zone_en`: "Khu A", "Zone A"); ("", "") if unsaid."""
        counter = self.counter or {}
        zone = counter.get("zone") or ""
        return zone, counter.get("zone_en") or zone

    @property
    def status(self) -> str:
        return (self.counter or {}).get("status") or "closed"

    @property
    def officer_name(self) -> str:
        """Who serves here (full name), while the counter is not closed; "" if unknown."""
        if self.status == "closed":
            return ""
        return (self.counter or {}).get("officer_name") or ""

    @property
    def ticket(self) -> str | None:
        return (self.counter or {}).get("ticket") if self.status == "open" else None

    def pause_words(self) -> tuple[str, str, str, str]:
        """A paused counter in words: (status vi, status en, return vi, return en):
        "Tạm dừng – Nghỉ trưa", "Phục vụ lại lúc 13:00" when the return time is known."""
        counter = self.counter or {}
        reason = self.pause_reasons.get(counter.get("pause_reason") or "")
        vi, en = "Tạm dừng", "Paused"
        if reason is not None:
            vi, en = f"{vi} – {reason['name']}", f"{en} – {reason.get('name_en') or reason['name']}"
        back = self.local_clock(counter.get("back_at"))
        if not back:
            return vi, en, "", ""
        return vi, en, f"Phục vụ lại lúc {back}", f"Back at {back}"

    def flashing(self) -> bool:
        return (
            self._called_at is not None and time.monotonic() - self._called_at < self.flash_seconds
        )


# A call made while the hall was cut off is read aloud when it is back, if it is at most
# this old: the citizen may still be looking for their counter. Older ones are only shown.
MISSED_CALLS_SECONDS = 120.0


def missed_calls(
    calls: Iterable[dict[str, Any]], heard_until: float | None, server_time: float
) -> list[dict[str, Any]]:
    """The calls of a welcome made after `heard_until` (server clock; None: never
    connected, nothing was missed) and recently enough to read aloud; oldest first, a
    number once (its latest call)."""
    if heard_until is None:
        return []
    latest: dict[str, dict[str, Any]] = {}
    for call in calls:
        at = call.get("at", 0)
        if (
            at > heard_until
            and at >= server_time - MISSED_CALLS_SECONDS
            and (call["number"] not in latest or at > latest[call["number"]].get("at", 0))
        ):
            latest[call["number"]] = call
    return sorted(latest.values(), key=lambda c: c.get("at", 0))


class HallModel(LiveModel):
    """The latest calls of the hall (or of one zone), newest first; each call announced,
    also one made while the hall was cut off (`missed_calls`)."""

    def __init__(
        self,
        client: QueueClient | None = None,
        *,
        limit: int = 6,
        counters: Iterable[int] = (),
        services: Iterable[str] = (),
        announcer: Announcer | None = None,
        highlight_seconds: float = 8.0,
    ) -> None:
        self.limit = max(1, limit)
        self.counter_filter = frozenset(counters)
        self.service_filter = frozenset(services)
        self.announcer = announcer
        self.highlight_seconds = highlight_seconds
        self.calls: list[dict[str, Any]] = []
        self.counter_names: dict[int, str] = {}
        self.zones: dict[int, tuple[str, str]] = {}  # counter → ("Khu A", "Zone A")
        self.hall: dict[str, str] = {}  # `[hall]`: notice, notice_en, voice
        self._newest_at: float | None = None  # monotonic time of the latest live call
        self._heard_until: float | None = None  # server time up to which calls were heard
        self.notice: dict[str, Any] | None = None  # a supervisor's, from the board
        super().__init__(client)

    def wanted(self, call: dict[str, Any]) -> bool:
        """Whether a call belongs on this screen (its zone's counters and services)."""
        return (not self.counter_filter or call.get("counter") in self.counter_filter) and (
            not self.service_filter or call.get("service") in self.service_filter
        )

    def _take_config(self, message: dict[str, Any]) -> None:
        """Counter names and zones, the notice line and the voice (welcome or `config`)."""
        counters = message.get("counters", [])
        self.counter_names = {c["number"]: c["name"] for c in counters}
        self.zones = {
            c["number"]: (c.get("zone") or "", c.get("zone_en") or c.get("zone") or "")
            for c in counters
        }
        self.hall = message.get("hall") or {}
        if self.announcer is not None and self.hall.get("voice"):
            self.announcer.set_style(self.hall["voice"])

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        self._take_config(welcome)
        self.notice = welcome.get("notice")  # a supervisor's notice still running
        self.calls = []
        for call in welcome.get("calls", []):  # newest first; a recall repeats a number
            if self.wanted(call) and all(c["number"] != call["number"] for c in self.calls):
                self.calls.append(call)
        del self.calls[self.limit :]
        server_time = welcome.get("server_time", time.time())
        missed = missed_calls(
            filter(self.wanted, welcome.get("calls", [])), self._heard_until, server_time
        )
        self._heard_until = max(server_time, self._heard_until or 0)
        # Calls from before the first connection are not news; those missed during a
        # blip are, for a while.
        self._newest_at = time.monotonic() if missed else None
        for call in missed:
            self._announce(call)

    def on_ticket_called(self, event: dict[str, Any]) -> bool:
        self._heard_until = max(event.get("at", 0), self._heard_until or 0)
        if not self.wanted(event):
            return False
        self.calls = [event] + [c for c in self.calls if c["number"] != event["number"]]
        del self.calls[self.limit :]
        self._newest_at = time.monotonic()
        self._announce(event)
        return True

    def _announce(self, call: dict[str, Any]) -> None:
        if self.announcer is not None:
            self.announcer.announce(call["number"], call["counter"], self.zone_of(call)[0])

    def apply_config(self, config: dict[str, Any]) -> None:
        self._take_config(config)

    def usual_notice(self) -> str | None:
        """The site's notice line (`[hall] notice`, Vietnamese then English), or None:
        the screen's own."""
        vi, en = self.hall.get("notice") or "", self.hall.get("notice_en") or ""
        if not vi:
            return None
        return f"{vi}   •   {en}" if en else vi

    def zone_of(self, call: dict[str, Any]) -> tuple[str, str]:
        """The zone of a call's counter as the screen knows it now (the admin may have
        just named it), else as the call said."""
        known = self.zones.get(call.get("counter", 0))
        if known is not None:
            return known
        zone = call.get("zone") or ""
        return zone, call.get("zone_en") or zone

    def on_day_started(self, _event: dict[str, Any]) -> bool:
        self.calls = []
        self._newest_at = None
        return True

    def on_notice(self, event: dict[str, Any]) -> bool:
        self.notice = event if event.get("until") else None  # no expiry: taken down
        return True

    def current_notice(self) -> str | None:
        """The supervisor's notice while it has not expired, else None (the usual one)."""
        if self.notice is None or self.notice["until"] <= self.now():
            return None
        return str(self.notice.get("text") or "") or None

    def highlighted(self) -> bool:
        """Whether the newest call is still news (it blinks on the screen)."""
        return (
            self._newest_at is not None
            and time.monotonic() - self._newest_at < self.highlight_seconds
        )

    def counter_name(self, call: dict[str, Any]) -> str:
        return (
            call.get("counter_name")
            or self.counter_names.get(call.get("counter", 0))
            or f"Quầy {call.get('counter')}"
        )
