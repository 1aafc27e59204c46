"""Where the site's shipper stands, for the site's own /metrics: the shipper (a process
of its own, `replication/shipper.py`) writes a small JSON file next to the database
(`<db>.shipper.json`, replaced atomically); the site server reads it when scraped and
adds what only it knows now — its newest event — so the lag keeps growing on the
supervisor's screen even when the shipper has died or the link is down.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

WRITE_SECONDS = 1.0  # the shipper writes at most this often (and at every change of error)


def status_path(db: str | Path) -> Path:
    return Path(f"{db}.shipper.json")


def read_status(db: str | Path) -> dict[str, Any] | None:
    """The shipper's last word, or None (no shipper has run for this database)."""
    try:
        data = json.loads(status_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_status(db: str | Path, status: dict[str, Any]) -> None:
    """Replace the status file at once (a reader never sees half of it)."""
    path = status_path(db)
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(OSError):  # a read-only place: the metrics go without
        tmp.write_text(json.dumps(status), encoding="utf-8")
        os.replace(tmp, path)


def lag_figures(status: dict[str, Any] | None, head: int, now: float) -> dict[str, Any]:
    """What /metrics shows: events not acknowledged, seconds since the last
    acknowledgement, seconds since the shipper last wrote, whether it is failing, and
    its last error. NaN where nothing is known yet."""
    if status is None:
        return {
            "unacknowledged": math.nan,
            "since_ack": math.nan,
            "status_age": math.nan,
            "failing": math.nan,
            "last_error": "",
        }
    acked, acked_at = status.get("acked"), status.get("acked_at")
    updated = status.get("updated_at")
    return {
        "unacknowledged": max(0, head - acked) if isinstance(acked, int) else math.nan,
        "since_ack": max(0.0, now - acked_at) if acked_at is not None else math.nan,
        "status_age": max(0.0, now - updated) if updated is not None else math.nan,
        "failing": 1.0 if status.get("failing") else 0.0,
        "last_error": str(status.get("last_error") or "")[:200],
    }
