"""A centre's day, simulated through the real domain (no server, no clock: time is passed in).

Driven by the site configuration: citizens arrive with a morning peak and a quiet
lunch, choose services with uneven popularity, some belong to a priority group,
some booked a slot and check in at its time; counters open (some late), call the
next ticket by the real call-next policy, serve for a log-normal time per service,
sometimes see no one come (no-show) or transfer the citizen; counters pause for a
meeting or for lunch. For every ticket the simulator asks each estimator, at issue
time, what it would show, and later records the wait that really followed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.booking import bookable, slots
from queue_server.domain.config import SiteConfig
from queue_server.domain.lifecycle import CounterStatus
from queue_server.domain.state import QueueState

# (state, service, tickets ahead, now, day history) → seconds shown at issue time
Estimator = Callable[[QueueState, str, int, float, "History"], float]


@dataclass(frozen=True)
class DayPlan:
    seed: int
    tickets: int = 900  # citizens in the day
    lunch_pause: bool = True  # most counters pause 11:30–13:00
    meetings: int = 4  # counters pausing 20–40 min for a meeting, at random times
    late_counters: float = 0.0  # share of counters that open only at 09:00
    booked_share: float = 0.1  # citizens who booked and check in at their slot
    priority_share: float = 0.08
    no_show: float = 0.05
    transfer: float = 0.03
    label: str = ""


@dataclass
class History:
    """What a day has shown so far, for the estimators that read the past (LES)."""

    last_wait: dict[str, float] = field(default_factory=dict)  # service → last called wait


@dataclass
class Record:
    service: str
    priority: bool
    issued_at: float
    estimates: dict[str, float]
    wait: float | None = None  # issue → first call; None if never called


def _local(day: dt.date, hour: float, tz: ZoneInfo) -> float:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    return start.timestamp() + hour * 3600


def _arrival_rate(hour: float) -> float:
    """Relative arrival intensity over the day: queue before opening, a morning peak,
    a quiet lunch, a smaller afternoon peak."""
    if hour < 7.5 or hour >= 16.5:
        return 0.0
    if 11.5 <= hour < 13.0:
        return 0.15
    morning = math.exp(-(((hour - 8.8) / 1.1) ** 2))
    afternoon = 0.6 * math.exp(-(((hour - 14.3) / 1.0) ** 2))
    return 0.2 + morning + afternoon


def _arrival_times(rng: random.Random, n: int, day: dt.date, tz: ZoneInfo) -> list[float]:
    """n arrival instants by thinning, in order."""
    top = max(_arrival_rate(h / 60) for h in range(7 * 60, 17 * 60))
    out: list[float] = []
    while len(out) < n:
        hour = rng.uniform(7.5, 16.5)
        if rng.random() * top < _arrival_rate(hour):
            out.append(_local(day, hour, tz))
    return sorted(out)


class DaySimulator:
    """One simulated day; `run()` returns a record per ticket issued."""

    def __init__(
        self,
        config: SiteConfig,
        plan: DayPlan,
        estimators: dict[str, Estimator],
        day: dt.date = dt.date(2026, 3, 4),
    ) -> None:
        self.config, self.plan, self.estimators = config, plan, estimators
        self.rng = random.Random(plan.seed)
        self.tz = ZoneInfo(config.site.timezone)
        self.day = day
        self.state = QueueState(config, enforce_hours=False)
        self.history = History()
        self.records: dict[int, Record] = {}
        self._events: list[tuple[float, int, str, tuple]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        services = list(config.services)
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(services))]
        self.rng.shuffle(services)
        self.popularity = (services, weights)
        # median service minutes per service: 3–14, log-normal spread
        self.median_minutes = {s: self.rng.uniform(3, 14) for s in config.services}
        self.sigma = 0.55
        self.busy: dict[int, bool] = {n: False for n in config.counters}
        self.pause_due: dict[int, tuple[str, float]] = {}  # counter → (reason, length)
        self.turned_away = 0  # citizens who came after their service's daily cap

    # ----- plumbing ------------------------------------------------------------

    def at(self, when: float, kind: str, *args: object) -> None:
        heapq.heappush(self._events, (when, next(self._seq), kind, args))

    def do(self, command: c.Command, now: float) -> list[e.Event]:
        events = self.state.handle(command, now)
        for event in events:
            self.state.apply(event)
            self._observe(event, now)
        return events

    def _observe(self, event: e.Event, now: float) -> None:
        if isinstance(event, e.TicketCalled) and not event.recall:
            ticket = self.state.tickets[event.ticket_id]
            record = self.records.get(ticket.id)
            if record is not None and record.wait is None:
                record.wait = now - record.issued_at
                self.history.last_wait[ticket.service] = record.wait

    # ----- the day -------------------------------------------------------------

    def run(self) -> list[Record]:
        plan, cfg = self.plan, self.config
        opening = _local(self.day, 7.5, self.tz)
        self.do(c.StartDay(actor="system", day=self.day.isoformat()), opening - 60)
        for number in cfg.counters:
            late = self.rng.random() < plan.late_counters
            self.at(
                _local(self.day, 9.0 if late else 7.5, self.tz) + self.rng.uniform(0, 600),
                "open",
                number,
            )
            if plan.lunch_pause and self.rng.random() < 0.85:
                self.at(
                    _local(self.day, 11.5, self.tz) + self.rng.uniform(-300, 300), "lunch", number
                )
        for _ in range(plan.meetings):
            number = self.rng.choice(list(cfg.counters))
            self.at(_local(self.day, self.rng.uniform(8, 16), self.tz), "meeting", number)
        for when in _arrival_times(self.rng, plan.tickets, self.day, self.tz):
            self.at(when, "arrive")
        close = _local(self.day, 17.0, self.tz)
        while self._events and self._events[0][0] < close:
            when, _, kind, args = heapq.heappop(self._events)
            getattr(self, "_" + kind)(when, *args)
        return list(self.records.values())

    def run_records(self) -> list[tuple[int, Record]]:
        """`run()`, each record with its ticket's id."""
        self.run()
        return list(self.records.items())

    def _open(self, now: float, number: int) -> None:
        self.do(c.OpenCounter(actor=f"officer-{number}", counter=number), now)
        self._serve(now, number)

    def _lunch(self, now: float, number: int) -> None:
        self._pause(
            now, number, "nghi-trua", _local(self.day, 13.0, self.tz) + self.rng.uniform(-300, 600)
        )

    def _meeting(self, now: float, number: int) -> None:
        self._pause(now, number, "hop", now + self.rng.uniform(20, 40) * 60)

    def _pause(self, now: float, number: int, reason: str, until: float) -> None:
        cs = self.state.counters[number]
        if cs.status is not CounterStatus.OPEN or number in self.pause_due:
            return
        if self.busy[number] or cs.ticket_id is not None:  # finish this citizen, then pause
            self.pause_due[number] = (reason, until - now)
            return
        self.do(c.PauseCounter(actor=cs.officer or "", counter=number, reason=reason), now)
        self.at(until, "resume", number)

    def _resume(self, now: float, number: int) -> None:
        cs = self.state.counters[number]
        if cs.status is CounterStatus.PAUSED:
            self.do(c.ResumeCounter(actor=cs.officer or "", counter=number), now)
            self._serve(now, number)

    def _arrive(self, now: float) -> None:
        services, weights = self.popularity
        service = self.rng.choices(services, weights)[0]
        priority = None
        if self.rng.random() < self.plan.priority_share and self.config.priority_groups:
            priority = self.rng.choice(list(self.config.priority_groups))
        tid = next(self._ids)
        command: c.Command = c.IssueTicket(
            actor="kiosk-1", service=service, priority=priority, public_id=f"p{tid}"
        )
        if self.rng.random() < self.plan.booked_share and bookable(self.config, service):
            code = self._book(service, now, tid)  # booked earlier; checks in near the slot
            if code is not None:
                command = c.CheckIn(
                    actor="kiosk-1", code=code, request_id=f"r{tid}", public_id=f"p{tid}"
                )
        try:
            issued = self.do(command, now)
        except QueueError as err:
            if err.code != "daily_cap_reached":
                raise
            self.turned_away += 1  # the service is full today: the kiosk says so, no ticket
            return
        (event,) = [ev for ev in issued if isinstance(ev, e.TicketIssued)]
        ticket = self.state.tickets[event.ticket_id]
        ahead = self.state.ahead(ticket)
        estimates = {
            name: est(self.state, service, ahead, now, self.history)
            for name, est in self.estimators.items()
        }
        self.records[ticket.id] = Record(service, priority is not None, now, estimates)
        for number in self._idle_counters_for(service):
            self._serve(now, number)

    def _book(self, service: str, arrival: float, tid: int) -> str | None:
        """A booking made before the day for the slot this citizen arrives for."""
        window = self.config.booking
        slot = next(
            (
                s
                for s in slots(self.config, service, self.day)
                if s.start - window.checkin_before_minutes * 60
                <= arrival
                <= s.start + window.checkin_after_minutes * 60
            ),
            None,
        )
        if slot is None:
            return None
        code = f"B{tid:07d}"
        try:
            self.do(
                c.BookSlot(
                    actor="web",
                    code=code,
                    service=service,
                    day=self.day.isoformat(),
                    slot_at=slot.start,
                    name="Công dân",
                    phone="0912345678",
                    cccd="079203001234",
                    notice_version="x",
                    cancel_hash="x",
                ),
                _local(self.day, 6.0, self.tz),
            )
        except QueueError:  # the slot is full: an ordinary ticket
            return None
        return code

    def _idle_counters_for(self, service: str) -> list[int]:
        return [
            n
            for n, counter in self.config.counters.items()
            if service in counter.all_services
            and not self.busy[n]
            and self.state.counters[n].status is CounterStatus.OPEN
        ]

    def _serve(self, now: float, number: int) -> None:
        """An idle open counter calls the next ticket, if anyone waits for it."""
        cs = self.state.counters[number]
        if self.busy[number] or cs.status is not CounterStatus.OPEN:
            return
        if number in self.pause_due:  # the break is due: no new call
            reason, length = self.pause_due.pop(number)
            self._pause(now, number, reason, now + length)
            return
        try:
            events = self.do(c.CallNext(actor=cs.officer or "", counter=number), now)
        except QueueError:  # nobody waits for this counter: it waits for the next arrival
            return
        called = next((ev for ev in events if isinstance(ev, e.TicketCalled)), None)
        if called is None:
            return
        ticket = self.state.tickets[called.ticket_id]
        self.busy[number] = True
        if self.rng.random() < self.plan.no_show:
            self.at(now + 90, "no_show", number)
            return
        median = self.median_minutes[ticket.service] * 60
        duration = median * math.exp(self.rng.gauss(0, self.sigma))
        self.at(now + duration, "finish", number)

    def _no_show(self, now: float, number: int) -> None:
        cs = self.state.counters[number]
        self.do(c.NoShow(actor=cs.officer or "", counter=number), now)
        self.busy[number] = False
        self._serve(now, number)

    def _finish(self, now: float, number: int) -> None:
        cs = self.state.counters[number]
        ticket = self.state.current_ticket(number)
        if ticket is not None and self.rng.random() < self.plan.transfer:
            others = [s for s in self.config.services if s != ticket.service]
            target = self.rng.choice(others)
            self.do(
                c.Transfer(
                    actor=cs.officer or "", counter=number, to_service=target, reason="chuyen"
                ),
                now,
            )
            for other in self._idle_counters_for(target):
                self._serve(now, other)
        else:
            self.do(c.Finish(actor=cs.officer or "", counter=number), now)
        self.busy[number] = False
        self._serve(now, number)
