"""Which kiosks' stopped printers an officer is told of (issue 12), pure.

A kiosk reports its printer (`device_status`). When it cannot print — out of paper,
its cover open, the printer not answering — the officers at the counters serving the
services it issues tickets for are told, so one of them can walk over or call the
person in charge; the line goes when the printer prints again. A kiosk silent longer
than `[alerts] device_offline_seconds` (its open `offline` alert) cannot print either,
and is told the same way until it is heard again. Where a kiosk stands
and which services it issues for come from `[[kiosks]]` (`domain/config.py`); a
kiosk not placed there issues for every service.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from queue_server.domain.alerts import Alert
from queue_server.domain.config import SiteConfig

# Printer states in which a kiosk hands out no paper ticket (see PRINTER_STATES).
STOPPED = frozenset({"paper_out", "cover_open", "offline"})


def concerns(config: SiteConfig, device: str, counter: int) -> bool:
    """Whether kiosk `device` issues tickets for a service counter `counter` serves."""
    kiosk, served = config.kiosks.get(device), config.counters.get(counter)
    if served is None:
        return False
    return (
        kiosk is None or not kiosk.services or bool(set(kiosk.services) & set(served.all_services))
    )


def silent(alerts: Iterable[Alert]) -> set[str]:
    """The devices not heard from for too long: their open `offline` alerts."""
    return {a.subject for a in alerts if a.kind == "offline"}


def stopped_for(
    config: SiteConfig,
    reports: Mapping[str, Mapping[str, Any]],
    counter: int,
    quiet: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The kiosks that cannot print and that concern `counter`, in device order: what
    the console shows (`kiosk_printers`: `device`, `place`, `printer`, `at`, `silent`).
    `reports`: the kiosks' last `device_status`; `quiet`: the devices silent too long."""
    out = []
    kiosks = set(reports) | set(config.kiosks)
    for device in sorted(kiosks):
        report = reports.get(device, {})
        is_silent = device in quiet
        if (is_silent or report.get("printer") in STOPPED) and concerns(config, device, counter):
            kiosk = config.kiosks.get(device)
            out.append(
                {
                    "device": device,
                    "place": kiosk.place if kiosk else None,
                    "printer": report.get("printer"),
                    "at": report.get("at"),
                    "silent": is_silent,
                }
            )
    return out
