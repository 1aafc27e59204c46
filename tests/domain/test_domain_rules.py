"""The rules of the queue, one behaviour per test, on the pure domain core."""

from __future__ import annotations

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain.lifecycle import CounterStatus, TicketStatus
from queue_server.domain.state import QueueState
from tests.support.siteconfig import WEDNESDAY_9AM, small_site

T0 = WEDNESDAY_9AM


def new_state(**kw) -> QueueState:
    state = QueueState(small_site(**kw))
    state.execute(c.StartDay(actor="system", day="2026-05-27"), T0)
    return state


def issue(state, service="khai-sinh", at=T0, priority=None, request_id=None, actor="kiosk-1"):
    events = state.execute(
        c.IssueTicket(
            actor=actor,
            service=service,
            priority=priority,
            public_id=f"p{state.next_ticket_id}",
            request_id=request_id,
        ),
        at,
    )
    return state.tickets[events[0].ticket_id] if events else state.ticket_by_request(request_id)


def open_counter(state, n, officer="can-bo"):
    state.execute(c.OpenCounter(actor=officer, counter=n), T0)


def call(state, n, at=T0):
    state.execute(c.CallNext(actor="can-bo", counter=n), at)
    return state.current_ticket(n)


def test_numbers_are_consecutive_per_series_letter_and_numeric():
    state = new_state()
    assert [issue(state).number for _ in range(3)] == ["A001", "A002", "A003"]
    assert [issue(state, "dat-dai").number for _ in range(2)] == ["1001", "1002"]
    assert issue(state, "ket-hon").number == "B001"


def test_same_request_id_returns_the_first_ticket():
    state = new_state()
    first = issue(state, request_id="r-1")
    again = issue(state, request_id="r-1")
    assert again is first and len(state.tickets) == 1


def test_daily_cap_refuses_and_changes_nothing():
    state = new_state()
    for _ in range(50):
        issue(state, "dat-dai")
    with pytest.raises(QueueError) as err:
        issue(state, "dat-dai")
    assert err.value.code == "daily_cap_reached"
    assert state.waiting.waiting("dat-dai") == 50


def test_closed_service_refuses_outside_hours():
    state = new_state()
    with pytest.raises(QueueError) as err:
        issue(state, at=T0 + 10 * 3600)  # 19:00
    assert err.value.code == "service_closed"
    assert not state.tickets


def test_call_next_takes_earliest_and_never_the_same_twice():
    state = new_state()
    a, b = issue(state, at=T0), issue(state, at=T0 + 1)
    open_counter(state, 1, "an")
    open_counter(state, 2, "binh")
    assert call(state, 1) is a
    assert call(state, 2) is b
    assert a.status is b.status is TicketStatus.CALLED
    with pytest.raises(QueueError) as err:
        call(state, 1)  # finishes a, then nobody is left
    assert err.value.code == "queue_empty"
    assert a.status is TicketStatus.CALLED  # a refused command changed nothing


def test_priority_first_by_rank_then_anti_starvation_bound():
    state = new_state()  # max_consecutive = 2
    normal = issue(state, at=T0)
    p2 = issue(state, at=T0 + 1, priority="phu-nu-mang-thai")
    p1 = [issue(state, at=T0 + 2 + i, priority="nguoi-cao-tuoi") for i in range(3)]
    open_counter(state, 1)
    assert call(state, 1) is p1[0]
    assert call(state, 1) is p1[1]
    assert call(state, 1) is normal  # two priority calls in a row: a normal one now
    assert call(state, 1) is p1[2]
    assert call(state, 1) is p2


def test_secondary_services_only_when_own_are_empty():
    state = new_state()
    early = issue(state, "khai-sinh", at=T0)
    land = issue(state, "dat-dai", at=T0 + 5)
    open_counter(state, 3)
    assert call(state, 3) is land
    assert call(state, 3) is early


def test_transfer_keeps_original_time_and_counter_is_free():
    state = new_state()
    first = issue(state, "khai-sinh", at=T0)
    later = issue(state, "ket-hon", at=T0 + 60)
    open_counter(state, 1)
    call(state, 1)
    state.execute(
        c.Transfer(actor="can-bo", counter=1, to_service="ket-hon", reason="sai dịch vụ"), T0 + 120
    )
    assert state.current_ticket(1) is None
    assert first.status is TicketStatus.WAITING and first.service == "ket-hon"
    open_counter(state, 4)
    assert call(state, 4) is first  # issued before `later`, so it goes first
    assert later.status is TicketStatus.WAITING


def test_finish_needs_a_called_ticket_and_a_known_outcome():
    state = new_state()
    open_counter(state, 1)
    with pytest.raises(QueueError) as err:
        state.execute(c.Finish(actor="can-bo", counter=1), T0)
    assert err.value.code == "nothing_called"
    issue(state)
    ticket = call(state, 1)
    with pytest.raises(QueueError) as err:
        state.execute(c.Finish(actor="can-bo", counter=1, outcome="khong-co"), T0)
    assert err.value.code == "unknown_outcome"
    state.execute(c.Finish(actor="can-bo", counter=1, outcome="thieu-ho-so"), T0 + 300)
    assert ticket.status is TicketStatus.DONE and ticket.outcome == "thieu-ho-so"
    assert state.service_times.median("khai-sinh") == 300


def test_paused_counter_cannot_call_until_resumed():
    state = new_state()
    issue(state)
    open_counter(state, 1)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="nghi-trua"), T0)
    assert state.counters[1].status is CounterStatus.PAUSED
    with pytest.raises(QueueError) as err:
        call(state, 1)
    assert err.value.code == "counter_paused"
    state.execute(c.ResumeCounter(actor="can-bo", counter=1), T0)
    assert call(state, 1).number == "A001"


def test_closed_counter_cannot_call():
    state = new_state()
    issue(state)
    with pytest.raises(QueueError) as err:
        call(state, 1)
    assert err.value.code == "counter_closed"


def test_recall_no_show_and_void():
    state = new_state()
    a, b = issue(state), issue(state)
    open_counter(state, 1)
    call(state, 1)
    events = state.execute(c.Recall(actor="can-bo", counter=1), T0 + 30)
    assert events[0].recall and a.recalls == 1
    state.execute(c.NoShow(actor="can-bo", counter=1), T0 + 60)
    assert a.status is TicketStatus.NO_SHOW
    state.execute(c.VoidTicket(actor="kiosk-1", ticket_id=b.id, reason="hết giấy"), T0)
    assert b.status is TicketStatus.VOIDED and state.waiting.waiting("khai-sinh") == 0
    with pytest.raises(QueueError) as err:
        state.execute(c.VoidTicket(actor="kiosk-1", ticket_id=b.id, reason="x"), T0)
    assert err.value.code == "invalid_transition"


def test_new_day_expires_waiting_restarts_series_and_closes_counters():
    state = new_state()
    served, waiting = issue(state), issue(state)
    open_counter(state, 1)
    call(state, 1)
    state.execute(c.StartDay(actor="system", day="2026-05-28"), T0 + 86400)
    assert waiting.status is served.status is TicketStatus.EXPIRED
    assert state.counters[1].status is CounterStatus.CLOSED
    assert issue(state, at=T0 + 86400).number == "A001"
    assert state.next_ticket_id == 4  # ticket ids never repeat, across days too


def test_replaying_events_rebuilds_the_same_state():
    state = QueueState(small_site())
    log = state.execute(c.StartDay(actor="system", day="2026-05-27"), T0)
    for i in range(5):
        log += state.execute(
            c.IssueTicket(
                actor="k",
                service="khai-sinh",
                public_id=f"x{i}",
                priority="nguoi-cao-tuoi" if i == 3 else None,
            ),
            T0 + i,
        )
    log += state.execute(c.OpenCounter(actor="an", counter=2), T0)
    log += state.execute(c.CallNext(actor="an", counter=2), T0 + 10)
    copy = QueueState(small_site())
    for event in log:
        copy.apply(event)
    assert {t.id: (t.status, t.number) for t in copy.tickets.values()} == {
        t.id: (t.status, t.number) for t in state.tickets.values()
    }
    assert copy.current_ticket(2).number == "A004"
    assert copy.last_seq == state.last_seq


def test_one_rating_per_ticket_finished_at_that_counter():
    state = new_state()
    a, b = issue(state), issue(state)
    open_counter(state, 1)
    call(state, 1)

    def rate(number, counter=1, rating="hai-long"):
        return state.execute(
            c.RateTicket(actor="pad", counter=counter, number=number, rating=rating), T0
        )

    with pytest.raises(QueueError) as err:
        rate(a.number)  # still being served
    assert err.value.code == "not_ratable"
    state.execute(c.Finish(actor="an", counter=1), T0 + 60)
    for number, counter, rating, code in [
        (a.number, 2, "hai-long", "not_ratable"),
        (b.number, 1, "hai-long", "not_ratable"),
        (a.number, 1, "tuyet-voi", "unknown_rating"),
    ]:
        with pytest.raises(QueueError) as err:
            rate(number, counter, rating)
        assert err.value.code == code
    rate(a.number)
    assert a.rating == "hai-long" and a.officer == "an"
    with pytest.raises(QueueError) as err:
        rate(a.number, rating="khong-hai-long")
    assert err.value.code == "already_rated" and a.rating == "hai-long"
