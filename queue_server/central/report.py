"""The province leaders' report: the rollups added up in PostgreSQL for a period and a
grouping, limited to the leader's sites; and the same rows as CSV or XLSX.

Every query reads one rollup (`domain/province.GROUPINGS`) by its `day` key: its cost
depends on the period and the number of sites asked for, not on how many days the
database holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import asyncpg
import openpyxl

from queue_protocol.codec import loads
from queue_protocol.errors import QueueError
from queue_server.central.accounts import Leader
from queue_server.domain.province import (
    BUCKETS,
    COUNTS,
    GROUPINGS,
    HISTOGRAMS,
    PREFIX,
    SERVICES,
    WAITS,
    bookings,
    figures,
)
from queue_server.domain.report import TARGET_MINUTES

MAX_DAYS = 400
_COLUMN = {
    "province": "s.province",
    "district": "s.district",
    "site_id": "f.site_id",
    "day": "f.day",
    "service": "f.service",
    "counter": "f.counter",
    "officer": "f.officer",
    "hour": "f.hour",
    "procedure": "f.procedure",
}


def _sums(table: str) -> str:
    cols = [f"sum(f.{c}) AS {c}" for c in COUNTS[table]]
    if table in WAITS:
        cols += ["sum(f.waits) AS waits", "sum(f.wait_sum) AS wait_sum"]
        cols += ["max(f.wait_max) AS wait_max"]
        cols += [f"sum(f.within_{m}) AS within_{m}" for m in TARGET_MINUTES]
    if table in SERVICES:
        cols += ["sum(f.services) AS services", "sum(f.service_sum) AS service_sum"]
        cols += ["max(f.service_max) AS service_max"]
        cols += ["sum(f.rated) AS rated", "sum(f.satisfied) AS satisfied"]
    return ", ".join(cols)


def _grouped(table: str, keys: tuple[str, ...], where: str) -> str:
    """The rollup's sums for a period, per group of `keys`, with the group's histogram
    (its bucket columns summed the same way, from the rollup's `HISTOGRAMS` table)."""
    keyed = "".join(f"{_COLUMN[k]} AS {k}, " for k in keys)
    group = f"GROUP BY {', '.join(_COLUMN[k] for k in keys)}" if keys else ""
    kinds = [PREFIX["wait"]] if table in WAITS else []
    kinds += [PREFIX["service"]] if table in SERVICES else []
    buckets = ", ".join(  # one array per kind: decoded in C, not 81 columns in Python
        f"ARRAY[{', '.join(f'sum(f.{k}{n})' for n in range(len(BUCKETS)))}] AS {k}_hist"
        for k in kinds
    )
    sums = (
        f"SELECT {keyed}{_sums(table)} FROM {table} f JOIN sites s ON s.id = f.site_id "
        f"WHERE {where} {group}"
    )
    histograms = (
        f"SELECT {keyed}{buckets} FROM {HISTOGRAMS[table]} f JOIN sites s "
        f"ON s.id = f.site_id WHERE {where} {group}"
    )
    if not keys:
        return f"SELECT * FROM ({sums}) a CROSS JOIN ({histograms}) b"
    names = ", ".join(keys)
    return f"SELECT * FROM ({sums}) a LEFT JOIN ({histograms}) b USING ({names}) ORDER BY {names}"


def period(first: str | None, last: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    try:
        a = dt.date.fromisoformat(first) if first else today
        b = dt.date.fromisoformat(last) if last else a
    except ValueError:
        raise QueueError("bad_request", "from and to: YYYY-MM-DD") from None
    if b < a or (b - a).days >= MAX_DAYS:
        raise QueueError("bad_request", f"from ≤ to, at most {MAX_DAYS} days")
    return a, b


async def province_report(
    pool: asyncpg.Pool, leader: Leader, first: dt.date, last: dt.date, by: str
) -> dict[str, Any]:
    """The figures of `first`…`last` grouped `by` (a key of `GROUPINGS`), with the
    totals, the bookings and the sites compared (lag, clock skew)."""
    if by not in GROUPINGS:
        raise QueueError("bad_request", f"by: one of {', '.join(GROUPINGS)}")
    table, keys = GROUPINGS[by]
    scope, args = leader.where(3)
    where = f"f.day BETWEEN $1 AND $2 AND {scope}"
    nobody = " AND f.officer <> ''" if by == "officer" else ""  # no one signed in
    own, own_args = leader.where(1)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        rows = await conn.fetch(_grouped(table, keys, where + nobody), first, last, *args)
        if table == "fig_service" and rows:  # the totals: the rows added up, no second scan
            total = _added_up([dict(r) for r in rows], keys)
        else:
            total = dict(
                await conn.fetchrow(_grouped("fig_service", (), where), first, last, *args)
            )
        booked = await conn.fetchrow(
            "SELECT coalesce(sum(made), 0) AS made, coalesce(sum(checked_in), 0) AS "
            "checked_in, coalesce(sum(late), 0) AS late, coalesce(sum(cancelled), 0) AS "
            "cancelled FROM fig_booking f JOIN sites s ON s.id = f.site_id "
            f"WHERE f.day BETWEEN $1 AND $2 AND {scope}",
            first,
            last,
            *args,
        )
        sites = await conn.fetch(
            "SELECT s.id, s.name, s.province, s.district, s.meta, s.skew_seconds, s.acked, "
            f"s.applied, s.head FROM sites s WHERE {own} ORDER BY s.id",
            *own_args,
        )
        names = await conn.fetch(
            "SELECT o.site_id, o.username, o.name FROM officers o JOIN sites s "
            f"ON s.id = o.site_id WHERE {own}",
            *own_args,
        )
    labels = _labels(sites, names)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "by": by,
        "scope": {"kind": leader.scope, "value": leader.scope_value},
        "totals": figures(_zeroed(total)),
        "bookings": bookings(dict(booked)),
        "rows": [_row(dict(r), keys, labels) for r in rows],
        "sites": [
            {
                "id": s["id"],
                "name": s["name"],
                "province": s["province"],
                "district": s["district"],
                "clock_skew_seconds": None
                if s["skew_seconds"] is None
                else round(s["skew_seconds"], 1),
                "lag_events": s["head"] - s["acked"],
                "unfolded_events": s["acked"] - s["applied"],
            }
            for s in sites
        ],
    }


def _added_up(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    """The sums of grouped rows (figures and histogram buckets) over all of them:
    counts and sums added, maxima the max."""
    out: dict[str, Any] = {}
    for name in rows[0] if rows else ():
        if name in keys:
            continue
        values = [r[name] for r in rows if r[name] is not None]
        if name.endswith("_hist"):  # histograms: added bucket by bucket
            out[name] = [sum(b or 0 for b in column) for column in zip(*values, strict=True)]
        elif name.endswith("_max"):
            out[name] = max(values, default=None)
        else:
            out[name] = sum(values)
    return out


def _zeroed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (0 if v is None and not k.endswith("_max") else v) for k, v in row.items()}


def _labels(sites: list, names: list) -> dict[str, dict[Any, str]]:
    services: dict[Any, str] = {}
    procedures: dict[Any, str] = {}
    counters: dict[Any, str] = {}
    site_names: dict[Any, str] = {}
    for s in sites:
        meta = loads(s["meta"] or "{}")
        site_names[s["id"]] = s["name"]
        for key, names_of in meta.get("services", {}).items():
            services.setdefault(key, names_of.get("name", key))
        for key, names_of in meta.get("procedures", {}).items():
            procedures.setdefault(key, names_of.get("name", key))
        for number, name in meta.get("counters", {}).items():
            counters[(s["id"], int(number))] = name
    officers = {(n["site_id"], n["username"]): n["name"] for n in names}
    return {
        "service": services,
        "procedure": procedures,
        "counter": counters,
        "site": site_names,
        "officer": officers,
    }


def _row(row: dict[str, Any], keys: tuple[str, ...], labels: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in keys:
        value = row.pop(k)
        out[k] = value.isoformat() if isinstance(value, dt.date) else value
    if "site_id" in out:
        out["site_name"] = labels["site"].get(out["site_id"], out["site_id"])
    if "service" in out:  # "service" is also the service times' figure
        out["service_id"] = out.pop("service")
        out["name"] = labels["service"].get(out["service_id"], out["service_id"])
    if "procedure" in out:
        out["name"] = labels["procedure"].get(out["procedure"], out["procedure"])
    if "counter" in out:
        out["name"] = labels["counter"].get((out["site_id"], out["counter"]), "")
    if "officer" in out:
        out["name"] = labels["officer"].get((out["site_id"], out["officer"]), "")
    out.update(figures(_zeroed(row)))
    return out


# -- exports -----------------------------------------------------------------------

FIGURE_COLUMNS = (  # (header: Vietnamese first, English second; path into a row)
    ("Lấy số / Issued", ("issued",)),
    ("Đã phục vụ / Served", ("served",)),
    ("Vắng mặt / No-show", ("no_show",)),
    ("Huỷ / Voided", ("voided",)),
    ("Hết hạn / Expired", ("expired",)),
    ("Chuyển / Transferred", ("transferred",)),
    ("Số lượt chờ / Waits", ("wait", "count")),
    ("Chờ TB (giây) / Mean wait (s)", ("wait", "mean")),
    ("Chờ trung vị (giây) / Median wait (s)", ("wait", "p50")),
    ("Chờ p90 (giây) / 90th percentile wait (s)", ("wait", "p90")),
    ("Chờ lâu nhất (giây) / Longest wait (s)", ("wait", "max")),
    ("Trong 15 phút / Within 15 min", ("within_15",)),
    ("Trong 30 phút / Within 30 min", ("within_30",)),
    ("Lượt phục vụ / Services", ("service", "count")),
    ("Phục vụ TB (giây) / Mean service (s)", ("service", "mean")),
    ("Phục vụ trung vị (giây) / Median service (s)", ("service", "p50")),
    ("Phục vụ p90 (giây) / 90th percentile service (s)", ("service", "p90")),
    ("Lượt đánh giá / Ratings", ("rated",)),
    ("Hài lòng / Satisfied", ("satisfied",)),
)
KEY_HEADERS = {
    "province": "Tỉnh / Province",
    "district": "Huyện / District",
    "site_id": "Trung tâm / Site",
    "site_name": "Tên trung tâm / Site name",
    "day": "Ngày / Day",
    "service_id": "Dịch vụ / Service",
    "counter": "Quầy / Counter",
    "officer": "Cán bộ / Officer",
    "name": "Tên / Name",
    "hour": "Giờ / Hour",
    "procedure": "Thủ tục / Procedure",
}


def table(report: dict[str, Any]) -> list[list[Any]]:
    """The report's rows as a table: a header row, then one row per group."""
    keys = [k for k in KEY_HEADERS if report["rows"] and k in report["rows"][0]]
    out: list[list[Any]] = [[KEY_HEADERS[k] for k in keys] + [h for h, _ in FIGURE_COLUMNS]]
    for row in report["rows"]:
        cells: list[Any] = [row[k] for k in keys]
        for _, path in FIGURE_COLUMNS:
            value: Any = row
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            cells.append("" if value is None else value)
        out.append(cells)
    return out


def to_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table(report))
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: Excel reads UTF-8 Vietnamese


def to_xlsx(report: dict[str, Any]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{report['from']}…{report['to']}"[:31]
    for cells in table(report):
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
