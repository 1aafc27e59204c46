"""The province report equals the sites' own reports, figure by figure: three simulated
sites (the real domain, several days each) are shipped to a real PostgreSQL, folded into
the rollups there, and the province report read back over HTTP is compared with each
site's `domain/report.py` report of the same days, and with their sum."""

from __future__ import annotations

import datetime as dt
import io

import aiohttp
import openpyxl

from queue_server.core.store import Store
from queue_server.domain.province import resolution
from queue_server.domain.replication import site_meta
from queue_server.domain.report import TARGET_MINUTES, stats
from queue_server.replication.shipper import Shipper
from queue_server.web.reports import build_report
from tests.support.province import LEADER_PASSWORD, shipping, simulate, site_head, write_site
from tests.support.servers import sample_site

FIRST = dt.date(2026, 3, 2)
DAYS = 3
COUNTS = ("issued", "served", "no_show", "voided", "expired", "transferred")


async def _login(base: str, name: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/api/login", json={"username": name, "password": LEADER_PASSWORD}
        ) as resp,
    ):
        return (await resp.json())["token"]


async def _get(base: str, token: str, path: str, **query: str) -> aiohttp.ClientResponse:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{base}{path}", params=query, headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        await resp.read()
        return resp


def _same(province: dict, site: dict, what: str) -> None:
    """The province figures of a group equal the site report's, as far as the rollups go."""
    for k in COUNTS:
        if k in province:
            assert province[k] == site[k], (what, k)
    for k in ("wait", "service"):
        if k in province:
            for figure in ("count", "mean", "max"):
                assert province[k][figure] == site[k][figure], (what, k, figure)
            _same_percentiles(province[k], site[k], f"{what} {k}")
    if "wait" in province:
        for m in TARGET_MINUTES:
            assert province[f"within_{m}"] == site[f"within_{m}"], (what, m)
    if "rated" in province:
        assert province["rated"] == site["rated"], what
        assert province["satisfied"] == site["satisfied"], what


def _same_percentiles(province: dict, site: dict, what: str) -> None:
    """Median and p90 from histograms: within half a bucket of the exact ones (half a
    minute under an hour)."""
    for figure in ("p50", "p90"):
        if site[figure] is None:
            assert province[figure] is None, (what, figure)
        else:
            gap = abs(province[figure] - site[figure])
            assert gap <= resolution(site[figure]) + 0.05, (what, figure, gap)


async def test_the_province_report_is_the_sum_of_the_sites_reports(central, tmp_path):
    config = sample_site(tmp_path)
    sites = {"tinh": 160, "xa-a": 60, "xa-b": 40}  # tickets a day
    own: dict[str, dict] = {}
    values: dict[str, list[float]] = {"wait": [], "service": []}  # every site's
    last = FIRST + dt.timedelta(days=DAYS - 1)
    await central.add_leader("tinh", "province", "Bình Dương")
    for seed, (site, tickets) in enumerate(sites.items(), start=1):
        events, bookings = simulate(config, FIRST, DAYS, tickets, seed)
        db = tmp_path / f"{site}.db"
        await write_site(db, events, bookings)
        store = await Store.open(db)
        try:
            folded = await build_report(config, store, FIRST.isoformat(), last.isoformat())
            own[site] = folded.to_dict(0)
            values["wait"] += folded.totals.waits
            values["service"] += folded.totals.service_times
        finally:
            await store.close()
        token = await central.add_site(site)
        async with shipping(Shipper(db, central.base, site, token, site_meta(config))):
            await central.caught_up(site, site_head(db))

    token = await _login(central.base, "tinh")
    base, span = central.base, {"from": FIRST.isoformat(), "to": last.isoformat()}
    by_site = await _get(base, token, "/api/province/report", by="site", **span)
    body = await by_site.json()
    rows = {r["site_id"]: r for r in body["rows"]}
    assert set(rows) == set(sites)
    for site in sites:
        _same(rows[site], own[site]["totals"], site)
        assert own[site]["totals"]["rated"] > 0 and own[site]["totals"]["transferred"] > 0

    # the province totals: the sum of the sites' counts
    for k in COUNTS:
        assert body["totals"][k] == sum(own[s]["totals"][k] for s in sites), k
    # the province's percentiles: those of all the sites' waits and services together
    for kind, of_all in values.items():
        _same_percentiles(body["totals"][kind], stats(of_all), f"province {kind}")
    assert body["bookings"] == {
        k: sum(own[s]["bookings"][k] for s in sites) for k in body["bookings"]
    }
    assert body["bookings"]["made"] > 0

    # by day, service, counter, officer and hour: per site, equal to the site's groups
    only = {s: await _scoped(central, s, span) for s in sites}
    for site, report in only.items():
        days = {d["day"]: d for d in own[site]["days"]}
        assert {r["day"] for r in report["day"]["rows"]} == set(days)
        for r in report["day"]["rows"]:
            _same(r, days[r["day"]], f"{site} {r['day']}")
        services = {s["id"]: s for s in own[site]["services"]}
        for r in report["service"]["rows"]:
            _same(r, services[r["service_id"]], f"{site} {r['service_id']}")
        counters = {
            c["number"]: c for c in own[site]["counters"] if c["served"] or c["service"]["count"]
        }
        assert {r["counter"] for r in report["counter"]["rows"]} >= set(counters)
        for r in report["counter"]["rows"]:
            _same(
                r,
                next(c for c in own[site]["counters"] if c["number"] == r["counter"]),
                f"{site} counter {r['counter']}",
            )
        officers = {o["username"]: o for o in own[site]["officers"]}
        for r in report["officer"]["rows"]:
            _same(r, officers[r["officer"]], f"{site} officer {r['officer']}")
        hours = {h["hour"]: h for h in own[site]["hours"]}
        for r in report["hour"]["rows"]:
            _same(r, hours[r["hour"]], f"{site} hour {r['hour']}")
        procedures = {p["code"]: p for p in own[site]["procedures"]}
        assert {r["procedure"] for r in report["procedure"]["rows"]} == set(procedures)
        assert len(procedures) > 5
        for r in report["procedure"]["rows"]:
            _same(r, procedures[r["procedure"]], f"{site} procedure {r['procedure']}")
            assert r["name"] == procedures[r["procedure"]]["name"]

    # the exports carry the same rows
    csv = await _raw(base, token, "/api/province/report.csv", by="site", **span)
    lines = csv.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Trung tâm / Site,Tên trung tâm / Site name,Lấy số / Issued")
    assert len(lines) == 1 + len(sites)
    book = openpyxl.load_workbook(
        io.BytesIO(await _raw(base, token, "/api/province/report.xlsx", by="site", **span))
    )
    sheet = book.active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[1][0] == "tinh" and cells[1][2] == own["tinh"]["totals"]["issued"]


async def _scoped(central, site: str, span: dict) -> dict:
    """A leader of one site: every grouping of that site's figures."""
    await central.add_leader(f"ld-{site}", "site", site)
    token = await _login(central.base, f"ld-{site}")
    out = {}
    for by in ("day", "service", "counter", "officer", "hour", "procedure"):
        resp = await _get(central.base, token, "/api/province/report", by=by, **span)
        assert resp.status == 200
        body = await resp.json()
        assert {s["id"] for s in body["sites"]} == {site}  # the scope holds
        out[by] = body
    return out


async def _raw(base: str, token: str, path: str, **query: str) -> bytes:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{base}{path}", params=query, headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        assert resp.status == 200
        return await resp.read()
