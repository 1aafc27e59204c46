"""The state of the day and the rules that change it.

`QueueState.handle(command, now)` checks a command against the state and returns
the events it causes, without changing anything; `QueueState.apply(event)` is the
only place the state changes. The writer calls both; start-up replays the stored
events of the day through `apply` to rebuild the same state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.alerts import Alert, AlertBook
from queue_server.domain.booking import (
    Booking,
    BookingBook,
    BookingStatus,
    bookable,
    booking_days,
    checkin_window,
    find_slot,
)
from queue_server.domain.config import AlertConfig, Service, SiteConfig
from queue_server.domain.eta import (
    FIRST_HALF_HOUR,
    LATE_OPENING_MINUTES,
    MORNING_HOURS,
    CounterOutlook,
    Projection,
    ServiceTimes,
    project,
)
from queue_server.domain.hours import is_open, local_time, next_session_today
from queue_server.domain.lifecycle import (
    CounterAction,
    CounterStatus,
    TicketAction,
    TicketStatus,
    next_counter_status,
    next_ticket_status,
)
from queue_server.domain.policy import NORMAL_RANK, WaitingQueues
from queue_server.domain.reconfigure import DayFacts, Review, review_change


@dataclass(slots=True)  # a day holds thousands: no __dict__ each (issue 18's soak)
class Ticket:
    id: int
    public_id: str
    number: str
    seq: int
    service: str
    priority: str | None
    request_id: str | None
    issued_at: float
    issued_by: str
    day: str
    status: TicketStatus = TicketStatus.WAITING
    counter: int | None = None
    called_at: float | None = None
    ended_at: float | None = None
    outcome: str | None = None
    recalls: int = 0
    transfers: int = 0
    officer: str | None = None  # who finished it, for figures by officer
    rating: str | None = None
    effective_at: float = 0.0  # its time in the queue: issue time or booked slot; kept on transfer
    booking: str | None = None
    held_at: float | None = None  # parked at its counter since (the hold is not service)


@dataclass
class Subscription:
    """A waiting ticket whose citizen asked for messages (the phone is personal data:
    in memory and in the purged subscriptions table, never in the event log)."""

    ticket_id: int
    ahead: int
    lang: str
    phone: str | None
    at: float


@dataclass
class CounterState:
    number: int
    status: CounterStatus = CounterStatus.CLOSED
    officer: str | None = None
    officer_name: str = ""
    ticket_id: int | None = None
    pause_reason: str | None = None
    since: float | None = None  # when it last opened, paused, resumed or closed
    served: int = 0  # tickets finished here today
    suggested: str | None = None  # a service a supervisor asked it to take on for now
    priority_streak: int = 0  # priority calls in a row, for the anti-starvation bound
    back_at: float | None = None  # a paused counter's return time, if known
    held: list[int] = dataclasses.field(default_factory=list)  # tickets parked here, in order


def format_number(service: Service, seq: int) -> str:
    """`A001` for a letter series, `1001` for a numeric base of 1000."""
    if service.prefix:
        return _number_format(service.prefix, service.width).format(seq)
    return _number_format("", service.width).format(service.base + seq)


LUNCH_LEEWAY = 15 * 60  # a pause this close before a closed gap is for the gap
REPLAY_EVERY_SECONDS = 30.0  # the waits are replayed at least this often
REPLAY_FLOW_SECONDS = 1.0  # … and at most this often while tickets are only called


class _Replay(IntEnum):
    NO = 0
    SOON = 1  # tickets were called or left the queue
    NOW = 2  # a counter, a queue's order or the day changed


# events that only move the queues' heads (replayed within REPLAY_FLOW_SECONDS)
_FLOW = frozenset(
    {"ticket_called", "ticket_finished", "ticket_no_show", "ticket_voided", "ticket_expired"}
)
# events that change neither the queues nor the counters (the replay stays valid)
_NOT_ABOUT_WAITING = frozenset(
    {
        "ticket_rated",
        "booking_made",
        "booking_cancelled",
        "booking_reopened",
        "ticket_subscribed",
        "alert_raised",
        "alert_acknowledged",
        "alert_cleared",
        "alert_limits_changed",
    }
)


def _replay_inputs(config: SiteConfig, limits: AlertConfig) -> tuple:
    """What of a configuration the waiting-time replay reads (`QueueState._replay`): the
    counters and the services each calls, the priority ranks, the site's clock and hours,
    the pauses' allowances, the service times' window and default. A `ConfigChanged`
    that leaves these alone (a name, a new service no counter calls yet, a booking
    capacity, a hall notice) keeps the replay."""
    return (
        config.default_service_minutes,
        config.service_time_window,
        tuple((n, c.services, c.secondary_services) for n, c in config.counters.items()),
        tuple(sorted((g.id, g.rank) for g in config.priority_groups.values())),
        config.site.timezone,
        config.site.hours,
        limits.pause_minutes,
        limits.default_pause_minutes,
    )


@functools.cache
def _number_format(prefix: str, width: int) -> str:
    return prefix.replace("{", "{{").replace("}", "}}") + f"{{:0{width}d}}"


class QueueState:
    """Today's tickets, counters and number series for one site."""

    def __init__(
        self, config: SiteConfig, *, next_ticket_id: int = 1, enforce_hours: bool = True
    ) -> None:
        self.config = config
        self.enforce_hours = enforce_hours
        self.day: str | None = None
        self.next_ticket_id = next_ticket_id
        self.tickets: dict[int, Ticket] = {}
        self.by_request: dict[str, int] = {}
        self.by_public: dict[str, int] = {}
        self.bookings = BookingBook()  # today's and future ones: not cleared at the day start
        self.subscriptions: dict[int, Subscription] = {}  # ticket id → who to tell
        self.last_seq: dict[str, int] = {}
        self.waiting = WaitingQueues()
        self.alerts = AlertBook()  # today's; conditions still true are raised again
        self.closed_services: set[str] = set()  # closed by a supervisor for the rest of the day
        self.alert_limits = config.alerts  # `[alerts]`, unless a supervisor changed them today
        self.counters: dict[int, CounterState] = {}
        self._counters_of: dict[str, list[CounterState]] = {}  # service → counters serving it
        self._ranks: list[int] = []
        # configuration versions by number, for `ConfigChanged` (the writer and the replay
        # at start-up put each one here before its event is applied)
        self.known_configs: dict[int, SiteConfig] = {}
        self.config_version = 0
        self._configure(config)
        self.service_times = ServiceTimes(
            config.service_time_window, config.default_service_minutes * 60
        )
        self.last_at = 0.0  # the time of the latest event applied
        self._projection: Projection | None = None  # the latest replay (domain/eta.py)
        self._replay_due = _Replay.NOW  # whether the queues or counters changed since
        self._handlers: dict[type, Callable[..., list[e.Event]]] = {
            c.StartDay: self._start_day,
            c.Tick: lambda command, now: [],
            c.IssueTicket: self._issue,
            c.VoidTicket: self._void,
            c.OpenCounter: self._open,
            c.CloseCounter: self._close,
            c.PauseCounter: self._pause,
            c.ResumeCounter: self._resume,
            c.CallNext: self._call_next,
            c.Recall: self._recall,
            c.CallNumber: self._call_number,
            c.Requeue: self._requeue,
            c.Hold: self._hold,
            c.ResumeHeld: self._resume_held,
            c.NoShow: self._no_show,
            c.Finish: self._finish,
            c.Transfer: self._transfer,
            c.RateTicket: self._rate,
            c.BookSlot: self._book,
            c.CancelBooking: self._cancel_booking,
            c.CheckIn: self._check_in,
            c.RaiseAlert: self._raise_alert,
            c.AcknowledgeAlert: self._acknowledge_alert,
            c.ClearAlert: self._clear_alert,
            c.CloseServiceForDay: self._close_service,
            c.ReopenService: self._reopen_service,
            c.SuggestService: self._suggest_service,
            c.SetAlertLimits: self._set_alert_limits,
            c.Subscribe: self._subscribe,
            c.RateByLink: self._rate_by_link,
            c.CancelServiceDay: self._cancel_service_day,
            c.LinkDossier: self._link_dossier,
            c.ApplyConfig: self._apply_config,
        }

    def _configure(self, config: SiteConfig) -> None:
        """Take `config` on: counters kept (with their officer and ticket) where they
        still exist, new ones closed, the services each serves and the ranks afresh."""
        self.config = config
        self.counters = {n: self.counters.get(n) or CounterState(n) for n in config.counters}
        self._counters_of = {}
        for number, counter in config.counters.items():
            cs = self.counters[number]
            if cs.suggested is not None and cs.suggested not in config.services:
                cs.suggested = None  # the service is gone
            for service in counter.all_services:
                self._counters_of.setdefault(service, []).append(cs)
            if cs.suggested is not None and cs.suggested not in counter.all_services:
                self._counters_of.setdefault(cs.suggested, []).append(cs)
        self._ranks = sorted({g.rank for g in config.priority_groups.values()})

    # ----- reading -------------------------------------------------------

    def rank(self, ticket: Ticket) -> int:
        if ticket.priority is None:
            return NORMAL_RANK
        return self.config.priority_groups[ticket.priority].rank

    def now_serving(self, service: str) -> Ticket | None:
        """The ticket of `service` called last among those still at a counter."""
        current = [
            t
            for cs in self._counters_of.get(service, ())
            if (t := self.current_ticket(cs.number)) is not None and t.service == service
        ]
        return max(current, key=lambda t: t.called_at or 0, default=None)

    def current_ticket(self, counter: int) -> Ticket | None:
        tid = self.counters[counter].ticket_id
        return None if tid is None else self.tickets[tid]

    def ticket_by_request(self, request_id: str) -> Ticket | None:
        tid = self.by_request.get(request_id)
        return None if tid is None else self.tickets[tid]

    def ticket_by_number(self, number: str) -> Ticket | None:
        """Today's ticket with this number ("b001" and " B001 " find B001)."""
        wanted = number.strip().upper()
        return next((t for t in self.tickets.values() if t.number.upper() == wanted), None)

    def ticket_by_public_id(self, public_id: str) -> Ticket | None:
        tid = self.by_public.get(public_id)
        return None if tid is None else self.tickets[tid]

    def open_counters(self, service: str) -> int:
        return sum(
            1 for cs in self._counters_of.get(service, ()) if cs.status is CounterStatus.OPEN
        )

    def tiers(self, counter: int) -> list[tuple[str, ...]]:
        """The services a counter calls from, in order: its own, then its secondary ones
        and the one a supervisor suggested for now."""
        config, suggested = self.config.counters[counter], self.counters[counter].suggested
        extra = (suggested,) if suggested and suggested not in config.all_services else ()
        return [config.services, config.secondary_services + extra]

    def upcoming(self, counter: int, limit: int = 5) -> list[Ticket]:
        """The tickets this counter would call next, in order (a preview for the officer)."""
        tiers = self.tiers(counter)
        return [self.tickets[tid] for tid in self.waiting.upcoming(tiers, self._ranks, limit)]

    def ahead(self, ticket: Ticket) -> int:
        if ticket.id not in self.waiting:
            return 0
        return self.waiting.ahead_of(
            ticket.id, ticket.service, self.rank(ticket), ticket.effective_at
        )

    def wait_estimate(self, ticket: Ticket, now: float | None = None) -> float | None:
        """Seconds until a waiting ticket is likely called, or None when no counter is
        expected to reach it today (all closed or away)."""
        now = self.last_at if now is None else now
        projection = self._replayed(now)
        return projection.wait(ticket.id, now)

    def wait_for_new(self, service: str, now: float | None = None) -> float | None:
        """Seconds a ticket joining `service` now would wait, or None (nobody calls)."""
        now = self.last_at if now is None else now
        return self._replayed(now).wait_for_new(service, now)

    def calling_note(self, service: str, now: float | None = None) -> dict[str, Any] | None:
        """Why nobody calls `service` now, when no counter serving it is open: the counters
        are away (the reason their officer chose, and when the first is expected back) or
        closed. None while a counter can call."""
        counters = self._counters_of.get(service, [])
        if any(cs.status is CounterStatus.OPEN for cs in counters):
            return None
        now = self.last_at if now is None else now
        paused = [cs for cs in counters if cs.status is CounterStatus.PAUSED]
        if not paused:
            return {"kind": "closed"}
        gaps = self._closed_gaps(now)
        at, reason = min((self._expected_back(cs, now, gaps), cs.pause_reason) for cs in paused)
        choice = self.config.pause_reasons.get(reason or "")
        return {
            "kind": "paused",
            "reason": reason,
            "reason_name": choice.name if choice else None,
            "reason_name_en": (choice.name_en or choice.name) if choice else None,
            "back_at": at if at > now else None,
            "back_time": local_time(self.config.site, at).strftime("%H:%M") if at > now else None,
        }

    def _replayed(self, now: float) -> Projection:
        """The latest replay, replayed again: at once when a counter or a queue's order
        changed; at most every `REPLAY_FLOW_SECONDS` while tickets are only called and
        served (each call moves every estimate by a little; a replay of 20,000 waiting
        costs ~20 ms); every `REPLAY_EVERY_SECONDS` regardless. A ticket joining the end
        of its queue only extends the replay."""
        p, due = self._projection, self._replay_due
        if (
            p is None
            or due is _Replay.NOW
            or (due is _Replay.SOON and now - p.at >= REPLAY_FLOW_SECONDS)
            or now - p.at >= REPLAY_EVERY_SECONDS
        ):
            p = self._projection = self._replay(now)
            self._replay_due = _Replay.NO
        return p

    def _replay(self, now: float) -> Projection:
        gaps = self._closed_gaps(now)
        opening = gaps[0][1]
        outlook = []
        running: dict[str, list[float]] = {}  # service → how long its current ones have lasted
        for number in self.counters:
            current = self.current_ticket(number)
            if current is not None and current.called_at is not None:
                running.setdefault(current.service, []).append(max(0.0, now - current.called_at))
        means = {s: self.service_times.mean(s, r) for s, r in running.items()}

        def mean(service: str) -> float:  # once per service and replay
            known = means.get(service)
            if known is None:
                known = means[service] = self.service_times.mean(service)
            return known

        lunch = next(((a, b) for a, b in gaps[1:] if a <= now < b), None)
        for number, cs in self.counters.items():
            own: list[tuple[float, float]] | None = None
            if cs.status is CounterStatus.OPEN:
                current = self.current_ticket(number)
                free = now
                if current is not None and current.called_at is not None:
                    free = max(now, current.called_at + mean(current.service))
                if lunch is not None and (
                    current is None or (current.called_at or 0.0) >= lunch[0]
                ):
                    # open and calling inside the gap: this counter serves through it
                    own = [g for g in gaps if g != lunch]
            elif cs.status is CounterStatus.PAUSED:
                free = max(now + 60, self._expected_back(cs, now, gaps))
            elif cs.since is not None and cs.since >= gaps[0][0]:
                continue  # closed after serving today: not expected back
            elif now < opening + FIRST_HALF_HOUR:
                free = max(now, opening) + 300
            elif now < opening + MORNING_HOURS * 3600:
                free = now + LATE_OPENING_MINUTES * 60
            else:
                continue
            outlook.append(CounterOutlook(number, free, self.tiers(number), own))
        queues = self.waiting.snapshot(self._ranks)
        return project(now, outlook, queues, mean, gaps)

    def _expected_back(
        self, cs: CounterState, now: float, gaps: list[tuple[float, float]]
    ) -> float:
        """When a paused counter is expected back: the return time its pause gave (the
        officer's minutes, the reason's usual length, lunch: the next session), else after
        the reason's allowance and not before the end of the lunch gap it paused for."""
        if cs.back_at is not None:
            return cs.back_at
        since = cs.since or now
        at = since + self.alert_limits.pause_allowance(cs.pause_reason)
        for start, end in gaps[1:]:
            if start - LUNCH_LEEWAY <= since < end:
                at = max(at, end)
        return at

    def _closed_gaps(self, now: float) -> list[tuple[float, float]]:
        """The closed stretches of `now`'s local day, as epoch times: before opening and
        between the site's opening hours (lunch). Not after closing: who took a number is
        served, however late."""
        local = local_time(self.config.site, now)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)

        def at(t: dt.time) -> float:
            return midnight.replace(hour=t.hour, minute=t.minute).timestamp()

        gaps, start = [], midnight.timestamp()
        for opens, closes in self.config.site.hours:
            gaps.append((start, at(opens)))
            start = at(closes)
        return gaps

    def review_config(self, config: SiteConfig) -> Review:
        """`config` weighed against the day (`domain/reconfigure.py`); raises a refusal."""
        return review_change(self.config, config, self.day_facts(config))

    def day_facts(self, new: SiteConfig) -> DayFacts:
        """What the rules read, without walking the day's tickets (a change is made while
        thousands wait): waiting counts per service, the counters' current tickets, and
        the waiting tickets' groups only when `new` removes a group."""
        unfinished = {s: n for s in self.config.services if (n := self.waiting.waiting(s))}
        for cs in self.counters.values():
            if cs.ticket_id is not None:
                service = self.tickets[cs.ticket_id].service
                unfinished[service] = unfinished.get(service, 0) + 1
        priorities: set[str] = set()
        if not set(self.config.priority_groups) <= set(new.priority_groups):
            priorities = {
                p for tid in self.waiting.ids() if (p := self.tickets[tid].priority) is not None
            }
        return DayFacts(
            issued=dict(self.last_seq),
            unfinished=unfinished,
            waiting_priorities=frozenset(priorities),
            staffed=frozenset(n for n, cs in self.counters.items() if cs.officer is not None),
            bookings=tuple(
                (b.service, b.slot_at)
                for b in self.bookings.by_code.values()
                if b.status is BookingStatus.ACTIVE and (self.day is None or b.day >= self.day)
            ),
        )

    # ----- changing ------------------------------------------------------

    def handle(self, command: c.Command, now: float) -> list[e.Event]:
        """The events `command` causes at `now`, or `QueueError`; the state is not touched."""
        handler = self._handlers.get(type(command))
        if handler is None:
            raise QueueError("bad_request", f"unknown command {type(command).__name__}")
        if self.day is None and not isinstance(command, c.StartDay):
            raise QueueError("unavailable", "the day has not started")
        return handler(command, now)

    def execute(self, command: c.Command, now: float) -> list[e.Event]:
        """`handle` then `apply`: for tests and tools that hold the state themselves."""
        events = self.handle(command, now)
        for event in events:
            self.apply(event)
        return events

    def apply(self, event: e.Event) -> None:
        getattr(self, f"_on_{event.type}")(event)
        self.last_at = max(self.last_at, event.at)
        if event.type in _NOT_ABOUT_WAITING or event.type == "config_changed":
            return  # a configuration change judges for itself (`_on_config_changed`)
        p = self._projection
        if event.type in _FLOW:
            self._replay_due = max(self._replay_due, _Replay.SOON)
        elif (
            isinstance(event, e.TicketIssued)
            and p is not None
            and self._replay_due is not _Replay.NOW
            and event.priority is None
            and event.effective_at is None
        ):
            p.joined(event.ticket_id, event.service, event.at)  # at the end: no replay
        else:
            self._replay_due = _Replay.NOW

    # ----- command handlers: check, then describe the change as events ---

    def _start_day(self, cmd: c.StartDay, now: float) -> list[e.Event]:
        if cmd.day == self.day:
            return []
        out: list[e.Event] = []
        for tid in [
            t.id
            for t in self.tickets.values()
            if t.status in (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.HELD)
        ]:
            out.append(e.TicketExpired(at=now, actor=cmd.actor, ticket_id=tid))
        for cs in self.counters.values():
            if cs.status is not CounterStatus.CLOSED:
                out.append(e.CounterClosed(at=now, actor=cmd.actor, counter=cs.number))
        out.append(
            e.DayStarted(at=now, actor=cmd.actor, day=cmd.day, next_ticket_id=self.next_ticket_id)
        )
        return out

    def _issue(self, cmd: c.IssueTicket, now: float) -> list[e.Event]:
        if cmd.request_id is not None and cmd.request_id in self.by_request:
            return []  # a retry: the caller reads the first answer back
        if cmd.priority is not None and cmd.priority not in self.config.priority_groups:
            raise QueueError("unknown_priority", cmd.priority)
        return [
            self._new_ticket(
                cmd.actor,
                cmd.service,
                now,
                public_id=cmd.public_id,
                priority=cmd.priority,
                request_id=cmd.request_id,
            )
        ]

    def _new_ticket(
        self,
        actor: str,
        service_id: str,
        now: float,
        *,
        public_id: str,
        priority: str | None,
        request_id: str | None,
        effective_at: float | None = None,
        booking: str | None = None,
    ) -> e.TicketIssued:
        service = self._service(service_id)
        if (
            service.closed
            or service.id in self.closed_services
            or (self.enforce_hours and not is_open(self.config.site, service, now))
        ):
            raise QueueError("service_closed", service.name)
        seq = self.last_seq.get(service.id, 0) + 1
        if seq > service.daily_cap:
            raise QueueError("daily_cap_reached", service.name)
        return e.TicketIssued(
            at=now,
            actor=actor,
            ticket_id=self.next_ticket_id,
            public_id=public_id,
            number=format_number(service, seq),
            seq=seq,
            service=service.id,
            priority=priority,
            request_id=request_id,
            effective_at=effective_at,
            booking=booking,
        )

    def _book(self, cmd: c.BookSlot, now: float) -> list[e.Event]:
        """A place in a slot, if the slot still has one: the check and the booking are one."""
        config = self.config
        if cmd.service not in config.services:
            raise QueueError("unknown_service", cmd.service)
        if not bookable(config, cmd.service):
            raise QueueError("not_bookable", cmd.service)
        if cmd.day not in {d.isoformat() for d in booking_days(config, now)}:
            raise QueueError("booking_day_closed", cmd.day)
        slot = find_slot(config, cmd.service, dt.date.fromisoformat(cmd.day), cmd.slot_at)
        if slot is None or slot.start <= now:
            raise QueueError("bad_slot", f"{cmd.day} {cmd.slot_at}")
        if cmd.service in config.booking.cccd_services and not cmd.cccd:
            raise QueueError("bad_cccd", "this service needs the CCCD")
        if self.bookings.taken(cmd.service, slot.start) >= slot.places:
            raise QueueError("slot_full", f"{cmd.day} {slot.label}")
        if self.bookings.holder_of(cmd.phone, cmd.service, cmd.day) is not None:
            raise QueueError("already_booked", f"{cmd.service} {cmd.day}")
        if self.bookings.standing(cmd.phone) >= config.booking.bookings_per_phone:
            raise QueueError("phone_limit", str(config.booking.bookings_per_phone))
        if cmd.code in self.bookings:
            raise QueueError("unavailable", "booking code collision; retry")
        return [
            e.BookingMade(
                at=now,
                actor=cmd.actor,
                code=cmd.code,
                service=cmd.service,
                day=cmd.day,
                slot_at=slot.start,
                notice_version=cmd.notice_version,
                name=cmd.name,
                phone=cmd.phone,
                cccd=cmd.cccd,
                cancel_hash=cmd.cancel_hash,
                cancel_key=cmd.cancel_key,
                messages=cmd.messages,
            )
        ]

    def _booking(self, code: str) -> Booking:
        booking = self.bookings.get(code)
        if booking is None:
            raise QueueError("unknown_booking", code)
        if booking.status is BookingStatus.CANCELLED:
            raise QueueError("booking_cancelled", code)
        return booking

    def _cancel_booking(self, cmd: c.CancelBooking, now: float) -> list[e.Event]:
        booking = self.bookings.get(cmd.code)
        if booking is None or booking.cancel_hash != cmd.cancel_hash:
            raise QueueError("bad_cancel_link", cmd.code)
        if self._booking(cmd.code).status is BookingStatus.CHECKED_IN:
            raise QueueError("booking_used", cmd.code)
        return [e.BookingCancelled(at=now, actor=cmd.actor, code=cmd.code)]

    def _check_in(self, cmd: c.CheckIn, now: float) -> list[e.Event]:
        """Inside the window the ticket queues at the slot's start; later, as a walk-in."""
        if cmd.request_id in self.by_request:
            return []  # a retry: the caller reads the first answer back
        booking = self._booking(cmd.code)
        if booking.status is BookingStatus.CHECKED_IN:
            raise QueueError("booking_used", cmd.code)
        if booking.day != self.day:
            raise QueueError("booking_wrong_day", booking.day)
        opens, closes = checkin_window(self.config, booking.slot_at)
        if now < opens:
            raise QueueError("checkin_too_early", f"from {opens}")
        late = now > closes
        issued = self._new_ticket(
            cmd.actor,
            booking.service,
            now,
            public_id=cmd.public_id,
            priority=None,
            request_id=cmd.request_id,
            effective_at=None if late else booking.slot_at,
            booking=booking.code,
        )
        return [
            issued,
            e.BookingCheckedIn(
                at=now, actor=cmd.actor, code=booking.code, ticket_id=issued.ticket_id, late=late
            ),
        ]

    def _void(self, cmd: c.VoidTicket, now: float) -> list[e.Event]:
        ticket = self.tickets.get(cmd.ticket_id)
        if ticket is None:
            raise QueueError("unknown_ticket", str(cmd.ticket_id))
        next_ticket_status(ticket.status, TicketAction.VOID)
        out: list[e.Event] = [
            e.TicketVoided(at=now, actor=cmd.actor, ticket_id=ticket.id, reason=cmd.reason)
        ]
        booking = self.bookings.get(ticket.booking) if ticket.booking else None
        if booking is not None and booking.ticket_id == ticket.id:
            # The citizen never got the slip: let the same code check in again.
            out.append(
                e.BookingReopened(at=now, actor=cmd.actor, code=booking.code, ticket_id=ticket.id)
            )
        return out

    def _open(self, cmd: c.OpenCounter, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.OPEN)
        if cs.officer == cmd.actor and cs.officer_name == cmd.officer_name:
            return []
        return [
            e.CounterOpened(
                at=now,
                actor=cmd.actor,
                counter=cs.number,
                officer=cmd.actor,
                officer_name=cmd.officer_name,
            )
        ]

    def _close(self, cmd: c.CloseCounter, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.CLOSE)
        if cs.ticket_id is not None:
            raise QueueError("counter_busy", self.tickets[cs.ticket_id].number)
        if cs.held:
            raise QueueError("tickets_held", " ".join(self.tickets[t].number for t in cs.held))
        return [e.CounterClosed(at=now, actor=cmd.actor, counter=cs.number)]

    def _pause(self, cmd: c.PauseCounter, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.PAUSE)
        if cs.ticket_id is not None:
            raise QueueError("counter_busy", self.tickets[cs.ticket_id].number)
        return [
            e.CounterPaused(
                at=now,
                actor=cmd.actor,
                counter=cs.number,
                reason=cmd.reason,
                back_at=self._back_at(cmd.reason, cmd.minutes, now),
            )
        ]

    def _back_at(self, reason_id: str, minutes: int | None, now: float) -> float | None:
        """When a pause ends, if known: the officer's minutes, else the reason's usual
        length, else (lunch) the site's next session today."""
        reason = self.config.pause_reasons.get(reason_id)
        if minutes is None and reason is not None:
            minutes = reason.minutes
        if minutes is not None:
            if not 1 <= minutes <= 480:
                raise QueueError("bad_request", "minutes: 1–480")
            return now + minutes * 60
        if reason is not None and reason.until_next_session:
            return next_session_today(self.config.site, now)
        return None

    def _resume(self, cmd: c.ResumeCounter, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.RESUME)
        return [e.CounterResumed(at=now, actor=cmd.actor, counter=cs.number)]

    def _call_next(self, cmd: c.CallNext, now: float) -> list[e.Event]:
        """Call the next ticket; a ticket still being served is finished first."""
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.CALL)
        tiers = self.tiers(cs.number)
        starving = cs.priority_streak >= self.config.max_consecutive_priority
        tid = self.waiting.select(tiers, self._ranks, normal_first=starving)
        if tid is None:
            raise QueueError("queue_empty")
        out = self._finish_current(cs, cmd.actor, now)
        out.append(
            e.TicketCalled(at=now, actor=cmd.actor, ticket_id=tid, counter=cs.number, recall=False)
        )
        return out

    def _finish_current(self, cs: CounterState, actor: str, now: float) -> list[e.Event]:
        """A ticket still at the counter when the officer calls another is finished."""
        if cs.ticket_id is None:
            return []
        return [
            e.TicketFinished(
                at=now,
                actor=actor,
                ticket_id=cs.ticket_id,
                counter=cs.number,
                outcome=self.config.default_outcome,
            )
        ]

    def _numbered(self, counter: int, number: str) -> Ticket:
        """Today's ticket `number`, of a service this counter calls from."""
        ticket = self.ticket_by_number(number)
        if ticket is None:
            raise QueueError("unknown_number", number)
        if not any(ticket.service in tier for tier in self.tiers(counter)):
            raise QueueError("other_service", f"{ticket.number} {ticket.service}")
        return ticket

    def _call_number(self, cmd: c.CallNumber, now: float) -> list[e.Event]:
        """Call one ticket by number: waiting, or passed over and come back."""
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.CALL)
        ticket = self._numbered(cs.number, cmd.number)
        if ticket.id == cs.ticket_id:
            raise QueueError("invalid_transition", f"{ticket.number} is being served here")
        next_ticket_status(ticket.status, TicketAction.CALL)
        return [
            *self._finish_current(cs, cmd.actor, now),
            e.TicketCalled(
                at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cs.number, recall=False
            ),
        ]

    def _requeue(self, cmd: c.Requeue, now: float) -> list[e.Event]:
        """A no-show back in the queue: at its original place or at the end (config)."""
        cs = self._counter(cmd.counter)
        if cs.status is CounterStatus.CLOSED:
            raise QueueError("counter_closed")
        ticket = self._numbered(cs.number, cmd.number)
        next_ticket_status(ticket.status, TicketAction.REQUEUE)
        at = ticket.effective_at if self.config.no_show_return == "original" else now
        return [
            e.TicketRequeued(
                at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cs.number, effective_at=at
            )
        ]

    def _hold(self, cmd: c.Hold, now: float) -> list[e.Event]:
        ticket = self._serving(cmd.counter, TicketAction.HOLD)
        return [e.TicketHeld(at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cmd.counter)]

    def _resume_held(self, cmd: c.ResumeHeld, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        next_counter_status(cs.status, CounterAction.CALL)
        ticket = self.ticket_by_number(cmd.number)
        if ticket is None or ticket.id not in cs.held:
            raise QueueError("not_held", cmd.number)
        next_ticket_status(ticket.status, TicketAction.RESUME)
        if cs.ticket_id is not None:
            raise QueueError("counter_busy", self.tickets[cs.ticket_id].number)
        return [e.TicketResumed(at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cs.number)]

    def _recall(self, cmd: c.Recall, now: float) -> list[e.Event]:
        ticket = self._serving(cmd.counter, TicketAction.RECALL)
        return [
            e.TicketCalled(
                at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cmd.counter, recall=True
            )
        ]

    def _no_show(self, cmd: c.NoShow, now: float) -> list[e.Event]:
        ticket = self._serving(cmd.counter, TicketAction.NO_SHOW)
        return [e.TicketNoShow(at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cmd.counter)]

    def _finish(self, cmd: c.Finish, now: float) -> list[e.Event]:
        outcome = cmd.outcome or self.config.default_outcome
        if outcome not in self.config.outcomes:
            raise QueueError("unknown_outcome", outcome)
        ticket = self._serving(cmd.counter, TicketAction.FINISH)
        return [
            e.TicketFinished(
                at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cmd.counter, outcome=outcome
            )
        ]

    def _transfer(self, cmd: c.Transfer, now: float) -> list[e.Event]:
        target = self._service(cmd.to_service)
        ticket = self._serving(cmd.counter, TicketAction.TRANSFER)
        if target.id == ticket.service:
            raise QueueError("same_service", target.name)
        return [
            e.TicketTransferred(
                at=now,
                actor=cmd.actor,
                ticket_id=ticket.id,
                counter=cmd.counter,
                from_service=ticket.service,
                to_service=target.id,
                reason=cmd.reason,
            )
        ]

    def _rate(self, cmd: c.RateTicket, now: float) -> list[e.Event]:
        """One rating per ticket, only for a ticket finished at the pad's counter."""
        if cmd.rating not in {r.id for r in self.config.rating_scale}:
            raise QueueError("unknown_rating", cmd.rating)
        ticket = next((t for t in self.tickets.values() if t.number == cmd.number), None)
        if (
            ticket is None
            or ticket.status is not TicketStatus.DONE
            or ticket.counter != cmd.counter
        ):
            raise QueueError("not_ratable", cmd.number)
        if ticket.rating is not None:
            raise QueueError("already_rated", cmd.number)
        return [
            e.TicketRated(
                at=now, actor=cmd.actor, ticket_id=ticket.id, counter=cmd.counter, rating=cmd.rating
            )
        ]

    def _raise_alert(self, cmd: c.RaiseAlert, now: float) -> list[e.Event]:
        if cmd.key in self.alerts.open:
            return []  # raised once while its condition holds
        return [
            e.AlertRaised(
                at=now,
                actor=cmd.actor,
                alert_id=self.alerts.next_id,
                key=cmd.key,
                kind=cmd.kind,
                subject=cmd.subject,
                detail=cmd.detail,
            )
        ]

    def _acknowledge_alert(self, cmd: c.AcknowledgeAlert, now: float) -> list[e.Event]:
        alert = self.alerts.get(cmd.alert_id)
        if alert.acknowledged_by is not None:
            raise QueueError("alert_acknowledged", alert.acknowledged_by)
        return [e.AlertAcknowledged(at=now, actor=cmd.actor, alert_id=alert.id)]

    def _clear_alert(self, cmd: c.ClearAlert, now: float) -> list[e.Event]:
        alert_id = self.alerts.open.get(cmd.key)
        if alert_id is None:
            return []
        return [e.AlertCleared(at=now, actor=cmd.actor, alert_id=alert_id)]

    def _rate_by_link(self, cmd: c.RateByLink, now: float) -> list[e.Event]:
        """The link in the message after service: one rating per ticket, as at the pad."""
        ticket = self.ticket_by_public_id(cmd.public_id)
        if ticket is None or ticket.status is not TicketStatus.DONE or ticket.counter is None:
            raise QueueError("not_ratable", cmd.public_id[:20])
        return self._rate(
            c.RateTicket(
                actor=cmd.actor, counter=ticket.counter, number=ticket.number, rating=cmd.rating
            ),
            now,
        )

    def _subscribe(self, cmd: c.Subscribe, now: float) -> list[e.Event]:
        ticket = self.ticket_by_public_id(cmd.public_id)
        if ticket is None or ticket.status is not TicketStatus.WAITING:
            raise QueueError("unknown_ticket", cmd.public_id[:20])
        return [
            e.TicketSubscribed(
                at=now,
                actor=cmd.actor,
                ticket_id=ticket.id,
                ahead=cmd.ahead,
                lang=cmd.lang,
                phone=cmd.phone,
            )
        ]

    def _cancel_service_day(self, cmd: c.CancelServiceDay, now: float) -> list[e.Event]:
        """Every active booking of the service that day, cancelled by the centre."""
        self._service(cmd.service)
        return [
            e.BookingCancelled(
                at=now, actor=cmd.actor, code=b.code, by_centre=True, reason=cmd.reason
            )
            for b in self.bookings.of_day(cmd.service, cmd.day)
            if b.status is BookingStatus.ACTIVE
        ]

    def _close_service(self, cmd: c.CloseServiceForDay, now: float) -> list[e.Event]:
        service = self._service(cmd.service)
        if service.id in self.closed_services:
            return []
        return [e.ServiceClosedForDay(at=now, actor=cmd.actor, service=service.id)]

    def _reopen_service(self, cmd: c.ReopenService, now: float) -> list[e.Event]:
        service = self._service(cmd.service)
        if service.id not in self.closed_services:
            return []
        return [e.ServiceReopened(at=now, actor=cmd.actor, service=service.id)]

    def _suggest_service(self, cmd: c.SuggestService, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        if cmd.service:
            self._service(cmd.service)
            if cs.status is CounterStatus.CLOSED:
                raise QueueError("counter_closed")
        if (cs.suggested or "") == cmd.service:
            return []
        return [e.ServiceSuggested(at=now, actor=cmd.actor, counter=cs.number, service=cmd.service)]

    def _link_dossier(self, cmd: c.LinkDossier, now: float) -> list[e.Event]:
        cs = self._counter(cmd.counter)
        return [
            e.DossierReceived(
                at=now,
                actor=cmd.actor,
                counter=cs.number,
                ticket_id=cs.ticket_id,
                procedure=cmd.procedure,
                dossier=cmd.dossier,
            )
        ]

    def _set_alert_limits(self, cmd: c.SetAlertLimits, now: float) -> list[e.Event]:
        limits = self.alert_limits
        wait = cmd.longest_wait_minutes or limits.longest_wait_minutes
        count = cmd.waiting_count or limits.waiting_count
        silence = cmd.device_offline_seconds or limits.device_offline_seconds
        if not (1 <= wait <= 600 and 1 <= count <= 10_000 and 10 <= silence <= 3600):
            raise QueueError("bad_request", "wait 1–600 min, count 1–10000, silence 10–3600 s")
        return [
            e.AlertLimitsChanged(
                at=now,
                actor=cmd.actor,
                longest_wait_minutes=wait,
                waiting_count=count,
                device_offline_seconds=silence,
            )
        ]

    def _apply_config(self, cmd: c.ApplyConfig, now: float) -> list[e.Event]:
        if cmd.version <= self.config_version:
            raise QueueError("config_refused", f"version: {cmd.version} is not newer")
        self.review_config(cmd.config)  # refuses what today's tickets and counters forbid
        return [
            e.ConfigChanged(
                at=now, actor=cmd.actor, version=cmd.version, previous=self.config_version
            )
        ]

    def _service(self, service_id: str) -> Service:
        try:
            return self.config.services[service_id]
        except KeyError:
            raise QueueError("unknown_service", service_id) from None

    def _counter(self, number: int) -> CounterState:
        try:
            return self.counters[number]
        except KeyError:
            raise QueueError("unknown_counter", str(number)) from None

    def _serving(self, counter: int, action: TicketAction) -> Ticket:
        """The ticket a counter is serving, checked for `action`."""
        cs = self._counter(counter)
        if cs.status is CounterStatus.CLOSED:
            raise QueueError("counter_closed")
        if cs.ticket_id is None:
            raise QueueError("nothing_called")
        ticket = self.tickets[cs.ticket_id]
        next_ticket_status(ticket.status, action)
        return ticket

    # ----- event appliers: the only code that changes the state -----------

    def _on_config_changed(self, ev: e.ConfigChanged) -> None:
        before = _replay_inputs(self.config, self.alert_limits)
        self._configure(self.known_configs[ev.version])
        self.config_version = ev.version
        self.alert_limits = self.config.alerts
        self.service_times.reconfigure(
            self.config.service_time_window, self.config.default_service_minutes * 60
        )
        if _replay_inputs(self.config, self.alert_limits) != before:
            self._replay_due = _Replay.NOW

    def _on_day_started(self, ev: e.DayStarted) -> None:
        self.day = ev.day
        self.next_ticket_id = max(self.next_ticket_id, ev.next_ticket_id)
        self.tickets.clear()
        self.by_request.clear()
        self.by_public.clear()
        self.subscriptions.clear()
        self.last_seq.clear()
        self.waiting = WaitingQueues()
        self.alerts = AlertBook()
        self.closed_services.clear()
        self.alert_limits = self.config.alerts
        self.bookings.drop_before(ev.day)
        for cs in self.counters.values():
            cs.priority_streak = cs.served = 0

    def _on_ticket_issued(self, ev: e.TicketIssued) -> None:
        ticket = Ticket(
            id=ev.ticket_id,
            public_id=ev.public_id,
            number=ev.number,
            seq=ev.seq,
            service=ev.service,
            priority=ev.priority,
            request_id=ev.request_id,
            issued_at=ev.at,
            issued_by=ev.actor,
            day=self.day or "",
            effective_at=ev.at if ev.effective_at is None else ev.effective_at,
            booking=ev.booking,
        )
        self.tickets[ticket.id] = ticket
        self.by_public[ticket.public_id] = ticket.id
        if ev.request_id is not None:
            self.by_request[ev.request_id] = ticket.id
        self.last_seq[ev.service] = max(self.last_seq.get(ev.service, 0), ev.seq)
        self.next_ticket_id = max(self.next_ticket_id, ev.ticket_id + 1)
        self.waiting.add(ticket.id, ticket.service, self.rank(ticket), ticket.effective_at)

    def _on_ticket_called(self, ev: e.TicketCalled) -> None:
        ticket = self.tickets[ev.ticket_id]
        cs = self.counters[ev.counter]
        if ev.recall:
            ticket.recalls += 1
            return
        if ticket.id in self.waiting:
            self.waiting.remove(ticket.id)
        ticket.status, ticket.counter, ticket.called_at = TicketStatus.CALLED, cs.number, ev.at
        ticket.ended_at = None  # a no-show called back by number
        cs.ticket_id = ticket.id
        cs.priority_streak = cs.priority_streak + 1 if ticket.priority else 0

    def _end(self, ticket_id: int, status: TicketStatus, at: float) -> Ticket:
        ticket = self.tickets[ticket_id]
        if ticket.id in self.waiting:
            self.waiting.remove(ticket.id)
        if ticket.counter is not None:
            cs = self.counters[ticket.counter]
            if cs.ticket_id == ticket.id:
                cs.ticket_id = None
            if ticket.id in cs.held:
                cs.held.remove(ticket.id)
        ticket.status, ticket.ended_at = status, at
        return ticket

    def _on_ticket_finished(self, ev: e.TicketFinished) -> None:
        ticket = self._end(ev.ticket_id, TicketStatus.DONE, ev.at)
        ticket.outcome, ticket.officer = ev.outcome, ev.actor
        self.counters[ev.counter].served += 1
        if ticket.called_at is not None:
            self.service_times.add(ticket.service, ev.at - ticket.called_at)

    def _on_ticket_no_show(self, ev: e.TicketNoShow) -> None:
        ticket = self._end(ev.ticket_id, TicketStatus.NO_SHOW, ev.at)
        if ticket.called_at is not None:  # a call that ended without a service is a call
            self.service_times.add_call(ticket.service, ev.at - ticket.called_at)

    def _on_ticket_voided(self, ev: e.TicketVoided) -> None:
        self._end(ev.ticket_id, TicketStatus.VOIDED, ev.at)

    def _on_ticket_expired(self, ev: e.TicketExpired) -> None:
        self._end(ev.ticket_id, TicketStatus.EXPIRED, ev.at)

    def _on_ticket_transferred(self, ev: e.TicketTransferred) -> None:
        ticket = self._end(ev.ticket_id, TicketStatus.WAITING, ev.at)
        if ticket.called_at is not None:  # the first counter's time, spent on this call
            self.service_times.add_call(ticket.service, ev.at - ticket.called_at)
        ticket.ended_at = ticket.counter = ticket.called_at = None
        ticket.service = ev.to_service
        ticket.transfers += 1
        self.waiting.add(ticket.id, ticket.service, self.rank(ticket), ticket.effective_at)

    def _on_ticket_requeued(self, ev: e.TicketRequeued) -> None:
        ticket = self.tickets[ev.ticket_id]
        ticket.status, ticket.ended_at, ticket.called_at = TicketStatus.WAITING, None, None
        ticket.counter, ticket.effective_at = None, ev.effective_at
        self.waiting.add(ticket.id, ticket.service, self.rank(ticket), ticket.effective_at)

    def _on_ticket_held(self, ev: e.TicketHeld) -> None:
        ticket, cs = self.tickets[ev.ticket_id], self.counters[ev.counter]
        ticket.status, ticket.held_at = TicketStatus.HELD, ev.at
        if cs.ticket_id == ticket.id:
            cs.ticket_id = None
        cs.held.append(ticket.id)

    def _on_ticket_resumed(self, ev: e.TicketResumed) -> None:
        ticket, cs = self.tickets[ev.ticket_id], self.counters[ev.counter]
        ticket.status, cs.ticket_id = TicketStatus.CALLED, ticket.id
        if ticket.called_at is not None and ticket.held_at is not None:
            ticket.called_at += ev.at - ticket.held_at  # service time leaves the hold out
        ticket.held_at = None
        if ticket.id in cs.held:
            cs.held.remove(ticket.id)

    def _on_ticket_rated(self, ev: e.TicketRated) -> None:
        self.tickets[ev.ticket_id].rating = ev.rating

    def _on_counter_opened(self, ev: e.CounterOpened) -> None:
        cs = self.counters[ev.counter]
        if cs.status is CounterStatus.CLOSED:
            cs.since = ev.at
        cs.status = next_counter_status(cs.status, CounterAction.OPEN)
        cs.officer, cs.officer_name = ev.officer, ev.officer_name

    def _on_counter_closed(self, ev: e.CounterClosed) -> None:
        cs = self.counters[ev.counter]
        cs.since, cs.back_at = ev.at, None
        self._suggest(cs, None)
        cs.status, cs.officer, cs.officer_name, cs.pause_reason, cs.ticket_id = (
            CounterStatus.CLOSED,
            None,
            "",
            None,
            None,
        )

    def _on_counter_paused(self, ev: e.CounterPaused) -> None:
        cs = self.counters[ev.counter]
        cs.status, cs.pause_reason, cs.since = CounterStatus.PAUSED, ev.reason, ev.at
        cs.back_at = ev.back_at

    def _on_counter_resumed(self, ev: e.CounterResumed) -> None:
        cs = self.counters[ev.counter]
        cs.status, cs.pause_reason, cs.since = CounterStatus.OPEN, None, ev.at
        cs.back_at = None

    def _on_booking_made(self, ev: e.BookingMade) -> None:
        self.bookings.add(
            Booking(
                code=ev.code,
                service=ev.service,
                day=ev.day,
                slot_at=ev.slot_at,
                created_at=ev.at,
                notice_version=ev.notice_version,
                name=ev.name,
                phone=ev.phone,
                cccd=ev.cccd,
                cancel_hash=ev.cancel_hash,
                messages=ev.messages,
            )
        )

    def _on_booking_cancelled(self, ev: e.BookingCancelled) -> None:
        if ev.code in self.bookings:
            self.bookings.cancel(ev.code, ev.at)

    def _on_ticket_subscribed(self, ev: e.TicketSubscribed) -> None:
        self.subscriptions[ev.ticket_id] = Subscription(
            ev.ticket_id, ev.ahead, ev.lang, ev.phone, ev.at
        )

    def _on_booking_reopened(self, ev: e.BookingReopened) -> None:
        booking = self.bookings.get(ev.code)
        if booking is not None and booking.ticket_id == ev.ticket_id:
            booking.status, booking.ticket_id = BookingStatus.ACTIVE, None
            booking.checked_in_at, booking.late = None, None

    def _on_booking_checked_in(self, ev: e.BookingCheckedIn) -> None:
        booking = self.bookings.get(ev.code)
        if booking is not None:
            booking.status, booking.ticket_id = BookingStatus.CHECKED_IN, ev.ticket_id
            booking.checked_in_at, booking.late = ev.at, ev.late

    def _on_alert_raised(self, ev: e.AlertRaised) -> None:
        self.alerts.raised(
            Alert(ev.alert_id, ev.key, ev.kind, ev.subject, ev.detail, raised_at=ev.at)
        )

    def _on_alert_acknowledged(self, ev: e.AlertAcknowledged) -> None:
        self.alerts.acknowledged(ev.alert_id, ev.actor, ev.at)

    def _on_alert_cleared(self, ev: e.AlertCleared) -> None:
        self.alerts.cleared(ev.alert_id, ev.at)

    def _on_service_closed_for_day(self, ev: e.ServiceClosedForDay) -> None:
        self.closed_services.add(ev.service)

    def _on_service_reopened(self, ev: e.ServiceReopened) -> None:
        self.closed_services.discard(ev.service)

    def _on_service_suggested(self, ev: e.ServiceSuggested) -> None:
        self._suggest(self.counters[ev.counter], ev.service or None)

    def _suggest(self, cs: CounterState, service: str | None) -> None:
        """Set a counter's suggested service; it counts among the service's counters."""
        own = self.config.counters[cs.number].all_services
        if cs.suggested and cs.suggested not in own:
            self._counters_of[cs.suggested].remove(cs)
        cs.suggested = service
        if service and service not in own:
            self._counters_of.setdefault(service, []).append(cs)

    def _on_dossier_received(self, ev: e.DossierReceived) -> None:
        """Nothing in the queue changes: the event is for the report."""

    def _on_alert_limits_changed(self, ev: e.AlertLimitsChanged) -> None:
        self.alert_limits = dataclasses.replace(
            self.alert_limits,
            longest_wait_minutes=ev.longest_wait_minutes,
            waiting_count=ev.waiting_count,
            device_offline_seconds=ev.device_offline_seconds,
        )
