"""Issue 15: the message channels follow a configuration change without a restart.

A real server, its real SQLite file and the real HTTP gateway channel talking to two
gateway stand-ins: after the administrator points the channel at the other gateway,
the message that was with the first one finishes there, the next goes to the second,
and each is sent once. Messaging switched on in the admin screen starts sending."""

from __future__ import annotations

import aiohttp
import pytest

from queue_server.outbox.standins.sms_gateway import SmsGateway
from tests.support.admin import change_config
from tests.support.booking import BOOKING, post, request
from tests.support.clock import FakeClock
from tests.support.messaging import gateway_channel, messaging_site, outbox_rows
from tests.support.servers import add_officer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM, small_site
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def gateways():
    first, second = SmsGateway(hang_times=1, hang_seconds=1.5), SmsGateway()
    for gw in (first, second):
        await gw.start()
    yield first, second
    for gw in (first, second):
        await gw.close()


async def test_a_channel_changed_in_the_admin_sends_the_next_message_without_loss(
    tmp_path, gateways
):
    first, second = gateways
    db = tmp_path / "q.db"
    config = messaging_site({"sms": gateway_channel(first.url)})
    clock = FakeClock(WEDNESDAY_9AM)
    async with (
        running_server(db, config, clock=clock) as (base, server),
        aiohttp.ClientSession() as http,
    ):
        await add_officer(server, "quan-tri", "admin")
        status, _ = await post(
            http, base, "/api/bookings", request(phone="0912345678", messages=True)
        )
        assert status == 201
        await until(lambda: first.requests == 1, what="the first message with gateway 1")
        assert first.delivered == []  # held there: in flight during the change

        def to_second(document: dict) -> None:
            document["messaging"]["channels"]["sms"]["url"] = second.url

        await change_config(base, to_second)
        status, _ = await post(
            http, base, "/api/bookings", request(phone="0987654321", messages=True)
        )
        assert status == 201
        await until(lambda: len(second.delivered) == 1, what="the next message via gateway 2")
        await until(lambda: len(first.delivered) == 1, what="the held one finished on gateway 1")
        assert [d.phone for d in first.delivered] == ["84912345678"]
        assert [d.phone for d in second.delivered] == ["84987654321"]
        await until(lambda: len(outbox_rows(db, "state = 'sent'")) == 2, what="both sent")
        rows = outbox_rows(db, "kind = 'booking_made'")  # the reminders wait for their day
        assert [(r["recipient"], r["state"], r["attempts"]) for r in rows] == [
            ("84912345678", "sent", 1),
            ("84987654321", "sent", 1),
        ]
        assert (first.requests, second.requests) == (1, 1)  # nothing sent twice


async def test_messaging_switched_on_in_the_admin_starts_sending(tmp_path):
    gateway = SmsGateway()
    await gateway.start()
    clock = FakeClock(WEDNESDAY_9AM)
    try:
        async with (
            running_server(tmp_path / "q.db", small_site(booking=BOOKING), clock=clock) as (
                base,
                server,
            ),
            aiohttp.ClientSession() as http,
        ):
            await add_officer(server, "quan-tri", "admin")

            def switch_on(document: dict) -> None:
                document["messaging"] = {
                    "route": {"phone": "sms"},
                    "channels": {"sms": gateway_channel(gateway.url)},
                }

            await change_config(base, switch_on)
            status, _ = await post(http, base, "/api/bookings", request(messages=True))
            assert status == 201
            await until(lambda: len(gateway.delivered) == 1, what="the booking's message")
            assert gateway.delivered[0].text.startswith("Trung tâm Hành chính công thử nghiệm")
    finally:
        await gateway.close()


async def test_a_bad_channel_key_is_refused_before_anything_changes(tmp_path):
    gateway = SmsGateway()
    await gateway.start()
    try:
        config = messaging_site({"sms": gateway_channel(gateway.url)})
        async with running_server(tmp_path / "q.db", config) as (base, server):
            await add_officer(server, "quan-tri", "admin")

            def typo(document: dict) -> None:
                document["messaging"]["channels"]["sms"]["tiemout"] = 5

            body = await change_config(base, typo, expect=400)
            error = body["error"]
            assert error["field"] == "messaging.channels.sms.tiemout"
            assert (error["problem"], error["problem_vi"]) == ("unknown key", "không có khoá này")
            assert "tiemout" not in server.config.messaging.channels_table["sms"]
    finally:
        await gateway.close()


async def test_a_new_channel_that_cannot_start_leaves_the_old_one_sending(tmp_path):
    """The change is valid but its channel cannot start (the dry-run file's folder is a
    file): the channels in force before go on, rather than nothing sending."""
    gateway = SmsGateway()
    await gateway.start()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    try:
        config = messaging_site({"sms": gateway_channel(gateway.url)})
        async with (
            running_server(tmp_path / "q.db", config, clock=FakeClock(WEDNESDAY_9AM)) as (
                base,
                server,
            ),
            aiohttp.ClientSession() as http,
        ):
            await add_officer(server, "quan-tri", "admin")

            def to_a_broken_file(document: dict) -> None:
                document["messaging"]["channels"]["sms"] = {
                    "type": "dryrun",
                    "path": str(blocker / "messages.jsonl"),
                }

            await change_config(base, to_a_broken_file)
            await until(lambda: server.config.messaging.channels_table["sms"]["type"] == "dryrun",
                        what="the change in force")  # fmt: skip
            status, body = await post(http, base, "/api/bookings", request(messages=True))
            assert status == 201, body
            await until(lambda: len(gateway.delivered) == 1, what="the message, on the old channel")
    finally:
        await gateway.close()
