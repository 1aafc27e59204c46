"""The messages' rules (`domain/notify.py`) at the edges of a day."""

from __future__ import annotations

import copy
import datetime as dt
import math

from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain import notify
from queue_server.domain.booking import slots
from queue_server.domain.config import SiteConfig, parse_config
from queue_server.domain.state import QueueState
from queue_server.outbox import catalogue
from tests.support.booking import BOOKING
from tests.support.messaging import POLICY, gateway_channel, messaging_site
from tests.support.siteconfig import SMALL_SITE, WEDNESDAY_9AM


def test_events_of_tickets_from_a_day_already_closed_cause_no_message_and_no_error():
    """A batch that spans the day reset carries events of yesterday's tickets (expired,
    called, finished) while the state holds today's only: nothing to tell, no error
    (a soak crossing midnight logged "outbox rules failed" with a KeyError)."""
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = QueueState(config)  # today's: no tickets yet
    at = WEDNESDAY_9AM
    gone = 424242  # a ticket of yesterday
    batch = [
        e.TicketExpired(at=at, actor="system", ticket_id=gone),
        e.TicketCalled(at=at, actor="system", ticket_id=gone, counter=1, recall=False),
        e.TicketFinished(at=at, actor="system", ticket_id=gone, counter=1, outcome="done"),
    ]
    found = notify.notices(batch, state, config, at)
    assert found.new == [] and found.withdrawn == []


def _run(state: QueueState, command: c.Command, at: float) -> list[e.Event]:
    return state.execute(command, at)


def _today(config: SiteConfig) -> QueueState:
    state = QueueState(config)
    state.execute(c.StartDay(actor="system", day="2026-05-27"), WEDNESDAY_9AM)
    return state


def test_a_ticket_ahead_leaving_without_a_call_brings_the_near_message():
    """Not only calls move a queue: a ticket ahead voided (or expired, or passed over)
    tells the subscriber their turn is near, once few enough are ahead."""
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = _today(config)
    at = WEDNESDAY_9AM
    issued = [
        _run(state, c.IssueTicket(actor="k", service="khai-sinh", public_id=f"p{n}"), at)[0]
        for n in range(4)
    ]
    ids = [ev.ticket_id for ev in issued]
    events = _run(
        state, c.Subscribe(actor="k", public_id="p3", phone="0912345678", ahead=1, lang="vi"), at
    )
    assert notify.notices(events, state, config, at).new == []  # three ahead
    events = _run(state, c.VoidTicket(actor="s", ticket_id=ids[0], reason="x"), at)
    assert notify.notices(events, state, config, at).new == []  # two ahead
    events = _run(state, c.VoidTicket(actor="s", ticket_id=ids[1], reason="x"), at)
    found = notify.notices(events, state, config, at).new
    assert [(n.kind, n.params) for n in found] == [("near", {"number": "A004", "ahead": "1"})]
    # Issuing behind it tells no one anything new; and no one watching: nothing at all.
    events = _run(state, c.IssueTicket(actor="k", service="khai-sinh", public_id="p9"), at)
    assert notify.notices(events, state, config, at, {ids[3]}).new == []


def test_a_call_tells_the_subscriber_of_the_ticket_called():
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = _today(config)
    at = WEDNESDAY_9AM
    _run(state, c.IssueTicket(actor="k", service="khai-sinh", public_id="p0"), at)
    _run(state, c.Subscribe(actor="k", public_id="p0", phone="0912345678", ahead=0, lang="en"), at)
    _run(state, c.OpenCounter(actor="o", counter=1), at)
    events = _run(state, c.CallNext(actor="o", counter=1), at)
    found = notify.notices(events, state, config, at, near_sent={1}).new
    assert [(n.kind, n.lang, n.params) for n in found] == [
        ("called", "en", {"number": "A001", "counter": "1"})
    ]


# ----- a booking's reminders: written when they fall due -------------------------------

FRIDAY_9 = WEDNESDAY_9AM + 2 * 86400  # 2026-05-29 09:00 +07:00


def _book(state: QueueState, config: SiteConfig, code: str, messages: bool = True) -> list:
    friday = dt.date(2026, 5, 29)
    (slot,) = [s for s in slots(config, "khai-sinh", friday) if s.start == FRIDAY_9]
    command = c.BookSlot(
        actor="web",
        code=code,
        service="khai-sinh",
        day=friday.isoformat(),
        slot_at=slot.start,
        name="Nguyễn Văn An",
        phone=f"09{len(state.bookings.by_code):08d}",
        cccd=None,
        notice_version="2026-01",
        cancel_hash="h-" + code,
        messages=messages,
    )
    return _run(state, command, WEDNESDAY_9AM)


def _due(reminders: notify.Reminders, state: QueueState, config: SiteConfig, at: float) -> list:
    return [(n.kind, n.booking) for n in reminders.due(state, config, at).new]


def test_reminders_fall_due_at_their_times_for_bookings_that_still_stand():
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = _today(config)
    reminders = notify.Reminders()
    reminders.rebuild(state, config)
    for code, messages in (("KEPT01", True), ("GONE01", True), ("MUTE01", False)):
        found = notify.notices(_book(state, config, code, messages), state, config,
                               WEDNESDAY_9AM, reminders=reminders)  # fmt: skip
        # Only the confirmation now, to those who asked for messages.
        assert [n.kind for n in found.new] == (["booking_made"] if messages else [])
    _run(state, c.CancelBooking(actor="web", code="GONE01", cancel_hash="h-GONE01"), WEDNESDAY_9AM)
    assert reminders.next_due() == FRIDAY_9 - 86400
    assert _due(reminders, state, config, FRIDAY_9 - 86400 - 1) == []
    assert _due(reminders, state, config, FRIDAY_9 - 86400) == [("reminder_day", "KEPT01")]
    assert _due(reminders, state, config, FRIDAY_9 - 86400) == []  # once
    assert _due(reminders, state, config, FRIDAY_9 - 3600) == [("reminder_hour", "KEPT01")]
    assert reminders.next_due() == math.inf


def test_the_day_before_reminder_is_dropped_when_it_comes_on_a_later_date():
    """The server was down at the day-before reminder's time and starts on the slot's
    day: "ngày mai" would be wrong, so only the hour-before one goes, at its time."""
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = _today(config)
    _book(state, config, "LATE01")
    reminders = notify.Reminders()
    reminders.rebuild(state, config)  # as after a restart: from the bookings
    friday_7_30 = FRIDAY_9 - 90 * 60
    assert _due(reminders, state, config, friday_7_30) == []
    assert _due(reminders, state, config, FRIDAY_9 - 3600) == [("reminder_hour", "LATE01")]


def test_a_change_of_the_reminder_times_moves_the_reminders():
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = _today(config)
    _book(state, config, "MOVE01")
    reminders = notify.Reminders()
    reminders.rebuild(state, config)
    later = messaging_site(
        {"sms": gateway_channel("http://127.0.0.1:9/send")},
        reminder_day_hours=30,
        reminder_hour_minutes=120,
    )
    reminders.rebuild(state, later)
    assert reminders.next_due() == FRIDAY_9 - 30 * 3600
    assert _due(reminders, state, later, FRIDAY_9 - 30 * 3600) == [("reminder_day", "MOVE01")]
    assert _due(reminders, state, later, FRIDAY_9 - 7200) == [("reminder_hour", "MOVE01")]


def test_the_call_message_names_the_counters_zone_in_the_subscribers_language():
    data = copy.deepcopy(SMALL_SITE)
    data["counters"][0] |= {"zone": "Khu A, tầng 2", "zone_en": "Zone A, floor 2"}
    data["booking"] = BOOKING
    data["messaging"] = POLICY | {"channels": {"sms": gateway_channel("http://x:9/send")}}
    config = parse_config(data, "tests/zones")
    state = _today(config)
    at = WEDNESDAY_9AM
    _run(state, c.OpenCounter(actor="o", counter=1), at)
    said = []
    for n, lang in enumerate(("vi", "en")):
        _run(state, c.IssueTicket(actor="k", service="khai-sinh", public_id=f"z{n}"), at)
        _run(state, c.Subscribe(actor="k", public_id=f"z{n}", phone="0912345678", ahead=0,
                                lang=lang), at)  # fmt: skip
        events = _run(state, c.CallNext(actor="o", counter=1), at)
        found = notify.notices(events, state, config, at, near_sent={1, 2}).new
        (called,) = [n for n in found if n.kind == "called"]  # (A001's rating link besides)
        said.append(catalogue.render(called.kind, called.lang, called.params))
    assert said == [
        "Mời Ông/Bà có số A001 đến quầy số 1, Khu A, tầng 2.",
        "Number A002, please go to counter 1, Zone A, floor 2.",
    ]
