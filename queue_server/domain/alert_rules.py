"""When the supervisor's board raises an alert, and when it clears it.

`conditions` says which conditions hold at a moment, from the day's state, the
devices' last reports and the thresholds of `[alerts]`; each has a key, the same
for as long as it is the same problem. `Debouncer` turns what holds into commands:
raise what holds and is not open; clear what is open and has not held for
`clear_after_seconds`, so that a condition flickering on and off (a printer
reporting ok/out/ok every second) keeps one alert open instead of raising many.
Pure: the caller passes the time and submits the commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from queue_server.domain import commands as c
from queue_server.domain.config import AlertConfig
from queue_server.domain.lifecycle import CounterStatus
from queue_server.domain.state import QueueState, TicketStatus

# Printer states a kiosk reports that need someone to walk over (see PRINTER_STATES).
PRINTER_TROUBLE = frozenset({"paper_near_end", "paper_out", "cover_open", "offline"})


@dataclass(frozen=True)
class DeviceHealth:
    """What the server knows of one device: its last report and when it was last heard."""

    id: str
    role: str
    last_seen: float | None = None  # None: not heard since the server started
    printer: str | None = None  # a kiosk's printer state
    version: str | None = None


@dataclass(frozen=True)
class Condition:
    key: str  # stable while it is the same problem: one alert per key
    kind: str  # long_wait, long_queue, long_pause, no_counter, printer, offline, complaint
    subject: str  # a service id, a counter number, a device id
    detail: str  # the figure or state at the moment it was seen


def conditions(
    state: QueueState, devices: Iterable[DeviceHealth], now: float, limits: AlertConfig
) -> dict[str, Condition]:
    """Every alert condition that holds at `now`, by key."""
    found = [
        *_services(state, now, limits),
        *_counters(state, now, limits),
        *_devices(devices, now, limits),
        *_complaints(state, limits),
    ]
    return {cond.key: cond for cond in found}


def _services(state: QueueState, now: float, limits: AlertConfig) -> Iterable[Condition]:
    for service in state.config.services:
        waiting = state.waiting.waiting(service)
        if not waiting:
            continue
        oldest = state.waiting.oldest(service)
        waited = 0.0 if oldest is None else max(0.0, now - oldest)
        if waited >= limits.longest_wait_minutes * 60:
            yield Condition(f"long_wait:{service}", "long_wait", service, str(int(waited // 60)))
        if waiting >= limits.waiting_count:
            yield Condition(f"long_queue:{service}", "long_queue", service, str(waiting))
        if state.open_counters(service) == 0:
            yield Condition(f"no_counter:{service}", "no_counter", service, str(waiting))


def _counters(state: QueueState, now: float, limits: AlertConfig) -> Iterable[Condition]:
    for cs in state.counters.values():
        if cs.status is not CounterStatus.PAUSED or cs.since is None:
            continue
        paused = now - cs.since
        if paused > limits.pause_allowance(cs.pause_reason):
            yield Condition(
                f"long_pause:{cs.number}",
                "long_pause",
                str(cs.number),
                f"{cs.pause_reason or ''} {int(paused // 60)}",
            )


def _devices(
    devices: Iterable[DeviceHealth], now: float, limits: AlertConfig
) -> Iterable[Condition]:
    for device in devices:
        if device.last_seen is None:
            continue  # never heard since start: not known to be in service
        silent = now - device.last_seen
        if silent > limits.device_offline_seconds:
            yield Condition(f"offline:{device.id}", "offline", device.id, str(int(silent)))
        elif device.printer in PRINTER_TROUBLE:
            yield Condition(f"printer:{device.id}", "printer", device.id, device.printer or "")


def _complaints(state: QueueState, limits: AlertConfig) -> Iterable[Condition]:
    """A "không hài lòng" needs a follow-up: it holds until a supervisor acknowledges it.

    The alert names the counter only: ratings are anonymous."""
    if limits.complaint_rating is None:
        return
    for ticket in state.tickets.values():
        key = f"complaint:{ticket.id}"
        if (
            ticket.rating == limits.complaint_rating
            and ticket.status is TicketStatus.DONE
            and key not in state.alerts.acknowledged_keys
        ):
            yield Condition(key, "complaint", str(ticket.counter), ticket.service)


class Debouncer:
    """Raise at once; clear only after the condition has stayed away a while."""

    def __init__(self, clear_after: float) -> None:
        self.clear_after = clear_after
        self._absent_since: dict[str, float] = {}

    def step(
        self, holding: Mapping[str, Condition], open_keys: Iterable[str], now: float
    ) -> tuple[list[Condition], list[str]]:
        """(conditions to raise, keys to clear) at `now`."""
        open_set = set(open_keys)
        to_raise = [cond for key, cond in holding.items() if key not in open_set]
        to_clear = []
        for key in open_set:
            if key in holding:
                self._absent_since.pop(key, None)
                continue
            since = self._absent_since.setdefault(key, now)
            if now - since >= self.clear_after:
                to_clear.append(key)
        for key in list(self._absent_since):
            if key not in open_set or key in to_clear:
                del self._absent_since[key]
        return to_raise, to_clear


def alert_commands(
    state: QueueState, devices: Iterable[DeviceHealth], now: float, debouncer: Debouncer
) -> list[c.Command]:
    """The commands that bring the open alerts in line with what holds at `now`."""
    holding = conditions(state, devices, now, state.alert_limits)
    to_raise, to_clear = debouncer.step(holding, state.alerts.open, now)
    out: list[c.Command] = [
        c.RaiseAlert(
            actor="system", key=cond.key, kind=cond.kind, subject=cond.subject, detail=cond.detail
        )
        for cond in to_raise
    ]
    out.extend(c.ClearAlert(actor="system", key=key) for key in to_clear)
    return out
