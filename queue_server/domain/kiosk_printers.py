"""Which kiosks' stopped printers an officer is told of (issue 12), pure.

A kiosk reports its printer (`device_status`). When it cannot print — out of paper,
its cover open, the printer not answering — the officers at the counters serving the
services it issues tickets for are told, so one of them can walk over or call the
person in charge; the line goes when the printer prints again. Where a kiosk stands
and which services it issues for come from `[[kiosks]]` (`domain/config.py`); a
kiosk not placed there issues for every service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def stopped_for(
    config: SiteConfig, reports: Mapping[str, Mapping[str, Any]], counter: int
) -> list[dict[str, Any]]:
    """The kiosks whose printer is stopped and that concern `counter`, in device order:
    what the console shows (`kiosk_printers`: `device`, `place`, `printer`, `at`)."""
    out = []
    for device in sorted(reports):
        report = reports[device]
        if report.get("printer") in STOPPED and concerns(config, device, counter):
            kiosk = config.kiosks.get(device)
            out.append(
                {
                    "device": device,
                    "place": kiosk.place if kiosk else None,
                    "printer": report["printer"],
                    "at": report.get("at"),
                }
            )
    return out
