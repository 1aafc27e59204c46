"""The leaders' report: the figures' definitions on a hand-made log, then the real server
over HTTP (who may read it, the figures of a morning, the CSV export)."""

from __future__ import annotations

import csv
import io
import json
import uuid

import aiohttp
import pytest

from queue_server.domain import events as e
from queue_server.domain.report import Report, stats
from queue_server.web import reports
from queue_server.web.reports import build_report
from tests.support.booking import TODAY, post, request, site
from tests.support.clock import FakeClock
from tests.support.servers import (
    KIOSK_TOKEN,
    RATING_TOKEN,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.siteconfig import SMALL_SITE_KIOSK, WEDNESDAY_9AM, small_site

T0 = WEDNESDAY_9AM  # 09:00 in the site's zone
MIN = 60.0


def issued(
    tid: int, number: str, at: float, service: str = "khai-sinh", effective_at: float | None = None
) -> e.TicketIssued:
    return e.TicketIssued(
        at=at,
        actor="kiosk-1",
        ticket_id=tid,
        public_id=f"p{tid}",
        number=number,
        seq=tid,
        service=service,
        priority=None,
        request_id=f"r{tid}",
        effective_at=effective_at,
        booking="ABCD2345" if effective_at else None,
    )


def a_morning() -> list[e.Event]:
    """Six tickets, every way a ticket can go (times in minutes after 09:00)."""

    def m(minutes: float) -> float:
        return T0 + minutes * MIN

    return [
        e.DayStarted(at=m(-90), actor="system", day="2026-05-27", next_ticket_id=1),
        e.CounterOpened(at=m(-5), actor="an", counter=1, officer="an"),
        e.CounterOpened(at=m(-5), actor="binh", counter=2, officer="binh"),
        issued(1, "A001", m(0)),
        issued(2, "A002", m(2)),
        issued(3, "A003", m(5)),
        issued(4, "A004", m(10), effective_at=m(30)),  # booked for 09:30, came at 09:10
        issued(5, "A005", m(12)),
        e.TicketCalled(at=m(10), actor="an", ticket_id=1, counter=1, recall=False),
        e.TicketCalled(at=m(12), actor="binh", ticket_id=2, counter=2, recall=False),
        e.TicketCalled(at=m(13), actor="an", ticket_id=1, counter=1, recall=True),
        e.TicketVoided(at=m(12.5), actor="kiosk-1", ticket_id=5, reason="paper out"),
        e.TicketNoShow(at=m(14), actor="binh", ticket_id=2, counter=2),
        e.TicketFinished(at=m(15), actor="an", ticket_id=1, counter=1, outcome="hoan-thanh"),
        e.TicketRated(at=m(16), actor="pad", ticket_id=1, counter=1, rating="hai-long"),
        e.TicketCalled(at=m(16), actor="an", ticket_id=3, counter=1, recall=False),
        e.TicketTransferred(
            at=m(20),
            actor="an",
            ticket_id=3,
            counter=1,
            from_service="khai-sinh",
            to_service="ket-hon",
            reason="sai",
        ),
        e.CounterPaused(at=m(20), actor="binh", counter=2, reason="nghi-trua"),
        e.CounterResumed(at=m(25), actor="binh", counter=2),
        e.TicketCalled(at=m(30), actor="binh", ticket_id=3, counter=2, recall=False),
        e.TicketCalled(at=m(35), actor="an", ticket_id=4, counter=1, recall=False),
        e.TicketFinished(at=m(40), actor="binh", ticket_id=3, counter=2, outcome="hoan-thanh"),
        e.TicketRated(at=m(41), actor="pad", ticket_id=3, counter=2, rating="khong-hai-long"),
        e.TicketFinished(at=m(45), actor="an", ticket_id=4, counter=1, outcome="hoan-thanh"),
        issued(6, "A006", m(50)),
        e.CounterClosed(at=m(50), actor="an", counter=1),
    ]


def test_nearest_rank_percentiles() -> None:
    assert stats([]) == {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    assert stats([600, 840]) == {"count": 2, "mean": 720, "p50": 600, "p90": 840, "max": 840}
    assert stats(list(range(1, 11))) == {"count": 10, "mean": 5.5, "p50": 5, "p90": 9, "max": 10}


def test_the_figures_of_a_morning_follow_the_definitions() -> None:
    report = Report(small_site())
    report.add(a_morning())
    out = report.to_dict(now=T0 + 60 * MIN)
    totals = out["totals"]
    # waits: A001 10, A002 10, A003 11 then 10 after its transfer, A004 5 from its slot
    assert totals["wait"] == stats([600, 600, 660, 600, 300])
    # service: A001 5 (the recall is not a new call), A003 4 + 10, A004 10; not A002
    assert totals["service"] == stats([300, 240, 600, 600])
    assert {
        k: totals[k]
        for k in (
            "issued",
            "served",
            "no_show",
            "voided",
            "transferred",
            "waiting_now",
            "in_service_now",
            "longest_wait_now",
        )
    } == {
        "issued": 6,
        "served": 3,
        "no_show": 1,
        "voided": 1,
        "transferred": 1,
        "waiting_now": 1,
        "in_service_now": 0,
        "longest_wait_now": 600,
    }
    # a 3-step scale: the better half is "rat-hai-long" alone
    assert totals["ratings"] == {"hai-long": 1, "khong-hai-long": 1}
    assert totals["satisfied"] == 0.0
    assert [r["satisfied"] for r in out["rating_scale"]] == [True, False, False]

    services = {s["id"]: s for s in out["services"]}
    assert (services["khai-sinh"]["waiting_now"], services["khai-sinh"]["longest_wait_now"]) == (
        1,
        600,
    )
    assert (services["ket-hon"]["waiting_now"], services["ket-hon"]["longest_wait_now"]) == (
        0,
        None,
    )
    assert services["khai-sinh"]["issued"] == 6 and services["ket-hon"]["issued"] == 0
    assert services["khai-sinh"]["transferred"] == 1  # counted where it left
    assert services["ket-hon"]["wait"]["count"] == 1  # its second wait, where it waited
    assert services["ket-hon"]["served"] == 1 and services["khai-sinh"]["served"] == 2
    assert services["khai-sinh"]["name"] == "Đăng ký khai sinh"

    counters = {c["number"]: c for c in out["counters"]}
    assert counters[1]["service"] == stats([300, 240, 600]) and counters[1]["served"] == 2
    assert counters[2]["no_show"] == 1 and counters[2]["service"] == stats([600])
    # signed-in time: counter 1 from 08:55 to its close at 09:50; counter 2 from 08:55
    # until now (10:00), less its 5-minute pause; busy = serving ÷ open time
    assert (counters[1]["open_seconds"], counters[1]["paused_seconds"]) == (55 * MIN, 0)
    assert counters[1]["busy"] == round(1140 / (55 * MIN), 3)
    assert (counters[2]["open_seconds"], counters[2]["paused_seconds"]) == (60 * MIN, 5 * MIN)
    assert counters[2]["busy"] == round(600 / (60 * MIN), 3)
    officers = {o["username"]: o for o in out["officers"]}
    assert officers["binh"]["open_seconds"] == 60 * MIN
    assert officers["an"]["ratings"] == {"hai-long": 1} and officers["an"]["transferred"] == 1
    assert officers["binh"]["ratings"] == {"khong-hai-long": 1}
    hours = {h["hour"]: h for h in out["hours"]}
    assert hours[9]["issued"] == 6 and hours[9]["wait"]["count"] == 5
    assert [d["day"] for d in out["days"]] == ["2026-05-27"]

    a003 = report.tickets[3]
    assert (
        a003.wait_seconds,
        a003.service_seconds,
        a003.outcome,
        a003.officer,
        a003.transfers,
        a003.current_service,
    ) == (1260, 840, "finished", "binh", 1, "ket-hon")


def test_still_in_service_is_not_yet_a_service_time() -> None:
    report = Report(small_site())
    report.add(a_morning()[:10])  # A001 and A002 called, nothing ended
    totals = report.to_dict(now=T0 + 13 * MIN)["totals"]
    assert totals["in_service_now"] == 2 and totals["service"]["count"] == 0
    assert totals["waiting_now"] == 3 and totals["longest_wait_now"] == 8 * MIN


async def test_leaders_read_the_report_of_a_morning_and_export_it(tmp_path):
    clock = FakeClock(T0)
    async with (
        running_server(tmp_path / "q.db", clock=clock) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        await add_officer(server, "an", full_name="Lê Văn An")
        await add_officer(server, "lanh-dao", role="leader")
        officer = await peer(base, "counter", await login(base, "an"), counter=9)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        numbers = []
        for n in range(3):
            clock.now = T0 + n * MIN
            numbers.append(
                (
                    await kiosk.request(
                        "issue", service="khai-sinh-khai-tu", request_id=str(uuid.uuid4())
                    )
                )["ticket"]["number"]
            )
        clock.now = T0 + 10 * MIN
        assert (await officer.request("call_next"))["ok"]
        clock.now = T0 + 15 * MIN
        assert (await officer.request("finish"))["ok"]
        pad = await peer(base, "rating", RATING_TOKEN, counter=9)
        assert (await pad.request("rate", number=numbers[0], rating="hai-long"))["ok"]
        assert (await officer.request("call_next"))["ok"]
        clock.now = T0 + 16 * MIN
        assert (await officer.request("no_show"))["ok"]
        clock.now = T0 + 20 * MIN

        async def get(path: str, token: str | None, **query: str):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.get(f"{base}{path}", headers=headers, params=query) as resp:
                body = await resp.read()
                return resp.status, resp.headers, body

        # Who may read it
        assert (await get("/api/reports", None))[0] == 401
        assert (await get("/api/reports", "not-a-token"))[0] == 401
        status, _, body = await get("/api/reports", await login(base, "an"))
        assert status == 403 and b'"forbidden"' in body
        leader = await login(base, "lanh-dao")
        for query in (
            {"from": "27/05/2026"},
            {"from": "2026-05-27", "to": "2026-05-26"},
            {"from": "2026-01-01", "to": "2026-12-31"},
        ):
            status, _, body = await get("/api/reports", leader, **query)
            assert status == 400 and b'"bad_request"' in body, query

        # The figures (today by default)
        status, _, body = await get("/api/reports", leader)
        assert status == 200
        report = json.loads(body)
        assert report["from"] == report["to"] == "2026-05-27"
        totals = report["totals"]
        assert (totals["issued"], totals["served"], totals["no_show"]) == (3, 1, 1)
        assert totals["wait"] == stats([10 * MIN, 14 * MIN])  # the second waited 09:01–09:15
        assert totals["service"] == stats([5 * MIN])
        assert (totals["waiting_now"], totals["longest_wait_now"]) == (1, 18 * MIN)
        assert totals["ratings"] == {"hai-long": 1} and totals["satisfied"] == 1.0
        assert [
            (o["username"], o["name"], o["served"], o["no_show"]) for o in report["officers"]
        ] == [("an", "Lê Văn An", 1, 1)]
        assert [(c["number"], c["name"]) for c in report["counters"]] == [(9, "Quầy 9")]
        assert report["services"][0]["name"] == "Đăng ký khai sinh, khai tử"
        # today's report also shows the floor right now: who is at which counter
        now = {c["number"]: c for c in report["counters_now"]}
        assert len(now) == len(server.config.counters)
        assert {k: now[9][k] for k in ("status", "officer_name", "ticket")} == {
            "status": "open",
            "officer_name": "Lê Văn An",
            "ticket": None,
        }
        assert now[1]["status"] == "closed" and now[1]["officer_name"] == ""
        # another day has no tickets; a past one no "now"
        status, _, body = await get("/api/reports", leader, **{"from": "2026-05-28"})
        assert status == 200 and json.loads(body)["totals"]["issued"] == 0
        status, _, body = await get("/api/reports", leader, **{"from": "2026-05-26"})
        assert status == 200 and "counters_now" not in json.loads(body)

        # The export: a spreadsheet row per ticket, Vietnamese first, UTF-8 for Excel
        status, headers, body = await get("/api/reports/tickets.csv", leader)
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert "xep-hang-2026-05-27-2026-05-27.csv" in headers["Content-Disposition"]
        assert body.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert [r["Số / Number"] for r in rows] == numbers
        first = rows[0]
        assert (
            first["Lấy số lúc / Issued"],
            first["Chờ (giây) / Wait (s)"],
            first["Phục vụ (giây) / Service (s)"],
            first["Cán bộ / Officer"],
            first["Kết quả / Outcome"],
            first["Đánh giá / Rating"],
        ) == (
            "2026-05-27 09:00:00",
            "600",
            "300",
            "Lê Văn An (an)",
            "đã phục vụ (served)",
            "Hài lòng",
        )
        assert first["Dịch vụ / Service"] == "Đăng ký khai sinh, khai tử"
        assert rows[2]["Kết quả / Outcome"] == "đang chờ (waiting)"
        assert rows[2]["Quầy / Counter"] == ""
        async with server.accounts.db.execute(
            "SELECT actor, detail FROM audit WHERE action = 'report_export'"
        ) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [
                ("lanh-dao", "2026-05-27…2026-05-27")
            ]
        # The officer's own day, over the counter's connection, kept up to date
        mine = await officer.request("my_day")
        assert mine["ok"] and (mine["day"], mine["officer"]) == ("2026-05-27", "an")
        assert (mine["figures"]["served"], mine["figures"]["no_show"]) == (1, 1)
        assert mine["figures"]["service"] == stats([5 * MIN])
        assert mine["figures"]["ratings"] == {"hai-long": 1}
        assert (await officer.request("call_next"))["ok"]
        clock.now = T0 + 27 * MIN
        assert (await officer.request("finish"))["ok"]
        mine = await officer.request("my_day")
        assert mine["figures"]["served"] == 2
        assert mine["figures"]["service"] == stats([5 * MIN, 7 * MIN])
        refused = await kiosk.request("my_day")
        assert not refused["ok"] and refused["error"]["code"] == "forbidden"
        for p in (officer, kiosk, pad):
            await p.close()


@pytest.mark.parametrize("role", ["supervisor", "admin"])
async def test_supervisors_and_admins_may_read_it_too(tmp_path, role):
    async with running_server(tmp_path / "q.db") as (base, server), aiohttp.ClientSession() as http:
        await add_officer(server, "sep", role=role)
        token = await login(base, "sep")
        async with http.get(
            f"{base}/api/reports", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["totals"]["issued"] == 0


async def test_a_period_of_days_is_read_page_by_page_and_split_by_day(tmp_path):
    from queue_server.domain import commands as c

    clock = FakeClock(T0)
    async with running_server(tmp_path / "q.db", clock=clock) as (base, server):
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        for day, count in ((0, 4), (1, 3)):
            clock.now = T0 + day * 86400
            if day:
                await server.engine.submit(c.StartDay(actor="system", day="2026-05-28"))
            for n in range(count):
                await kiosk.request("issue", service="khai-sinh-khai-tu", request_id=f"d{day}-{n}")
        await kiosk.close()
        store = server.store

        async def read(first: str, last: str, page: int) -> list[str]:
            return [
                data async for chunk in store.events_of_days(first, last, page) for _, data in chunk
            ]

        both = await read("2026-05-27", "2026-05-28", 10_000)
        assert await read("2026-05-27", "2026-05-28", 3) == both  # pages join seamlessly
        first, second = [await read(d, d, 2) for d in ("2026-05-27", "2026-05-28")]
        assert first + second == both and first and second
        assert await read("2026-05-29", "2026-06-30", 5) == []
        assert await read("2026-01-01", "2026-05-26", 5) == []

        report = await build_report(server.config, store, "2026-05-27", "2026-05-28")
        out = report.to_dict(clock.now)
        assert [(d["day"], d["issued"]) for d in out["days"]] == [
            ("2026-05-27", 4),
            ("2026-05-28", 3),
        ]
        # the first day's four were still waiting at the reset: expired, not waiting now
        assert (out["totals"]["expired"], out["totals"]["waiting_now"]) == (4, 3)


async def test_bookings_count_by_the_day_booked(tmp_path):
    clock = FakeClock(T0 - 3600)  # 08:00
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        made = [
            (
                await post(
                    http,
                    base,
                    "/api/bookings",
                    request(day=TODAY, time=time, phone=f"09123456{n:02d}"),
                )
            )[1]
            for n, time in enumerate(("09:00", "09:00", "09:30", "10:00"))
        ]
        tomorrow = (await post(http, base, "/api/bookings", request(phone="0987654321")))[1]
        assert tomorrow["booking"]["day"] != TODAY
        gone = made[1]
        status, _ = await post(
            http,
            base,
            f"/api/bookings/{gone['booking']['code']}/cancel",
            {"key": gone["cancel_key"]},
        )
        assert status == 200
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        clock.now = T0 - 10 * MIN  # 08:50: on time for 09:00
        assert (await kiosk.request("checkin", code=made[0]["booking"]["code"], request_id="c0"))[
            "ok"
        ]
        clock.now = T0 + 50 * MIN  # 09:50: after the 09:30 window closed (15 min late)
        late = await kiosk.request("checkin", code=made[2]["booking"]["code"], request_id="c2")
        assert late["ok"] and late["checkin"]["late"]
        await kiosk.close()
        report = (await build_report(server.config, server.store, TODAY, TODAY)).to_dict(clock.now)
        assert report["bookings"] == {
            "made": 4,
            "checked_in": 2,
            "late": 1,
            "cancelled": 1,
            "not_come": 1,
        }
        assert report["totals"]["issued"] == 2  # the two check-ins took tickets


def test_a_takeover_during_a_pause_splits_the_time_between_the_officers() -> None:
    def m(minutes: float) -> float:
        return T0 + minutes * MIN

    report = Report(small_site())
    report.add(
        [
            e.DayStarted(at=m(-60), actor="system", day="2026-05-27", next_ticket_id=1),
            e.CounterOpened(at=m(0), actor="an", counter=3, officer="an"),
            e.CounterPaused(at=m(10), actor="an", counter=3, reason="nghi-trua"),
            e.CounterOpened(at=m(20), actor="binh", counter=3, officer="binh"),  # still paused
            e.CounterResumed(at=m(30), actor="binh", counter=3),
            e.CounterClosed(at=m(40), actor="binh", counter=3),
        ]
    )
    out = report.to_dict(now=m(90))
    officers = {o["username"]: o for o in out["officers"]}
    assert (officers["an"]["open_seconds"], officers["an"]["paused_seconds"]) == (600, 600)
    assert (officers["binh"]["open_seconds"], officers["binh"]["paused_seconds"]) == (600, 600)
    (counter,) = out["counters"]
    assert (counter["open_seconds"], counter["paused_seconds"], counter["busy"]) == (
        1200,
        1200,
        0.0,
    )


async def test_todays_figures_fold_only_what_is_new_and_equal_a_fresh_fold(tmp_path, monkeypatch):
    """Issue 18's soak: folding the whole day at every fetch made a peak that grew with
    the day. Today's report is kept and brought up to date; its figures are those of a
    report folded afresh."""
    folded: list[int] = []
    fold = reports._fold

    def counted(report, page):
        folded.append(len(page))
        fold(report, page)

    monkeypatch.setattr(reports, "_fold", counted)
    clock = FakeClock(T0)
    async with (
        running_server(tmp_path / "q.db", clock=clock) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        await add_officer(server, "an")
        await add_officer(server, "lanh-dao", role="leader")
        officer = await peer(base, "counter", await login(base, "an"), counter=9)
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        leader = {"Authorization": f"Bearer {await login(base, 'lanh-dao')}"}

        async def issue_and_serve(n: int) -> None:
            for _ in range(n):
                clock.now += MIN
                await kiosk.request(
                    "issue", service="khai-sinh-khai-tu", request_id=str(uuid.uuid4())
                )
            assert (await officer.request("call_next"))["ok"]
            clock.now += MIN
            assert (await officer.request("finish"))["ok"]

        async def figures() -> dict:
            async with http.get(f"{base}/api/reports", headers=leader) as resp:
                assert resp.status == 200
                return await resp.json()

        await issue_and_serve(3)
        first = await figures()
        folded_first, folded[:] = sum(folded), []
        await issue_and_serve(2)
        second = await figures()
        folded_second, folded[:] = sum(folded), []
        day = second["from"]
        fresh = await reports.build_report(server.config, server.store, day, day)
        everything = sum(folded)
    assert first["totals"]["issued"] == 3 and second["totals"]["issued"] == 5
    assert 0 < folded_second < everything  # only what happened since the first fetch
    assert folded_first + folded_second == everything
    expected = json.loads(json.dumps(fresh.to_dict(clock.now)))
    assert {key: second[key] for key in expected} == expected
