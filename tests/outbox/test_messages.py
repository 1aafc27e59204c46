"""Messages to citizens end to end: the real server, its real SQLite file, and the real
HTTP gateway channel talking to the gateway stand-in (which counts what it sends)."""

from __future__ import annotations

import sqlite3
import time

import aiohttp
import pytest

from queue_server.domain.commands import Tick
from queue_server.outbox.standins.sms_gateway import SmsGateway, post_inbound
from tests.support.booking import post, request
from tests.support.clock import FakeClock
from tests.support.messaging import WEBHOOK_SECRET, gateway_channel, messaging_site, outbox_rows
from tests.support.servers import InProcessServer, add_officer, login, peer, running_server
from tests.support.siteconfig import SMALL_SITE_KIOSK, WEDNESDAY_9AM
from tests.support.waiting import until

PHONE, INTL = "0912345678", "84912345678"


@pytest.fixture
async def gateway():
    gw = SmsGateway()
    await gw.start()
    yield gw
    await gw.close()


def serve(tmp_path, gateway, clock=time.time, **policy):
    config = messaging_site({"sms": gateway_channel(gateway.url)}, **policy)
    return running_server(tmp_path / "q.db", config, clock=clock)


async def sent(db, n: int) -> None:
    """Until `n` messages are recorded as sent (states are written a moment later)."""
    await until(lambda: len(outbox_rows(db, "state = 'sent'")) == n, what=f"{n} sent")


async def tick(srv) -> None:
    """What the server's look at the clock does, now: the reminders due are written."""
    await srv.engine.submit(Tick(actor="system"))


def texts(gateway) -> list[str]:
    return [d.text for d in gateway.delivered]


async def issue(kiosk, n: int, service: str = "khai-sinh") -> list[dict]:
    return [
        (await kiosk.request("issue", service=service, request_id=f"r{i}-{time.monotonic()}"))[
            "ticket"
        ]
        for i in range(n)
    ]


async def test_near_call_and_rating_link_reach_the_subscriber_once_each(tmp_path, gateway):
    async with serve(tmp_path, gateway, near_thresholds=[1, 3], default_near=1) as (base, srv):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        _, _, mine = await issue(kiosk, 3)
        answer = await kiosk.request(
            "notify_me", ticket=mine["public_id"], phone="+84 912 345 678", consent=True, ahead=1
        )
        assert answer["ok"] and answer["subscribed"] is True
        await add_officer(srv, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        await counter.request("call_next")  # A001: one left ahead of A003
        await until(lambda: len(gateway.delivered) == 1, what="the near message")
        await counter.request("finish")
        await counter.request("call_next")  # A002: nobody ahead now, no second "near"
        await counter.request("finish")
        await counter.request("call_next")  # A003
        await until(lambda: len(gateway.delivered) == 2, what="the call message")
        await counter.request("finish")
        await until(lambda: len(gateway.delivered) == 3, what="the rating link")
        assert texts(gateway) == [
            "Số A003: còn 1 người trước Ông/Bà. Mời Ông/Bà về khu vực chờ.",
            "Mời Ông/Bà có số A003 đến quầy số 1.",
            "Cảm ơn Ông/Bà. Mời Ông/Bà đánh giá sự phục vụ (số A003): "
            f"https://xephang.example.vn/danh-gia/{mine['public_id']}",
        ]
        assert {d.phone for d in gateway.delivered} == {INTL}
        assert all(d.unicode for d in gateway.delivered)  # Vietnamese marks: UCS-2
        assert gateway.requests == 3
        await sent(tmp_path / "q.db", 3)
        rows = outbox_rows(tmp_path / "q.db")
        assert [(r["kind"], r["state"], r["attempts"]) for r in rows] == [
            ("near", "sent", 1),
            ("called", "sent", 1),
            ("rate_link", "sent", 1),
        ]
        assert rows[0]["provider_id"] == "gw-1" and rows[0]["segments"] == 1
        for p in (kiosk, counter):
            await p.close()


async def test_english_when_chosen_over_http(tmp_path, gateway):
    async with (
        serve(tmp_path, gateway) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        (ticket,) = await issue(kiosk, 1)
        status, answer = await post(
            http,
            base,
            f"/api/tickets/{ticket['public_id']}/notify",
            {"phone": PHONE, "ahead": 3, "lang": "en", "consent": True},
        )
        assert (status, answer) == (200, {"subscribed": True})
        await until(lambda: gateway.delivered, what="the near message")
        assert texts(gateway) == [
            "Number A001: you are next. Please come back to the waiting area."
        ]
        assert not gateway.delivered[0].unicode  # plain English goes as GSM 7-bit
        await kiosk.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"consent": False}, "consent_required"),
        ({"phone": "0123456789"}, "bad_phone"),
        ({"phone": "+1 202 555 0100"}, "bad_phone"),
        ({"ahead": 7}, "bad_request"),
        ({"lang": "fr"}, "bad_request"),
        ({"ticket": "no-such-ticket"}, "unknown_ticket"),
    ],
)
async def test_bad_sign_ups_are_refused_and_store_nothing(tmp_path, gateway, change, code):
    async with (
        serve(tmp_path, gateway) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        (ticket,) = await issue(kiosk, 1)
        fields = {"ticket": ticket["public_id"], "phone": PHONE, "consent": True, "ahead": 3}
        fields |= change
        refused = await kiosk.request("notify_me", **fields)
        assert refused["error"]["code"] == code
        target = fields.pop("ticket")
        status, body = await post(http, base, f"/api/tickets/{target}/notify", fields)
        assert body["error"]["code"] == code and status in (400, 404)
        await kiosk.close()
    with sqlite3.connect(tmp_path / "q.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
        log = " ".join(t for (t,) in conn.execute("SELECT type FROM events"))
    assert "ticket_subscribed" not in log


async def test_provider_down_three_times_then_sent_once(tmp_path, gateway):
    gateway.fail_times = 3  # HTTP 500 three times, then 200
    async with serve(tmp_path, gateway) as (base, srv):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        (ticket,) = await issue(kiosk, 1)
        await kiosk.request("notify_me", ticket=ticket["public_id"], phone=PHONE, consent=True)
        await until(lambda: outbox_rows(tmp_path / "q.db", "state = 'sent'"), what="sent")
        (row,) = outbox_rows(tmp_path / "q.db")
        assert (row["attempts"], row["reason"]) == (4, None)
        assert gateway.requests == 4 and len(gateway.delivered) == 1
        metrics = srv.metrics.render().decode()
        assert 'xephang_messages_total{channel="sms",outcome="retry"} 3.0' in metrics
        assert 'xephang_messages_total{channel="sms",outcome="sent"} 1.0' in metrics
        await kiosk.close()


async def test_permanent_failure_is_kept_with_its_reason_and_resent_on_request(tmp_path, gateway):
    gateway.api_key = "another-key"  # the provider answers 401 for ours
    db = tmp_path / "q.db"
    async with (
        serve(tmp_path, gateway) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        first, second = await issue(kiosk, 2)
        await kiosk.request("notify_me", ticket=first["public_id"], phone=PHONE, consent=True)
        await until(lambda: outbox_rows(db, "state = 'failed'"), what="the failure")
        gateway.api_key = "test-api-key"
        # A later message goes through: the failed one was not tried again meanwhile.
        await kiosk.request("notify_me", ticket=second["public_id"], phone=PHONE, consent=True)
        await sent(db, 1)
        failed, other = outbox_rows(db)
        assert failed["state"] == "failed" and failed["attempts"] == 1
        assert failed["reason"].startswith("HTTP 401")
        assert other["state"] == "sent" and gateway.requests == 2

        await add_officer(srv, "giam-sat", role="supervisor")
        await add_officer(srv, "an")
        headers = {"Authorization": "Bearer " + await login(base, "giam-sat")}
        async with http.get(f"{base}/api/outbox?state=failed", headers=headers) as resp:
            listed = await resp.json()
        assert [m["id"] for m in listed["messages"]] == [failed["id"]]
        assert listed["messages"][0]["to"] == "8491***678"  # masked
        assert listed["counts"] == {"failed": 1, "sent": 1}
        officer = {"Authorization": "Bearer " + await login(base, "an")}
        async with http.post(f"{base}/api/outbox/{failed['id']}/resend", headers=officer) as r:
            assert r.status == 403
        async with http.post(f"{base}/api/outbox/{other['id']}/resend", headers=headers) as r:
            assert (await r.json())["error"]["code"] == "not_resendable"
        async with http.post(f"{base}/api/outbox/{failed['id']}/resend", headers=headers) as r:
            assert r.status == 200
        await sent(db, 2)
        assert len(gateway.delivered) == 2
        # Rows carry their template, not their text: the view renders what was sent.
        assert [r["text"] for r in outbox_rows(db)] == [None, None]
        async with http.get(f"{base}/api/outbox", headers=headers) as resp:
            shown = [m["text"] for m in (await resp.json())["messages"]]
        assert sorted(shown) == sorted(texts(gateway))
        with sqlite3.connect(db) as conn:
            assert conn.execute(
                "SELECT actor, detail FROM audit WHERE action = 'message_resend'"
            ).fetchall() == [("giam-sat", str(failed["id"]))]
        await kiosk.close()


async def test_booking_confirmation_reminders_and_the_centre_cancelling_the_day(tmp_path, gateway):
    clock = FakeClock(WEDNESDAY_9AM)
    db = tmp_path / "q.db"
    friday_9 = WEDNESDAY_9AM + 2 * 86400
    async with (
        serve(tmp_path, gateway, clock=clock) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        status, made = await post(
            http, base, "/api/bookings", request(day="2026-05-29", messages=True)
        )
        assert status == 201
        code, key = made["booking"]["code"], made["cancel_key"]
        await until(lambda: gateway.delivered, what="the confirmation")
        assert texts(gateway) == [
            "Trung tâm Hành chính công thử nghiệm: Ông/Bà đã đặt lịch Đăng ký khai sinh lúc "
            f"09:00 ngày 29/05/2026, mã {code}. Huỷ lịch: "
            f"https://xephang.example.vn/dat-lich/huy/{code}#k={key}"
        ]
        await tick(srv)  # not due yet: written when due, not with the booking
        assert outbox_rows(db, "kind LIKE 'reminder%'") == []
        clock.now = friday_9 - 86400  # Thursday 09:00: the day before
        # Written by the server's own look at the clock (no tick from the test).
        await until(lambda: len(gateway.delivered) == 2, what="the reminder the day before")
        assert [(r["kind"], r["next_at"]) for r in outbox_rows(db, "kind LIKE 'reminder%'")] == [
            ("reminder_day", friday_9 - 86400)
        ]
        assert texts(gateway)[1] == (
            f"Nhắc lịch hẹn: ngày mai 29/05/2026 lúc 09:00, Đăng ký khai sinh, mã {code}. "
            "Mời Ông/Bà đến đúng giờ."
        )

        await add_officer(srv, "giam-sat", role="supervisor")
        headers = {"Authorization": "Bearer " + await login(base, "giam-sat")}
        async with http.post(
            f"{base}/api/services/khai-sinh/cancel-day",
            json={"day": "2026-05-29", "reason": "mất điện"},
            headers=headers,
        ) as resp:
            assert (await resp.json()) == {
                "cancelled": 1,
                "day": "2026-05-29",
                "service": "khai-sinh",
            }
        await until(lambda: len(gateway.delivered) == 3, what="the cancellation")
        assert texts(gateway)[2] == (
            f"Trung tâm xin lỗi Ông/Bà: lịch hẹn {code} (Đăng ký khai sinh, 09:00 ngày "
            "29/05/2026) đã bị huỷ. Lý do: mất điện. Mời Ông/Bà đặt lịch ngày khác."
        )
        await sent(db, 3)
        clock.now = friday_9 - 3600  # the hour before: the booking is cancelled, no reminder
        await tick(srv)
        assert outbox_rows(db, "kind = 'reminder_hour'") == []
        async with http.get(f"{base}/api/outbox", headers=headers) as resp:
            counts = (await resp.json())["counts"]
        assert counts == {"sent": 3}
    assert len(gateway.delivered) == 3
    with sqlite3.connect(db) as conn:
        (detail,) = conn.execute(
            "SELECT detail FROM audit WHERE action = 'service_day_cancelled'"
        ).fetchone()
    assert detail.startswith("khai-sinh 2026-05-29: 1 bookings")


async def test_a_citizen_who_cancelled_gets_no_reminders(tmp_path, gateway):
    db = tmp_path / "q.db"
    clock = FakeClock(WEDNESDAY_9AM)
    friday_9 = WEDNESDAY_9AM + 2 * 86400
    async with (
        serve(tmp_path, gateway, clock=clock) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(http, base, "/api/bookings", request(day="2026-05-29", messages=True))
        code = made["booking"]["code"]
        other = request(day="2026-05-29", phone="0987654321", messages=True)
        _, kept = await post(http, base, "/api/bookings", other)
        await post(http, base, f"/api/bookings/{code}/cancel", {"key": made["cancel_key"]})
        for clock.now in (friday_9 - 86400, friday_9 - 3600):  # each reminder's time
            await tick(srv)
        reminders = outbox_rows(db, "kind LIKE 'reminder%'")
    # The booking that stands is reminded twice; the cancelled one never.
    assert [(r["kind"], r["booking"]) for r in reminders] == [
        ("reminder_day", kept["booking"]["code"]),
        ("reminder_hour", kept["booking"]["code"]),
    ]


async def test_a_reminder_written_before_a_restart_is_not_written_again(tmp_path, gateway):
    """After a restart the reminders are planned again from the bookings; the one already
    written (and sent) keeps its outbox key, so it is not written or sent twice."""
    db, clock = tmp_path / "q.db", FakeClock(WEDNESDAY_9AM)
    friday_9 = WEDNESDAY_9AM + 2 * 86400
    async with (
        serve(tmp_path, gateway, clock=clock) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        await post(http, base, "/api/bookings", request(day="2026-05-29", messages=True))
        clock.now = friday_9 - 86400
        await tick(srv)
        await sent(db, 2)
    clock.now = friday_9 - 86400 + 600  # restarted ten minutes later, the same day
    async with serve(tmp_path, gateway, clock=clock) as (_, srv):
        await tick(srv)
        assert [r["kind"] for r in outbox_rows(db)] == ["booking_made", "reminder_day"]
        clock.now = friday_9 - 3600
        await tick(srv)
        await sent(db, 3)
    assert [d.text.split(":")[0] for d in gateway.delivered] == [
        "Trung tâm Hành chính công thử nghiệm",
        "Nhắc lịch hẹn",
        "Nhắc lịch hẹn",
    ]


async def test_a_reminder_lost_with_a_failed_commit_is_written_again(tmp_path, gateway):
    """The batch that wrote the day-before reminder did not become durable (disk full):
    the reminders are planned again from the reloaded bookings and it still goes, once."""
    db, clock = tmp_path / "q.db", FakeClock(WEDNESDAY_9AM)
    async with (
        serve(tmp_path, gateway, clock=clock) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        await post(http, base, "/api/bookings", request(day="2026-05-29", messages=True))
        await sent(db, 1)
        real_write, failed = srv.store._write, []

        def disk_full_once(*args):  # on the store's thread
            if not failed:
                failed.append(args)
                raise sqlite3.OperationalError("database or disk is full")
            real_write(*args)

        srv.store._write = disk_full_once
        clock.now = WEDNESDAY_9AM + 86400  # Thursday 09:00: the server's own look writes it
        await until(lambda: failed, what="the failed commit")
        assert [row[2] for row in failed[0][3].outbox] == ["reminder_day"]  # lost with it
        await until(lambda: len(gateway.delivered) == 2, what="the reminder, written again")
        assert [r["kind"] for r in outbox_rows(db)] == ["booking_made", "reminder_day"]


async def test_rating_link_rates_once_like_the_pad(tmp_path, gateway):
    async with (
        serve(tmp_path, gateway) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        (ticket,) = await issue(kiosk, 1)
        token = ticket["public_id"]
        async with http.post(f"{base}/api/ratings/{token}", json={"rating": "hai-long"}) as r:
            assert (await r.json())["error"]["code"] == "not_ratable"  # not served yet
        await add_officer(srv, "an")
        counter = await peer(base, "counter", await login(base, "an"), counter=1)
        await counter.request("call_next")
        await counter.request("finish")
        async with http.get(f"{base}/api/ratings/{token}") as r:
            shown = await r.json()
        assert shown["number"] == "A001" and shown["rated"] is None
        assert [s["id"] for s in shown["scale"]] == ["rat-hai-long", "hai-long", "khong-hai-long"]
        async with http.post(f"{base}/api/ratings/{token}", json={"rating": "tot"}) as r:
            assert (await r.json())["error"]["code"] == "unknown_rating"
        async with http.post(f"{base}/api/ratings/{token}", json={"rating": "hai-long"}) as r:
            assert (r.status, await r.json()) == (200, {"rated": True})
        async with http.post(f"{base}/api/ratings/{token}", json={"rating": "rat-hai-long"}) as r:
            assert (r.status, (await r.json())["error"]["code"]) == (409, "already_rated")
        assert srv.state.ticket_by_public_id(token).rating == "hai-long"
        for p in (kiosk, counter):
            await p.close()


async def test_lookup_by_sms_through_the_webhook(tmp_path, gateway):
    db = tmp_path / "q.db"
    async with serve(tmp_path, gateway, inbound_per_hour=3) as (base, srv):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        await issue(kiosk, 2)
        url = f"{base}/api/sms/inbound"
        assert await post_inbound(url, WEBHOOK_SECRET, PHONE, "stt  a002") == (
            200,
            {"received": True},
        )
        await until(lambda: gateway.delivered, what="the reply")
        assert texts(gateway) == [
            "Số A002 (Đăng ký khai sinh): đang chờ, còn 1 người trước Ông/Bà."
        ]
        assert gateway.delivered[0].phone == INTL
        assert (await post_inbound(url, WEBHOOK_SECRET, PHONE, "XYZ"))[0] == 200
        await until(lambda: len(gateway.delivered) == 2, what="the help text")
        assert texts(gateway)[1].startswith("Không tìm thấy mã này. Nhắn STT <số thứ tự>")

        status, body = await post_inbound(url, "wrong-secret-0123456789", PHONE, "STT A001")
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        status, body = await post_inbound(url, WEBHOOK_SECRET, "+1 202 555 0100", "STT A001")
        assert (status, body["error"]["code"]) == (400, "bad_phone")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                url, json={"text": "STT A001"}, headers={"X-Webhook-Secret": WEBHOOK_SECRET}
            ) as r,
        ):
            assert (r.status, (await r.json())["error"]["code"]) == (400, "bad_request")
        assert len(outbox_rows(db)) == 2  # refusals wrote nothing

        # The third look-up within the hour is answered, the fourth is not.
        await post_inbound(url, WEBHOOK_SECRET, PHONE, "STT A001")
        await until(lambda: len(gateway.delivered) == 3, what="the third reply")
        await post_inbound(url, WEBHOOK_SECRET, PHONE, "STT A001")
        await post_inbound(url, WEBHOOK_SECRET, "0987654321", "STT A001")  # another phone
        await until(lambda: len(gateway.delivered) == 4, what="the other phone's reply")
        assert [d.phone for d in gateway.delivered[2:]] == [INTL, "84987654321"]
        metrics = srv.metrics.render().decode()
        assert 'xephang_sms_lookups_total{outcome="limited"} 1.0' in metrics
        await kiosk.close()


async def test_personal_data_stays_out_of_the_event_log_and_is_purged(tmp_path, gateway):
    db = tmp_path / "q.db"
    async with serve(tmp_path, gateway) as (base, srv):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        (ticket,) = await issue(kiosk, 1)
        await kiosk.request("notify_me", ticket=ticket["public_id"], phone=PHONE, consent=True)
        await sent(db, 1)
        with sqlite3.connect(db) as conn:
            log = " ".join(d for (d,) in conn.execute("SELECT data FROM events"))
            assert conn.execute("SELECT phone FROM subscriptions").fetchall() == [(PHONE,)]
        assert "ticket_subscribed" in log and "912345678" not in log
        assert outbox_rows(db)[0]["recipient"] == INTL
        today = srv.engine.today()
        assert await srv.store.purge_personal_data(today, time.time()) == 0  # today is kept
        assert outbox_rows(db)[0]["recipient"] == INTL
        await srv.store.purge_personal_data("9999-01-01", time.time())
        await kiosk.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT phone FROM subscriptions").fetchall() == [(None,)]
        dump = "\n".join(conn.iterdump())
    (row,) = outbox_rows(db)
    assert (row["recipient"], row["text"], row["state"]) == (None, None, "sent")
    assert "912345678" not in dump


async def test_a_subscription_outlives_a_restart(tmp_path, gateway):
    config = messaging_site({"sms": gateway_channel(gateway.url)})
    local = InProcessServer(tmp_path / "q.db", config)
    await local.start()
    try:
        kiosk = await peer(local.base, "kiosk", SMALL_SITE_KIOSK)
        first, second, mine = await issue(kiosk, 3)
        await kiosk.request("notify_me", ticket=mine["public_id"], phone=PHONE, consent=True)
        await kiosk.close()
        await local.stop()
        await local.start()  # the phone is read back from the subscriptions table
        await add_officer(local.server, "an")
        counter = await peer(local.base, "counter", await login(local.base, "an"), counter=1)
        for _ in range(2):
            await counter.request("call_next")
            await counter.request("finish")
        await counter.request("call_next")
        await until(lambda: len(gateway.delivered) == 2, what="near, then the call")
        assert [d.phone for d in gateway.delivered] == [INTL, INTL]
        assert texts(gateway)[1] == "Mời Ông/Bà có số A003 đến quầy số 1."
        await counter.close()
    finally:
        await local.stop()


async def test_the_reminder_an_hour_before(tmp_path, gateway):
    clock = FakeClock(WEDNESDAY_9AM)
    async with (
        serve(tmp_path, gateway, clock=clock) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(
            http, base, "/api/bookings", request(day="2026-05-27", time="11:00", messages=True)
        )
        code = made["booking"]["code"]
        await sent(tmp_path / "q.db", 1)  # the confirmation; no "day before" (it is today)
        clock.now = WEDNESDAY_9AM + 3600  # 10:00
        await sent(tmp_path / "q.db", 2)
        assert [r["kind"] for r in outbox_rows(tmp_path / "q.db")] == [
            "booking_made",
            "reminder_hour",
        ]
    assert texts(gateway)[1] == (
        f"Nhắc lịch hẹn: hôm nay lúc 11:00, Đăng ký khai sinh, mã {code}. "
        "Ông/Bà nhập mã tại kiosk để lấy số."
    )


async def test_without_the_choice_only_the_centres_cancellation_is_sent(tmp_path, gateway):
    db = tmp_path / "q.db"
    async with (
        serve(tmp_path, gateway, clock=FakeClock(WEDNESDAY_9AM)) as (base, srv),
        aiohttp.ClientSession() as http,
    ):
        status, body = await post(http, base, "/api/bookings", request(messages="yes"))
        assert (status, body["error"]["code"]) == (400, "bad_request")
        _, made = await post(http, base, "/api/bookings", request(day="2026-05-29"))
        assert outbox_rows(db) == []  # no confirmation, no reminders: not asked for
        await add_officer(srv, "giam-sat", role="supervisor")
        headers = {"Authorization": "Bearer " + await login(base, "giam-sat")}
        async with http.post(
            f"{base}/api/services/khai-sinh/cancel-day", json={"day": "2026-05-29"}, headers=headers
        ) as resp:
            assert (await resp.json())["cancelled"] == 1
        await sent(db, 1)
    assert texts(gateway) == [
        f"Trung tâm xin lỗi Ông/Bà: lịch hẹn {made['booking']['code']} (Đăng ký khai sinh, "
        "09:00 ngày 29/05/2026) đã bị huỷ. Lý do: dịch vụ tạm ngừng. Mời Ông/Bà đặt lịch "
        "ngày khác."
    ]


async def test_a_booking_code_texted_in_gets_the_booking(tmp_path, gateway):
    async with (
        serve(tmp_path, gateway, clock=FakeClock(WEDNESDAY_9AM)) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        _, made = await post(http, base, "/api/bookings", request(day="2026-05-29"))
        code = made["booking"]["code"]
        texted = code[:4].lower() + " " + code[4:]  # as a citizen types it
        await post_inbound(f"{base}/api/sms/inbound", WEBHOOK_SECRET, PHONE, texted)
        await sent(tmp_path / "q.db", 1)
    assert texts(gateway) == [
        f"Lịch hẹn {code}: Đăng ký khai sinh lúc 09:00 ngày 29/05/2026 (còn hiệu lực)."
    ]


async def test_a_backlog_is_sent_once_each_at_the_providers_rate(tmp_path, gateway):
    """More messages than the sender holds in flight, through a channel limited to
    400 a second: each is sent once (no row taken twice while its state is written)."""
    channel = gateway_channel(gateway.url, rate_per_second=400, concurrency=8)
    config = messaging_site({"sms": channel})
    async with (
        running_server(tmp_path / "q.db", config) as (base, _),
        aiohttp.ClientSession() as http,
    ):
        headers = {"X-Webhook-Secret": WEBHOOK_SECRET}
        for n in range(400):
            body = {"from": f"09{n:08d}", "text": "STT A001"}
            async with http.post(f"{base}/api/sms/inbound", json=body, headers=headers) as r:
                assert r.status == 200
        await sent(tmp_path / "q.db", 400)
    assert len(gateway.delivered) == gateway.requests == 400
    assert len({d.key for d in gateway.delivered}) == 400
