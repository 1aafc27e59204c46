"""The province report's figures, from the rollups' sums: pure.

The definitions are the site report's (`queue_server/domain/report.py`): the rollups
hold, per group, how many waits ended and their sum, maximum and how many were within
each target, and the same for services; a mean here is the site's mean of the same
values, a share the site's `share`. Percentiles need every value, which the rollups do
not keep: the province report gives count, mean and maximum.
"""

from __future__ import annotations

from typing import Any

from queue_server.domain.report import TARGET_MINUTES, share

# by → (the rollup that has it, its key columns). `province` and `district` are the
# sites' places; every grouping reads the smallest rollup that has its key.
GROUPINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "province": ("fig_service", ("province",)),
    "district": ("fig_service", ("district",)),
    "site": ("fig_service", ("site_id",)),
    "day": ("fig_service", ("day",)),
    "service": ("fig_service", ("service",)),
    "counter": ("fig_staff", ("site_id", "counter")),
    "officer": ("fig_staff", ("site_id", "officer")),
    "hour": ("fig_hour", ("hour",)),
}
COUNTS = {  # the rollup → the counts it has besides waits and services
    "fig_service": ("issued", "served", "no_show", "voided", "expired", "transferred"),
    "fig_staff": ("served", "no_show", "transferred"),
    "fig_hour": ("issued",),
}


def summary(count: int, total: float, maximum: float | None) -> dict[str, Any]:
    """count, mean and max, rounded as the site report's `stats`."""
    if not count:
        return {"count": 0, "mean": None, "max": None}
    return {
        "count": count,
        "mean": round(total / count, 1),
        "max": None if maximum is None else round(maximum, 1),
    }


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """One group's figures from its sums (the columns of a rollup, added up)."""
    out: dict[str, Any] = {
        k: int(row[k])
        for k in ("issued", "served", "no_show", "voided", "expired", "transferred")
        if k in row
    }
    if "waits" in row:
        waits = int(row["waits"])
        out["wait"] = summary(waits, row["wait_sum"], row["wait_max"])
        for m in TARGET_MINUTES:
            out[f"within_{m}"] = share(int(row[f"within_{m}"]), waits)
    if "services" in row:
        out["service"] = summary(int(row["services"]), row["service_sum"], row["service_max"])
    if "rated" in row:
        out["rated"] = int(row["rated"])
        out["satisfied"] = share(int(row["satisfied"]), int(row["rated"]))
    return out


def bookings(row: dict[str, Any]) -> dict[str, int]:
    """The site report's booking figures (`report.booking_figures`) from the rollup."""
    made, checked_in, cancelled = int(row["made"]), int(row["checked_in"]), int(row["cancelled"])
    return {
        "made": made,
        "checked_in": checked_in,
        "late": int(row["late"]),
        "cancelled": cancelled,
        "not_come": made - checked_in - cancelled,
    }
