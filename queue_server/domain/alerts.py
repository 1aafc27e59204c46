"""Today's alerts: what was raised, who acknowledged it, what is still open.

The rules that decide when an alert is raised or cleared are in `alert_rules.py`;
this book only records what the events say, so replaying the log rebuilds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_protocol.errors import QueueError


@dataclass
class Alert:
    id: int
    key: str
    kind: str
    subject: str
    detail: str
    raised_at: float
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    cleared_at: float | None = None


class AlertBook:
    """Every alert of the day by id; the open one of each key."""

    def __init__(self) -> None:
        self.all: dict[int, Alert] = {}
        self.open: dict[str, int] = {}  # key → id of its open (not cleared) alert
        self.acknowledged_keys: set[str] = set()
        self.next_id = 1

    def get(self, alert_id: int) -> Alert:
        try:
            return self.all[alert_id]
        except KeyError:
            raise QueueError("unknown_alert", str(alert_id)) from None

    def open_alerts(self) -> list[Alert]:
        return [self.all[i] for i in sorted(self.open.values())]

    def raised(self, alert: Alert) -> None:
        self.all[alert.id] = alert
        self.open[alert.key] = alert.id
        self.next_id = max(self.next_id, alert.id + 1)

    def acknowledged(self, alert_id: int, by: str, at: float) -> None:
        alert = self.all[alert_id]
        alert.acknowledged_by, alert.acknowledged_at = by, at
        self.acknowledged_keys.add(alert.key)

    def cleared(self, alert_id: int, at: float) -> None:
        alert = self.all[alert_id]
        alert.cleared_at = at
        if self.open.get(alert.key) == alert_id:
            del self.open[alert.key]
