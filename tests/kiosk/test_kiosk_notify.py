"""The kiosk's optional "Nhận tin nhắn khi sắp đến lượt" step (model, no Qt) against the
real server: after the printed ticket, a phone number on the number pad, `notify_me`, the
server's yes or its Vietnamese no. The ticket never waits for any of it."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace

import pytest

from assets import SAMPLE_CONFIG
from kiosk.model import KioskModel, Page
from kiosk.text import phone_text
from queue_protocol.errors import ERRORS
from queue_server.core.siteconfig import load_config
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.servers import InProcessServer
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def kiosk(server, vp):
    async with running_kiosk(server.base, vp) as model:
        yield model


async def ticket_on_screen(kiosk: KioskModel) -> None:
    await until(lambda: kiosk.notify_offered, what="the messaging options")
    task = kiosk.take_ticket(BIRTH)
    assert task is not None
    await task
    assert kiosk.screen is Page.TICKET


def type_digits(kiosk: KioskModel, digits: str) -> None:
    for digit in digits:
        kiosk.type_phone(digit)


async def test_the_ticket_is_printed_before_the_step_is_even_offered(kiosk: KioskModel, server, vp):
    await ticket_on_screen(kiosk)
    assert len(await vp.wait_for_jobs(1)) == 1  # printed, with no phone asked for
    kiosk.open_notify()
    assert kiosk.screen is Page.NOTIFY and kiosk.notify is not None
    assert kiosk.notify.ahead == kiosk.notify_choices[0]
    type_digits(kiosk, "0912")
    kiosk.skip_notify()  # Bỏ qua: back to the number, nothing sent
    assert kiosk.screen is Page.TICKET and kiosk.notify is None
    assert len(server.tickets(BIRTH)) == 1


async def test_the_number_pad_takes_digits_only_and_at_most_eleven(kiosk: KioskModel):
    await ticket_on_screen(kiosk)
    kiosk.open_notify()
    type_digits(kiosk, "09a12-345 678999")
    assert kiosk.notify is not None and kiosk.notify.phone == "09123456789"  # 11 digits
    kiosk.delete_phone()
    kiosk.delete_phone()
    assert kiosk.notify.phone == "091234567"
    assert kiosk.submit_notify() is None  # nine digits: not a phone yet, nothing sent
    assert phone_text("0912345678") == "0912 345 678"
    kiosk.choose_ahead(4)  # not offered: ignored
    assert kiosk.notify.ahead == kiosk.notify_choices[0]
    kiosk.choose_ahead(kiosk.notify_choices[-1])
    assert kiosk.notify.ahead == kiosk.notify_choices[-1]


async def test_a_phone_signs_up_with_notify_me(kiosk: KioskModel, server):
    await ticket_on_screen(kiosk)
    kiosk.toggle_language()  # English: the messages will be in English
    kiosk.open_notify()
    type_digits(kiosk, "0912345678")
    kiosk.choose_ahead(kiosk.notify_choices[-1])
    task = kiosk.submit_notify()
    assert task is not None and kiosk.notify is not None and kiosk.notify.sending
    assert kiosk.submit_notify() is None  # a second tap while it is on its way
    await task
    form = kiosk.notify
    assert form is not None and form.done and form.refusal is None
    assert kiosk.screen is Page.NOTIFY
    # durable on the server (its SQLite file), with the time of the consent
    with contextlib.closing(sqlite3.connect(server.db)) as db:
        rows = db.execute("SELECT phone, ahead, lang, consent_at FROM subscriptions").fetchall()
    assert [row[:3] for row in rows] == [("0912345678", kiosk.notify_choices[-1], "en")]
    assert rows[0][3] > 0


async def test_the_choices_are_the_servers(kiosk: KioskModel, server):
    policy = server.server.config.messaging
    await until(lambda: kiosk.notify_offered, what="the messaging options")
    assert kiosk.notify_choices == tuple(policy.near_thresholds)[:3]
    assert kiosk.notify_default == policy.default_near


async def test_no_step_when_the_server_sends_no_messages(tmp_path, vp):
    sample = load_config(SAMPLE_CONFIG)
    quiet = replace(sample, messaging=replace(sample.messaging, enabled=False))
    async with (
        InProcessServer(tmp_path / "q.db", quiet) as server,
        running_kiosk(server.base, vp) as kiosk,
    ):
        # the options were read: the server's counts came (its own, not the kiosk's)
        await until(lambda: kiosk.notify_choices == (3, 5, 10), what="the messaging options")
        task = kiosk.take_ticket(BIRTH)
        assert task is not None
        await task
        kiosk.open_notify()
        assert kiosk.screen is Page.TICKET and kiosk.notify is None
        assert not kiosk.notify_offered


async def test_a_phone_that_is_not_vietnamese_mobile_gets_the_server_words(kiosk: KioskModel):
    await ticket_on_screen(kiosk)
    kiosk.open_notify()
    type_digits(kiosk, "0123456789")  # 01x: not a mobile prefix
    task = kiosk.submit_notify()
    assert task is not None
    await task
    form = kiosk.notify
    assert form is not None and not form.done and form.refusal is not None
    assert form.refusal.code == "bad_phone"
    assert form.refusal.message == ERRORS["bad_phone"].vi
    assert form.phone == "0123456789"  # kept, to be corrected
    kiosk.delete_phone()
    assert kiosk.notify is not None and kiosk.notify.refusal is None


async def test_a_lost_server_ends_the_step_and_the_printed_ticket_stands(
    kiosk: KioskModel, server, vp
):
    """No server: out of service like any page (the number is on paper already); back
    home, with nothing half-typed, once the server is back."""
    await ticket_on_screen(kiosk)
    kiosk.open_notify()
    type_digits(kiosk, "0912345678")
    await server.stop()
    await until(lambda: kiosk.screen is Page.OUT_OF_SERVICE, what="out of service")
    assert kiosk.notify is None and kiosk.submit_notify() is None
    await server.start()
    await until(lambda: kiosk.screen is Page.HOME, what="back in service")
    assert len(server.tickets(BIRTH)) == 1 and len(await vp.wait_for_jobs(1)) == 1


async def test_an_untouched_step_goes_home_at_the_idle_timeout(server, vp):
    async with running_kiosk(server.base, vp, idle_seconds=0.5, ticket_seconds=30) as kiosk:
        await ticket_on_screen(kiosk)
        kiosk.open_notify()
        type_digits(kiosk, "0912")
        await until(lambda: kiosk.screen is Page.HOME, what="home after idle", timeout=5)
        assert kiosk.notify is None and kiosk.language == "vi"


async def test_an_answer_after_the_citizen_left_changes_no_screen(kiosk: KioskModel, server):
    await ticket_on_screen(kiosk)
    kiosk.open_notify()
    type_digits(kiosk, "0912345678")
    task = kiosk.submit_notify()
    assert task is not None
    kiosk.go_home()  # the next citizen taps before the server answered
    await task
    assert kiosk.screen is Page.HOME and kiosk.notify is None
    with contextlib.closing(sqlite3.connect(server.db)) as db:  # the sign-up itself stands
        assert db.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (1,)


async def test_the_thanks_goes_home_like_the_number(server, vp):
    async with running_kiosk(server.base, vp, idle_seconds=30, ticket_seconds=0.5) as kiosk:
        await ticket_on_screen(kiosk)
        kiosk.open_notify()
        type_digits(kiosk, "0912345678")
        task = kiosk.submit_notify()
        assert task is not None
        await task
        assert kiosk.notify is not None and kiosk.notify.done
        await until(lambda: kiosk.screen is Page.HOME, what="home after the thanks", timeout=5)
