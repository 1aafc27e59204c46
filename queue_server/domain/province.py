"""The province report's figures, from the rollups' sums: pure.

The definitions are the site report's (`queue_server/domain/report.py`): the rollups
hold, per group, how many waits ended and their sum, maximum and how many were within
each target, and the same for services; a mean here is the site's mean of the same
values, a share the site's `share`. Percentiles (median, p90) are nearest ranks, as the
site's, on histograms kept per group (`HISTOGRAMS`: how many waits and services ended
in each bucket of `BUCKETS`: whole minutes up to an hour, 5 minutes up to two hours, a
quarter of an hour up to four, then one): the rank's bucket is found exactly, and the
figure given is the bucket's middle (never more than the group's maximum) — within
half a bucket (`resolution`: 30 s under an hour) of the site report's value.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from itertools import accumulate
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
# The histograms' buckets: (up to, width) in seconds — whole minutes up to an hour, five
# minutes up to two hours, a quarter of an hour up to four; then one bucket.
BANDS = ((3600, 60), (7200, 300), (14400, 900))


def _bounds() -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    start = 0.0
    for upto, width in BANDS:
        out += [(lower, lower + width) for lower in range(int(start), upto, width)]
        start = upto
    return out + [(start, math.inf)]


BUCKETS = _bounds()  # bucket n: [lower, upper) seconds
PREFIX = {"wait": "w", "service": "s"}  # the histogram columns: w0…w80, s0…s80


def bucket_of(seconds: float) -> int:
    """The bucket a time falls in (the database's `bucket_of`)."""
    start, first = 0.0, 0
    for upto, width in BANDS:
        if seconds < upto:
            return first + int((max(0.0, seconds) - start) // width)
        first += int((upto - start) // width)
        start = upto
    return first


def resolution(seconds: float) -> float:
    """How far a percentile near `seconds` may be from the exact one: half its bucket."""
    lower, upper = BUCKETS[bucket_of(seconds)]
    return (upper - lower) / 2


def percentile(counts: list[int], p: float, maximum: float | None) -> float | None:
    """The nearest-rank percentile `p` of a histogram (`counts` per bucket), as the
    site's `stats` ranks (ceil(p × n)): the middle of the bucket the rank falls in, at
    most the maximum (the last bucket, unbounded: the maximum)."""
    return _ranked(list(accumulate(counts)), p, maximum)


def _ranked(running: list[int], p: float, maximum: float | None) -> float | None:
    """`percentile` on the histogram's running counts."""
    if not running or not running[-1]:
        return None
    rank = max(1, math.ceil(p * running[-1]))
    lower, upper = BUCKETS[bisect_left(running, rank)]  # the first bucket reaching it
    middle = (lower + upper) / 2
    if maximum is None:
        return None if math.isinf(middle) else round(middle, 1)
    return round(min(middle, maximum), 1)


def summary(
    count: int, total: float, maximum: float | None, counts: list[int] | None = None
) -> dict[str, Any]:
    """count, mean, p50, p90 and max, rounded as the site report's `stats`; `counts`:
    the group's histogram."""
    if not count:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    running = list(accumulate(counts or ()))
    return {
        "count": count,
        "mean": round(total / count, 1),
        **{k: _ranked(running, p, maximum) for k, p in PERCENTILES.items()},
        "max": None if maximum is None else round(maximum, 1),
    }


def histogram(row: dict[str, Any], kind: str) -> list[int]:
    """A row's histogram of `kind` (wait, service): its bucket columns (w0… or s0…)
    summed, as an array `w_hist` or `s_hist`."""
    return row.get(f"{PREFIX[kind]}_hist") or []  # sums of NOT NULL columns: no None


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """One group's figures from its sums (the columns of a rollup, added up)."""
    out: dict[str, Any] = {
        k: int(row[k])
        for k in ("issued", "served", "no_show", "voided", "expired", "transferred")
        if k in row
    }
    if "waits" in row:
        waits = int(row["waits"])
        out["wait"] = summary(waits, row["wait_sum"], row["wait_max"], histogram(row, "wait"))
        for m in TARGET_MINUTES:
            out[f"within_{m}"] = share(int(row[f"within_{m}"]), waits)
    if "services" in row:
        out["service"] = summary(
            int(row["services"]),
            row["service_sum"],
            row["service_max"],
            histogram(row, "service"),
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
