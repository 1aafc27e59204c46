"""The province report's figures, from the rollups' sums: pure.

The definitions are the site report's (`queue_server/domain/report.py`): the rollups
hold, per group, how many waits ended and their sum, maximum and how many were within
each target, and the same for services; a mean here is the site's mean of the same
values, a share the site's `share`. Percentiles (median, p90) are nearest ranks, as the
site's, on minute histograms (`HISTOGRAMS`: how many waits and services ended in each
whole minute, per group): the rank's minute is found exactly, and the figure given is
the middle of that minute (never more than the group's maximum) — within half a
minute (`PERCENTILE_RESOLUTION`) of the site report's value.
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
    "procedure": ("fig_procedure", ("procedure",)),
}
COUNTS = {  # the rollup → the counts it has besides waits and services
    "fig_service": ("issued", "served", "no_show", "voided", "expired", "transferred"),
    "fig_staff": ("served", "no_show", "transferred"),
    "fig_hour": ("issued",),
    "fig_procedure": ("served", "no_show", "transferred"),
}
WAITS = ("fig_service", "fig_hour")  # the rollups with waits
SERVICES = ("fig_service", "fig_staff", "fig_procedure")  # the rollups with service times
# the rollup → its minute histogram (same keys and a `minute`), with a column of counts
# for each of `wait` and `service` the rollup has
HISTOGRAMS = {
    "fig_service": "hist_service",
    "fig_staff": "hist_staff",
    "fig_hour": "hist_hour",
    "fig_procedure": "hist_procedure",
}
PERCENTILES = {"p50": 0.5, "p90": 0.9}
BUCKET_SECONDS = 60
PERCENTILE_RESOLUTION = BUCKET_SECONDS / 2  # at most this far from the exact value


def percentile(minute: int | None, maximum: float | None) -> float | None:
    """The figure for a rank found in `minute`: the minute's middle, at most the maximum."""
    if minute is None:
        return None
    middle = minute * BUCKET_SECONDS + PERCENTILE_RESOLUTION
    return round(middle if maximum is None else min(middle, maximum), 1)


def summary(
    count: int, total: float, maximum: float | None, minutes: dict[str, int | None] | None = None
) -> dict[str, Any]:
    """count, mean, p50, p90 and max, rounded as the site report's `stats`; `minutes`:
    the minute each percentile's rank falls in."""
    if not count:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    minutes = minutes or {}
    return {
        "count": count,
        "mean": round(total / count, 1),
        **{p: percentile(minutes.get(p), maximum) for p in PERCENTILES},
        "max": None if maximum is None else round(maximum, 1),
    }


def ranks_of(row: dict[str, Any], kind: str) -> dict[str, int | None]:
    """The minutes of `kind`'s (wait, service) percentiles in a row (`{kind}_p50_minute`…)."""
    return {p: row.get(f"{kind}_{p}_minute") for p in PERCENTILES}


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """One group's figures from its sums (the columns of a rollup, added up)."""
    out: dict[str, Any] = {
        k: int(row[k])
        for k in ("issued", "served", "no_show", "voided", "expired", "transferred")
        if k in row
    }
    if "waits" in row:
        waits = int(row["waits"])
        out["wait"] = summary(waits, row["wait_sum"], row["wait_max"], ranks_of(row, "wait"))
        for m in TARGET_MINUTES:
            out[f"within_{m}"] = share(int(row[f"within_{m}"]), waits)
    if "services" in row:
        out["service"] = summary(
            int(row["services"]), row["service_sum"], row["service_max"], ranks_of(row, "service")
        )
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
