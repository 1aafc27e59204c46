"""The supervisor's board (`/giam-sat`): one snapshot of the floor, built from the state.

Services with their queues, counters with their officers, every configured device
with its health, and the open alerts. The board is sent whole (a few kilobytes for a
large centre), coalesced (`ws/board.py`), so a reconnecting board always shows the
truth and no update can be missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from queue_server.domain.alert_rules import DeviceHealth
from queue_server.domain.alerts import Alert
from queue_server.domain.booking import BookingStatus
from queue_server.domain.eta import rounded
from queue_server.domain.hours import is_open
from queue_server.domain.state import QueueState

BOOKINGS_AHEAD_SECONDS = 3600  # "bookings due in the next hour"


def board_view(state: QueueState, devices: Iterable[DeviceHealth], now: float) -> dict[str, Any]:
    config = state.config
    return {
        "type": "board",
        "server_time": now,
        "day": state.day,
        "limits": {  # the thresholds in force today
            "longest_wait_minutes": state.alert_limits.longest_wait_minutes,
            "waiting_count": state.alert_limits.waiting_count,
            "device_offline_seconds": state.alert_limits.device_offline_seconds,
        },
        "services": [_service(state, sid, now) for sid in config.services],
        "counters": [_counter(state, n) for n in config.counters],
        "devices": [_device(d, now, state.alert_limits.device_offline_seconds) for d in devices],
        "alerts": [alert_view(a) for a in state.alerts.open_alerts()],
        "pause_reasons": {r.id: [r.name, r.name_en] for r in config.pause_reasons.values()},
    }


def _service(state: QueueState, service_id: str, now: float) -> dict[str, Any]:
    service = state.config.services[service_id]
    oldest = state.waiting.oldest(service_id)
    due = sum(
        1
        for b in state.bookings.of_day(service_id, state.day or "")
        if b.status is BookingStatus.ACTIVE and now <= b.slot_at < now + BOOKINGS_AHEAD_SECONDS
    )
    return {
        "id": service_id,
        "name": service.name,
        "name_en": service.name_en,
        "waiting": state.waiting.waiting(service_id),
        "oldest_at": oldest,
        "estimated_wait": rounded(state.wait_for_new(service_id, now)),
        "open_counters": state.open_counters(service_id),
        "open": not state.enforce_hours or is_open(state.config.site, service, now),
        "closed_today": service_id in state.closed_services,
        "bookings_next_hour": due,
    }


def _counter(state: QueueState, number: int) -> dict[str, Any]:
    cs, counter = state.counters[number], state.config.counters[number]
    ticket = state.current_ticket(number)
    return {
        "number": number,
        "name": counter.name,
        "status": cs.status.value,
        "since": cs.since,
        "officer": cs.officer,
        "officer_name": cs.officer_name,
        "pause_reason": cs.pause_reason,
        "ticket": ticket.number if ticket else None,
        "ticket_since": ticket.called_at if ticket else None,
        "served": cs.served,
        "suggested": cs.suggested,
        "services": list(counter.all_services),
    }


def _device(device: DeviceHealth, now: float, offline_after: float) -> dict[str, Any]:
    online = device.last_seen is not None and now - device.last_seen <= offline_after
    return {
        "id": device.id,
        "role": device.role,
        "last_seen": device.last_seen,
        "online": online,
        "printer": device.printer,
        "version": device.version,
    }


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "key": alert.key,
        "kind": alert.kind,
        "subject": alert.subject,
        "detail": alert.detail,
        "raised_at": alert.raised_at,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
    }
