"""What the server knows of its devices: their last reports and when each was last heard.

Kiosks report their printer (`device_status`) on change and every few seconds;
displays and rating pads send a `ping`. A device silent for longer than
`[alerts] device_offline_seconds` is offline (`domain/alert_rules.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queue_server.domain.alert_rules import DeviceHealth
from queue_server.domain.config import Device


class DeviceBook:
    def __init__(self, configured: Mapping[str, Device]) -> None:
        self.configured = configured
        # device id → its last `device_status`, shown to staff and screens as it came
        self.reports: dict[str, dict[str, Any]] = {}
        self._seen: dict[str, float] = {}
        self._versions: dict[str, str] = {}

    def seen(self, device: str, at: float, version: str | None = None) -> None:
        self._seen[device] = at
        if version:
            self._versions[device] = version

    def health(self) -> list[DeviceHealth]:
        """Every configured device, heard from or not, in the configuration's order."""
        return [
            DeviceHealth(
                id=d.id,
                role=d.role,
                last_seen=self._seen.get(d.id),
                printer=self.reports.get(d.id, {}).get("printer"),
                version=self._versions.get(d.id),
            )
            for d in self.configured.values()
        ]
