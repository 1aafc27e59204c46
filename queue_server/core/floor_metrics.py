"""The floor in `/metrics`: queues, counters, devices and open alerts, read at scrape time.

Labels are ids (service, counter number, device) so a Grafana dashboard can repeat a
panel per service or per device (`docs/grafana-dashboard.json`).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator

from queue_server.core.devices import DeviceBook
from queue_server.core.exposition import Family, GaugeFamily
from queue_server.domain.lifecycle import CounterStatus
from queue_server.domain.state import QueueState

ALERT_KINDS = (
    "long_wait",
    "long_queue",
    "no_counter",
    "long_pause",
    "printer",
    "offline",
    "complaint",
)


class FloorCollector:
    def __init__(
        self,
        state: Callable[[], QueueState],
        devices: DeviceBook,
        clock: Callable[[], float],
    ) -> None:
        self.state, self.devices, self.clock = state, devices, clock

    def collect(self) -> Iterator[Family]:
        state, now = self.state(), self.clock()
        yield from self._services(state, now)
        yield from self._counters(state)
        yield from self._devices(state, now)
        open_by_kind = Tally(a.kind for a in state.alerts.open_alerts())
        alerts = GaugeFamily(
            "xephang_alerts_open", "Alerts raised and not yet cleared", labels=["kind"]
        )
        for kind in ALERT_KINDS:
            alerts.add_metric([kind], open_by_kind[kind])
        yield alerts

    def _services(self, state: QueueState, now: float) -> Iterator[Family]:
        waiting = GaugeFamily("xephang_service_waiting", "Tickets waiting now", labels=["service"])
        longest = GaugeFamily(
            "xephang_service_longest_wait_seconds",
            "How long the oldest waiting ticket has waited (0 when none waits)",
            labels=["service"],
        )
        for service in state.config.services:
            oldest = state.waiting.oldest(service)
            waiting.add_metric([service], state.waiting.waiting(service))
            longest.add_metric([service], 0 if oldest is None else max(0.0, now - oldest))
        yield waiting
        yield longest

    def _counters(self, state: QueueState) -> Iterator[Family]:
        status = GaugeFamily(
            "xephang_counter_state",
            "1 for the state each counter is in (open, paused, closed)",
            labels=["counter", "state"],
        )
        served = GaugeFamily(
            "xephang_counter_served_today", "Tickets finished today", labels=["counter"]
        )
        for number, cs in state.counters.items():
            for value in CounterStatus:
                status.add_metric([str(number), value.value], 1 if cs.status is value else 0)
            served.add_metric([str(number)], cs.served)
        yield status
        yield served

    def _devices(self, state: QueueState, now: float) -> Iterator[Family]:
        limit = state.alert_limits.device_offline_seconds
        up = GaugeFamily(
            "xephang_device_up",
            "1 if the device was heard within [alerts] device_offline_seconds",
            labels=["device", "role"],
        )
        seen = GaugeFamily(
            "xephang_device_last_seen_timestamp_seconds",
            "When the device was last heard (Unix time; absent if never since start)",
            labels=["device", "role"],
        )
        printer = GaugeFamily(
            "xephang_device_printer",
            "1 for a kiosk's reported printer state",
            labels=["device", "state"],
        )
        for device in self.devices.health():
            labels = [device.id, device.role]
            alive = device.last_seen is not None and now - device.last_seen <= limit
            up.add_metric(labels, 1 if alive else 0)
            if device.last_seen is not None:
                seen.add_metric(labels, device.last_seen)
            if device.printer is not None:
                printer.add_metric([device.id, device.printer], 1)
        yield up
        yield seen
        yield printer
