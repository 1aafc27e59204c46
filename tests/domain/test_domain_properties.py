"""Invariants of the queue over random sequences of commands (hypothesis state machine).

A brute-force oracle re-derives who must be called next from the whole list of
waiting tickets, so the heaps in `policy.py` are checked against the rule itself.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain.lifecycle import TicketStatus
from queue_server.domain.policy import NORMAL_RANK
from queue_server.domain.state import QueueState
from tests.support.siteconfig import WEDNESDAY_9AM, small_site

CONFIG = small_site()
SERVICES = sorted(CONFIG.services)
COUNTERS = sorted(CONFIG.counters)
PRIORITIES = [None, None, None, "nguoi-cao-tuoi", "phu-nu-mang-thai"]
K = CONFIG.max_consecutive_priority


def oracle_next(state: QueueState, number: int) -> int | None:
    """Who the rule says counter `number` calls next, by brute force."""
    counter = CONFIG.counters[number]
    tier_of = {s: 0 for s in counter.services} | {s: 1 for s in counter.secondary_services}
    eligible = [
        t
        for t in state.tickets.values()
        if t.status is TicketStatus.WAITING and t.service in tier_of
    ]
    if not eligible:
        return None
    best_tier = min(tier_of[t.service] for t in eligible)
    if state.counters[number].priority_streak >= K and any(t.priority is None for t in eligible):
        eligible = [t for t in eligible if t.priority is None]
        best_tier = min(tier_of[t.service] for t in eligible)
    eligible = [t for t in eligible if tier_of[t.service] == best_tier]
    return min(eligible, key=lambda t: (state.rank(t), t.issued_at, t.id)).id


class QueueMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.state = QueueState(CONFIG)
        self.now = WEDNESDAY_9AM
        self.state.execute(c.StartDay(actor="system", day="2026-05-27"), self.now)
        self.issued_at: dict[int, float] = {}
        self.seqs: dict[str, list[int]] = defaultdict(list)
        self.numbers: set[str] = set()
        self.streak_with_normal_waiting: dict[int, int] = defaultdict(int)
        for counter in COUNTERS[:2]:
            self.run(c.OpenCounter(actor=f"officer-{counter}", counter=counter))

    def run(self, command):
        self.now += 1.0
        try:
            events = self.state.execute(command, self.now)
        except QueueError:
            return []
        for ev in events:
            if ev.type == "ticket_issued":
                self.issued_at[ev.ticket_id] = ev.at
                self.seqs[ev.service].append(ev.seq)
                assert ev.number not in self.numbers
                self.numbers.add(ev.number)
        return events

    @rule(
        service=st.sampled_from(SERVICES), priority=st.sampled_from(PRIORITIES), retry=st.booleans()
    )
    def issue(self, service, priority, retry):
        request_id = f"r{len(self.issued_at) - (1 if retry and self.issued_at else 0)}"
        self.run(
            c.IssueTicket(
                actor="kiosk",
                service=service,
                priority=priority,
                public_id=f"pub-{self.now}",
                request_id=request_id,
            )
        )

    @rule(
        burst=st.lists(
            st.tuples(st.sampled_from(SERVICES), st.sampled_from(PRIORITIES)),
            min_size=2,
            max_size=8,
        )
    )
    def issue_burst(self, burst):
        for service, priority in burst:
            self.run(
                c.IssueTicket(
                    actor="kiosk", service=service, priority=priority, public_id=f"pub-{self.now}"
                )
            )

    @rule(counter=st.sampled_from(COUNTERS), times=st.integers(min_value=1, max_value=4))
    def call_several(self, counter, times):
        for _ in range(times):
            self.call_next(counter)

    @rule(counter=st.sampled_from(COUNTERS))
    def open(self, counter):
        self.run(c.OpenCounter(actor=f"officer-{counter}", counter=counter))

    @rule(counter=st.sampled_from(COUNTERS))
    def call_one(self, counter):
        self.call_next(counter)

    def call_next(self, counter):
        expected = oracle_next(self.state, counter)
        cs = self.state.counters[counter]
        preview = [t.id for t in self.state.upcoming(counter)]
        if cs.priority_streak < K:  # the preview leaves out the anti-starvation switch
            assert preview[:1] == ([expected] if expected is not None else [])
        normal_waiting = any(
            t.status is TicketStatus.WAITING
            and t.priority is None
            and t.service in CONFIG.counters[counter].all_services
            for t in self.state.tickets.values()
        )
        events = self.run(c.CallNext(actor=f"officer-{counter}", counter=counter))
        if not events:
            assert expected is None or cs.status.value != "open"
            return
        called = events[-1].ticket_id
        assert called == expected
        ticket = self.state.tickets[called]
        if ticket.priority is not None and normal_waiting:
            self.streak_with_normal_waiting[counter] += 1
        else:
            self.streak_with_normal_waiting[counter] = 0
        assert self.streak_with_normal_waiting[counter] <= K

    @rule(
        counter=st.sampled_from(COUNTERS),
        action=st.sampled_from(["finish", "no_show", "recall", "pause", "resume", "close"]),
    )
    def act(self, counter, action):
        who = f"officer-{counter}"
        command = {
            "finish": c.Finish(actor=who, counter=counter),
            "no_show": c.NoShow(actor=who, counter=counter),
            "recall": c.Recall(actor=who, counter=counter),
            "pause": c.PauseCounter(actor=who, counter=counter, reason="nghi-trua"),
            "resume": c.ResumeCounter(actor=who, counter=counter),
            "close": c.CloseCounter(actor=who, counter=counter),
        }[action]
        self.run(command)

    @rule(counter=st.sampled_from(COUNTERS), to=st.sampled_from(SERVICES))
    def transfer(self, counter, to):
        self.run(c.Transfer(actor="officer", counter=counter, to_service=to, reason="chuyển"))

    @rule(pick=st.integers(min_value=0, max_value=50))
    def void(self, pick):
        if self.issued_at:
            ids = sorted(self.issued_at)
            self.run(c.VoidTicket(actor="kiosk", ticket_id=ids[pick % len(ids)], reason="kẹt"))

    @invariant()
    def numbers_consecutive_per_series(self):
        for service, seqs in self.seqs.items():
            assert seqs == list(range(1, len(seqs) + 1)), service

    @invariant()
    def every_ticket_in_exactly_one_place(self):
        at_counter = [cs.ticket_id for cs in self.state.counters.values() if cs.ticket_id]
        assert len(at_counter) == len(set(at_counter)), "a ticket called by two counters"
        waiting = set(self.state.waiting.ids())
        for t in self.state.tickets.values():
            places = (t.id in waiting) + (t.id in at_counter)
            if t.status is TicketStatus.WAITING:
                assert places == 1 and t.id in waiting
            elif t.status is TicketStatus.CALLED:
                assert places == 1 and self.state.counters[t.counter].ticket_id == t.id
            else:
                assert places == 0
        assert set(self.issued_at) == set(self.state.tickets)

    @invariant()
    def transfer_keeps_original_time(self):
        for t in self.state.tickets.values():
            assert t.issued_at == self.issued_at[t.id]

    @invariant()
    def places_in_queue_match_brute_force(self):
        waiting = [t for t in self.state.tickets.values() if t.status is TicketStatus.WAITING]
        for t in waiting:
            mine = (self.state.rank(t), t.issued_at, t.id)
            expected = sum(
                1
                for o in waiting
                if o.service == t.service and (self.state.rank(o), o.issued_at, o.id) < mine
            )
            assert self.state.ahead(t) == expected

    @invariant()
    def waiting_counts_match(self):
        for service in SERVICES:
            expected = sum(
                1
                for t in self.state.tickets.values()
                if t.status is TicketStatus.WAITING and t.service == service
            )
            assert self.state.waiting.waiting(service) == expected


QueueMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestQueueInvariants = QueueMachine.TestCase


def test_normal_rank_is_after_every_configured_rank():
    assert all(g.rank < NORMAL_RANK for g in CONFIG.priority_groups.values())
