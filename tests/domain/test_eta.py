"""The waiting estimate (domain/eta.py): the counters played forward, honest when nobody
can call. The small site: counters 1 and 2 serve khai-sinh, 3 only as secondary;
default service time 5 minutes; opening hours 07:30–17:00; T0 is 09:00."""

from __future__ import annotations

import pytest

from queue_server.domain import commands as c
from queue_server.domain.eta import JUMP_AHEAD
from tests.domain.test_domain_rules import T0, call, issue, new_state, open_counter

DEFAULT = 300.0


def finish(state, n, at):
    state.execute(c.Finish(actor="can-bo", counter=n, outcome="hoan-thanh"), at)


def test_two_open_counters_share_the_queue_in_call_order():
    state = new_state()
    open_counter(state, 1)
    open_counter(state, 2)
    tickets = [issue(state, at=T0 + i) for i in range(4)]
    now = T0 + 4
    # 1 and 2 are called now, 3 and 4 when those are done (5 min each)
    assert state.wait_estimate(tickets[0], now) == pytest.approx(0)
    assert state.wait_estimate(tickets[3], now) == pytest.approx(DEFAULT * (1 + JUMP_AHEAD))
    # a new ticket would be fifth: after a second round
    assert state.wait_for_new("khai-sinh", now) == pytest.approx(2 * DEFAULT * (1 + JUMP_AHEAD))


def test_one_quick_service_does_not_turn_the_estimate_into_soon():
    state = new_state()
    open_counter(state, 1)
    first = issue(state, at=T0)
    call(state, 1, at=T0)
    finish(state, 1, at=T0 + 2)  # a 2-second service
    for i in range(4):
        issue(state, at=T0 + 10 + i)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="nghi-trua"), T0 + 20)
    state.execute(c.ResumeCounter(actor="can-bo", counter=1), T0 + 21)
    last = max(state.tickets.values(), key=lambda t: t.id)
    assert first.status.value == "done"
    # the mean is shrunk toward the default: (2 + 2 × 300) / 3 ≈ 200 s a citizen, not 2 s
    wait = state.wait_estimate(last, T0 + 21)
    assert wait is not None and wait > 3 * 150


def test_a_paused_counter_is_expected_back_after_its_allowance_not_now():
    state = new_state()
    open_counter(state, 1)
    state.execute(c.PauseCounter(actor="can-bo", counter=1, reason="nghi-trua"), T0)
    ticket = issue(state, at=T0 + 1)
    # counter 2 has never opened today: expected within the morning's late-opening time;
    # counter 1 back after the pause allowance (30 min for a reason not listed)
    wait = state.wait_estimate(ticket, T0 + 1)
    assert wait is not None and wait >= 30 * 60


def test_nobody_expected_to_call_gives_no_estimate_rather_than_soon():
    state = new_state()
    afternoon = T0 + 6 * 3600  # 15:00: counters closed after serving are not coming back
    for n in (1, 2, 3):
        open_counter(state, n)
        state.execute(c.CloseCounter(actor="can-bo", counter=n), afternoon - 60)
    ticket = issue(state, at=afternoon)
    assert state.wait_estimate(ticket, afternoon) is None
    assert state.wait_for_new("khai-sinh", afternoon) is None
    # an officer opens counter 2: the estimate is replayed and the ticket is next
    state.execute(c.OpenCounter(actor="can-bo", counter=2), afternoon + 5)
    assert state.wait_estimate(ticket, afternoon + 5) == pytest.approx(0)


def test_a_counter_not_open_yet_in_the_morning_is_expected():
    state = new_state()
    ticket = issue(state, at=T0)
    wait = state.wait_estimate(ticket, T0)
    assert wait is not None and 0 < wait <= 60 * 60


def only_counter_1(state):
    """Counter 1 open; 2 and 3 opened and closed again (not expected back today)."""
    for n in (1, 2, 3):
        open_counter(state, n)
    for n in (2, 3):
        state.execute(c.CloseCounter(actor="can-bo", counter=n), T0)


def test_a_service_still_running_long_counts_toward_the_mean():
    state = new_state()
    only_counter_1(state)
    issue(state, at=T0)
    call(state, 1, at=T0)  # A001, still at the counter 30 minutes later
    issue(state, at=T0 + 1)
    third = issue(state, at=T0 + 2)
    now = T0 + 30 * 60
    # the finished services alone say nothing (none yet); the running one has taken
    # 30 min: (2 × 5 min default + 30 min) / 2 = 20 min a citizen, not the default 5
    assert state.wait_estimate(third, now) == pytest.approx(20 * 60 * (1 + JUMP_AHEAD))


def test_calls_nobody_answered_count_as_the_counters_time():
    state = new_state()
    only_counter_1(state)
    for i in range(2):
        issue(state, at=T0 + i)
        call(state, 1, at=T0 + 100 * i)
        state.execute(c.NoShow(actor="can-bo", counter=1), T0 + 100 * i + 60)
    issue(state, at=T0 + 300)
    third = issue(state, at=T0 + 301)
    call(state, 1, at=T0 + 400)
    # two calls of 60 s with the default counted twice: (2 × 60 + 2 × 300) / 4 = 180 s
    assert state.wait_estimate(third, T0 + 400) == pytest.approx(180 * (1 + JUMP_AHEAD))
    assert state.service_times.median("khai-sinh") == DEFAULT  # the services' own median


def test_a_call_transferred_on_counts_as_the_first_services_time():
    state = new_state()
    only_counter_1(state)
    issue(state, at=T0)
    call(state, 1, at=T0)
    state.execute(
        c.Transfer(actor="can-bo", counter=1, to_service="ket-hon", reason="nham"), T0 + 120
    )
    # the 2 minutes counter 1 spent count for khai-sinh's calls: (120 + 2 × 300) / 3
    assert state.service_times.mean("khai-sinh") == pytest.approx(240)


LUNCH_SITE = {
    "name": "Thử",
    "hours": [["07:30", "11:30"], ["13:00", "17:00"]],
    "open_days": ["mon", "tue", "wed", "thu", "fri"],
}


def test_a_counter_calling_inside_lunch_is_expected_to_serve_through_it():
    state = new_state(site=LUNCH_SITE)
    only_counter_1(state)
    lunch = T0 + 2.5 * 3600  # 11:30
    issue(state, at=lunch - 600)
    waiting = [issue(state, at=lunch - 500 + i) for i in range(2)]
    call(state, 1, at=lunch + 600)  # 11:40: the officer calls during lunch
    now = lunch + 900
    # A001 has run 5 min: the mean stays the default (2 × 5 + 5) / 2 = 7.5 min; the
    # counter serves the two waiting after it, with no lunch break in between
    assert state.wait_estimate(waiting[1], now) == pytest.approx((2 * 450 - 300) * (1 + JUMP_AHEAD))


def test_a_counter_still_on_a_citizen_from_before_lunch_is_expected_to_go():
    state = new_state(site=LUNCH_SITE)
    only_counter_1(state)
    lunch = T0 + 2.5 * 3600
    issue(state, at=lunch - 600)
    after = issue(state, at=lunch - 500)
    call(state, 1, at=lunch - 120)  # called before 11:30, still at the counter at 11:31
    wait = state.wait_estimate(after, lunch + 60)
    assert wait is not None and wait > 30 * 60  # most of the gap: the counter may go
