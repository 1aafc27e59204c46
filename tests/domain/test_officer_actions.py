"""The officer's actions beyond "next": call a number, put a no-show back, park a ticket
and resume it, and a pause that knows when it ends (pure domain, replayed)."""

from __future__ import annotations

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain.lifecycle import TicketStatus
from queue_server.domain.report import Report
from queue_server.domain.state import QueueState
from tests.domain.test_domain_rules import T0, call, issue, new_state, open_counter

MINUTE = 60.0


def replayed(state: QueueState, events: list) -> QueueState:
    """The same day rebuilt from its events, as at start-up."""
    again = QueueState(state.config)
    for event in events:
        again.apply(event)
    return again


def run(state: QueueState, log: list, command: c.Command, at: float = T0) -> list:
    events = state.execute(command, at)
    log.extend(events)
    return events


def test_a_passed_over_number_is_called_by_number_within_the_counters_services():
    state = new_state()
    open_counter(state, 1)
    open_counter(state, 4)
    first, second, _ = issue(state), issue(state), issue(state)  # A001 A002 A003
    marriage = issue(state, "ket-hon")
    assert call(state, 1) is first
    state.execute(c.NoShow(actor="can-bo", counter=1), T0)
    assert call(state, 1) is second
    # A001 comes back: called by number, A002 is finished first (as "next" does).
    events = state.execute(c.CallNumber(actor="can-bo", counter=1, number="a001"), T0 + MINUTE)
    assert [ev.type for ev in events] == ["ticket_finished", "ticket_called"]
    assert state.current_ticket(1) is first and first.status is TicketStatus.CALLED
    assert second.status is TicketStatus.DONE
    # A waiting number can be called out of turn, too.
    state.execute(c.CallNumber(actor="can-bo", counter=1, number="A003"), T0 + 2 * MINUTE)
    assert state.current_ticket(1).number == "A003"
    # Not a service of counter 1; not today's; finished already.
    for number, code in (("B001", "other_service"), ("A999", "unknown_number")):
        with pytest.raises(QueueError) as err:
            state.execute(c.CallNumber(actor="can-bo", counter=1, number=number), T0)
        assert err.value.code == code
    with pytest.raises(QueueError) as err:
        state.execute(c.CallNumber(actor="can-bo", counter=4, number="A002"), T0)
    assert err.value.code == "other_service"
    with pytest.raises(QueueError) as err:
        state.execute(c.CallNumber(actor="can-bo", counter=2, number="B001"), T0)
    assert err.value.code == "counter_closed"
    assert marriage.status is TicketStatus.WAITING


@pytest.mark.parametrize(
    ("where", "expected"),
    [("original", ["A001", "A002", "A003"]), ("end", ["A002", "A003", "A001"])],
)
def test_a_no_show_goes_back_at_its_time_or_at_the_end(where, expected):
    config = new_state(queue={"default_service_minutes": 5, "no_show_return": where}).config
    state, log = QueueState(config), []
    run(state, log, c.StartDay(actor="system", day="2026-05-27"))
    run(state, log, c.OpenCounter(actor="can-bo", counter=1))
    for minute in range(3):
        command = c.IssueTicket(actor="k", service="khai-sinh", public_id=f"p{minute}")
        run(state, log, command, T0 + minute * MINUTE)
    first = state.tickets[1]
    run(state, log, c.CallNext(actor="can-bo", counter=1), T0 + 3 * MINUTE)
    run(state, log, c.NoShow(actor="can-bo", counter=1), T0 + 3 * MINUTE)
    assert state.waiting.waiting("khai-sinh") == 2
    run(state, log, c.Requeue(actor="can-bo", counter=1, number="A001"), T0 + 4 * MINUTE)
    assert first.status is TicketStatus.WAITING and state.waiting.waiting("khai-sinh") == 3
    assert [t.number for t in state.upcoming(1)] == expected
    assert [t.number for t in replayed(state, log).upcoming(1)] == expected
    # Only a no-show goes back; twice is refused.
    with pytest.raises(QueueError) as err:
        state.execute(c.Requeue(actor="can-bo", counter=1, number="A001"), T0)
    assert err.value.code == "invalid_transition"


def test_a_parked_ticket_waits_at_its_counter_while_others_are_served():
    state = new_state()
    open_counter(state, 1)
    parked, other = issue(state), issue(state)
    log: list = []
    assert call(state, 1) is parked
    run(state, log, c.Hold(actor="can-bo", counter=1), T0 + MINUTE)
    assert parked.status is TicketStatus.HELD and state.current_ticket(1) is None
    assert state.counters[1].held == [parked.id]
    assert parked.id not in state.waiting  # nobody else calls it
    run(state, log, c.CallNext(actor="can-bo", counter=1), T0 + 2 * MINUTE)
    assert state.current_ticket(1) is other
    # The counter is busy: resume waits until the other is finished.
    with pytest.raises(QueueError) as err:
        state.execute(c.ResumeHeld(actor="can-bo", counter=1, number="A001"), T0)
    assert err.value.code == "counter_busy"
    # A counter cannot close while it still holds someone's ticket.
    run(state, log, c.Finish(actor="can-bo", counter=1), T0 + 3 * MINUTE)
    with pytest.raises(QueueError) as err:
        state.execute(c.CloseCounter(actor="can-bo", counter=1), T0)
    assert err.value.code == "tickets_held"
    run(state, log, c.ResumeHeld(actor="can-bo", counter=1, number="A001"), T0 + 10 * MINUTE)
    assert state.current_ticket(1) is parked and state.counters[1].held == []
    with pytest.raises(QueueError) as err:  # only a ticket held here
        state.execute(c.ResumeHeld(actor="can-bo", counter=1, number="A002"), T0)
    assert err.value.code == "not_held"
    run(state, log, c.Finish(actor="can-bo", counter=1), T0 + 12 * MINUTE)
    assert parked.status is TicketStatus.DONE


def test_hold_and_resume_replay_to_the_same_state_and_the_report_leaves_the_hold_out():
    state = QueueState(new_state().config)
    log: list = []
    run(state, log, c.StartDay(actor="system", day="2026-05-27"))
    run(state, log, c.OpenCounter(actor="can-bo", counter=1))
    for _ in range(2):
        run(state, log, c.IssueTicket(actor="k", service="khai-sinh", public_id=f"p{_}"))
    run(state, log, c.CallNext(actor="can-bo", counter=1), T0)
    run(state, log, c.Hold(actor="can-bo", counter=1), T0 + 2 * MINUTE)
    again = replayed(state, log)
    assert again.counters[1].held == state.counters[1].held != []
    assert again.tickets[1].status is TicketStatus.HELD
    run(state, log, c.ResumeHeld(actor="can-bo", counter=1, number="A001"), T0 + 30 * MINUTE)
    run(state, log, c.Finish(actor="can-bo", counter=1), T0 + 33 * MINUTE)
    assert state.service_times.median("khai-sinh") == 5 * MINUTE  # the estimates too
    report = Report(state.config)
    report.add(log)
    assert report.totals.service_times == [pytest.approx(5 * MINUTE)]  # 2 + 3 min, not 33


def test_a_pause_knows_its_return_time_when_it_can():
    state = new_state(
        site={
            "name": "Thử",
            "hours": [["07:30", "11:30"], ["13:00", "17:00"]],
            "open_days": ["mon", "tue", "wed", "thu", "fri"],
        },
        pause_reasons=[
            {"id": "nghi-trua", "name": "Nghỉ trưa", "until_next_session": True},
            {"id": "giai-lao", "name": "Giải lao", "minutes": 15},
            {"id": "hop", "name": "Họp"},
        ],
    )
    open_counter(state, 1)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="nghi-trua"), T0)
    assert state.counters[1].back_at == T0 + 4 * 3600  # 09:00 → 13:00
    state.execute(c.ResumeCounter(actor="can-bo", counter=1), T0)
    assert state.counters[1].back_at is None
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="giai-lao"), T0)
    assert state.counters[1].back_at == T0 + 15 * MINUTE
    state.execute(c.ResumeCounter(actor="can-bo", counter=1), T0)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="hop", minutes=40), T0)
    assert state.counters[1].back_at == T0 + 40 * MINUTE  # the officer's own minutes
    state.execute(c.ResumeCounter(actor="can-bo", counter=1), T0)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="hop"), T0)
    assert state.counters[1].back_at is None  # not known: not shown


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"queue": {"no_show_return": "front"}}, "queue.no_show_return"),
        ({"pause_reasons": [{"id": "x", "name": "X", "minutes": 0}]}, "minutes"),
        ({"pause_reasons": [{"id": "x", "name": "X", "until_next_session": "yes"}]}, "session"),
    ],
)
def test_bad_pause_and_no_show_settings_are_refused_by_name(overrides, key):
    from queue_server.domain.config import ConfigError
    from tests.support.siteconfig import small_site

    with pytest.raises(ConfigError) as err:
        small_site(**overrides)
    assert key in str(err.value)
