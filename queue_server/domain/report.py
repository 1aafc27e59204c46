"""Leaders' figures, folded from the event log: pure, no I/O.

The definitions (also in docs/protocol.md and on the page), chosen to be honest
rather than flattering:

- A ticket *waits* from the moment it joins a queue — its issue; a booking checked in
  before its slot: the slot; after a transfer: the transfer — until its next call.
  A recall is not a new call. Waits of tickets still waiting are not in the wait
  figures (they have not ended); `waiting_now` and `longest_wait_now` show them.
- A ticket is *in service* from a call to the finish or the transfer that ends it;
  a no-show is not service.
- Percentiles by nearest rank; every time in seconds.
- *Satisfied*: the ratings in the better half of the configured scale (listed best
  first), as a share of all ratings (`satisfied_ratings`).
- *Targets*: the share of ended waits of at most 15 and of at most 30 minutes
  (`TARGET_MINUTES`).
- Bookings count by the day booked: made, checked in (on time or late), cancelled,
  and not come (neither, so far).
- A counter (and the officer signed in there) is *open* from sign-in to sign-out or
  the daily reset, minus its pauses; *busy* is the share of open time spent serving.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain import events as e
from queue_server.domain.config import SiteConfig

TARGET_MINUTES = (15, 30)  # the centre's targets: served within 15 and 30 minutes


def satisfied_ratings(config: SiteConfig) -> frozenset[str]:
    """The ratings that count as satisfied: the better half of the scale (best first)."""
    scale = [choice.id for choice in config.rating_scale]
    return frozenset(scale[: len(scale) // 2])


def share(part: int, whole: int) -> float | None:
    """`part` of `whole`, to three places; None when there is no whole."""
    return round(part / whole, 3) if whole else None


def within_targets(waits: list[float]) -> dict[str, float | None]:
    """`within_15`, `within_30`: the share of `waits` (seconds) within each target."""
    return {
        f"within_{m}": share(sum(1 for w in waits if w <= m * 60), len(waits))
        for m in TARGET_MINUTES
    }


def stats(values: list[float]) -> dict[str, float | int | None]:
    """count, mean, p50, p90 and max of `values` (nearest-rank percentiles)."""
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {
        "count": len(ordered),
        "mean": round(sum(ordered) / len(ordered), 1),
        "p50": round(rank(0.5), 1),
        "p90": round(rank(0.9), 1),
        "max": round(ordered[-1], 1),
    }


@dataclass
class Figures:
    """What is counted for one group: a day, a service, a counter, an officer, an hour."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    voided: int = 0
    expired: int = 0
    transferred: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)
    ratings: Tally[str] = field(default_factory=Tally)
    open_seconds: float = 0.0  # counters and officers: signed in and not paused
    paused_seconds: float = 0.0

    def to_dict(
        self, satisfied: frozenset[str], running: tuple[float, float] = (0.0, 0.0)
    ) -> dict[str, Any]:
        """`running`: open and paused seconds of a shift still going on."""
        rated = sum(self.ratings.values())
        happy = sum(n for r, n in self.ratings.items() if r in satisfied)
        open_s, paused_s = self.open_seconds + running[0], self.paused_seconds + running[1]
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "voided": self.voided,
            "expired": self.expired,
            "transferred": self.transferred,
            "wait": stats(self.waits),
            **within_targets(self.waits),
            "service": stats(self.service_times),
            "ratings": dict(self.ratings),
            "rated": rated,
            "satisfied": share(happy, rated),
            "open_seconds": round(open_s, 1),
            "paused_seconds": round(paused_s, 1),
            "busy": round(min(1.0, sum(self.service_times) / open_s), 3) if open_s >= 60 else None,
        }


@dataclass(slots=True)
class TicketRecord:
    """One ticket of the period, as the per-ticket export shows it."""

    day: str
    id: int
    number: str
    service: str  # the service it was issued for
    priority: str | None
    booked: bool
    issued_at: float
    queued_at: float | None  # when its current wait began; None while not waiting
    first_called_at: float | None = None
    called_at: float | None = None  # the current call; None when not being served
    ended_at: float | None = None
    counter: int | None = None
    officer: str | None = None
    current_service: str = ""
    outcome: str = "waiting"  # waiting, called, finished, no_show, voided, expired
    transfers: int = 0
    rating: str | None = None
    wait_seconds: float = 0.0  # all its ended waits
    service_seconds: float = 0.0  # all its ended services


def booking_figures(counts: dict[tuple[str, bool], int]) -> dict[str, int]:
    """From (status, late) → count, as `Store.booking_counts` gives them."""

    def total(status: str) -> int:
        return sum(n for (s, _), n in counts.items() if s == status)

    return {
        "made": sum(counts.values()),
        "checked_in": total("checked_in"),
        "late": counts.get(("checked_in", True), 0),
        "cancelled": total("cancelled"),
        "not_come": total("active"),
    }


class Report:
    """Feed it events in log order (`add`), then read `to_dict(now)` or `tickets`."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.tz = ZoneInfo(config.site.timezone)
        self.satisfied = satisfied_ratings(config)
        self.tickets: dict[int, TicketRecord] = {}
        self._held_at: dict[int, float] = {}  # ticket → when it was parked at its counter
        self.totals = Figures()
        self.days: dict[str, Figures] = {}
        self.services: dict[str, Figures] = {}
        self.counters: dict[int, Figures] = {}
        self.officers: dict[str, Figures] = {}
        self.procedures: dict[str, Figures] = {}  # issue 16: the tickets a dossier came with
        self._procedures_of: dict[int, list[str]] = {}  # ticket id → its dossiers' procedures
        self.hours: dict[int, Figures] = {}
        self.day = ""
        self.bookings: dict[str, int] = booking_figures({})
        self._officer_at: dict[int, str] = {}  # counter → who is signed in there
        self._shift: dict[int, tuple[float, bool]] = {}  # counter → (since, paused?)
        self.officer_names: dict[str, str] = {}  # username → full name, where known
        # the supervisors' alerts: (day, alert id) → (kind, raised at); ids restart daily
        self._alerts: dict[tuple[str, int], tuple[str, float]] = {}
        self._alert_kinds: Tally[str] = Tally()
        self._ack_seconds: list[float] = []

    # -- folding ---------------------------------------------------------------

    def add(self, events: Iterable[e.Event]) -> None:
        for event in events:
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is not None:
                handler(event)

    def _groups(
        self, t: TicketRecord, service: str | None = None, staff: bool = False
    ) -> list[Figures]:
        """Where something that happened to `t` counts (its counter and officer too when
        `staff`)."""
        groups = [
            self.totals,
            self.days.setdefault(t.day, Figures()),
            self.services.setdefault(service or t.current_service, Figures()),
        ]
        if staff and t.counter is not None:
            groups.append(self.counters.setdefault(t.counter, Figures()))
            if t.officer:
                groups.append(self.officers.setdefault(t.officer, Figures()))
        if staff:
            for procedure in self._procedures_of.get(t.id, ()):
                groups.append(self.procedures.setdefault(procedure, Figures()))
        return groups

    def _hour(self, at: float) -> Figures:
        return self.hours.setdefault(dt.datetime.fromtimestamp(at, self.tz).hour, Figures())

    def _on_day_started(self, ev: e.DayStarted) -> None:
        for counter in list(self._shift):
            self._clock(counter, ev.at)
        self.day = ev.day
        self._officer_at.clear()

    def _staff(self, counter: int) -> list[Figures]:
        """The counter's figures and those of the officer signed in there."""
        groups = [self.counters.setdefault(counter, Figures())]
        if (officer := self._officer_at.get(counter)) is not None:
            groups.append(self.officers.setdefault(officer, Figures()))
        return groups

    def _clock(self, counter: int, at: float, paused: bool | None = None) -> None:
        """End the counter's running stretch at `at`; start a new one unless `paused`
        is None (signed out)."""
        if (stretch := self._shift.pop(counter, None)) is not None:
            since, was_paused = stretch
            for g in self._staff(counter):
                if was_paused:
                    g.paused_seconds += max(0.0, at - since)
                else:
                    g.open_seconds += max(0.0, at - since)
        if paused is not None:
            self._shift[counter] = (at, paused)

    def _on_counter_opened(self, ev: e.CounterOpened) -> None:
        stretch = self._shift.get(ev.counter)
        self._clock(ev.counter, ev.at, paused=bool(stretch and stretch[1]))  # a takeover
        self._officer_at[ev.counter] = ev.officer  # keeps a pause
        if ev.officer_name:
            self.officer_names[ev.officer] = ev.officer_name

    def _on_counter_paused(self, ev: e.CounterPaused) -> None:
        self._clock(ev.counter, ev.at, paused=True)

    def _on_counter_resumed(self, ev: e.CounterResumed) -> None:
        self._clock(ev.counter, ev.at, paused=False)

    def officer_label(self, username: str | None) -> str:
        """ "Nguyễn Văn An (an)", or the username alone when no full name is known."""
        name = self.officer_names.get(username or "")
        return f"{name} ({username})" if name else (username or "")

    def _on_counter_closed(self, ev: e.CounterClosed) -> None:
        self._clock(ev.counter, ev.at)
        self._officer_at.pop(ev.counter, None)

    def _on_ticket_issued(self, ev: e.TicketIssued) -> None:
        queued = max(ev.at, ev.effective_at or ev.at)
        t = TicketRecord(
            day=self.day,
            id=ev.ticket_id,
            number=ev.number,
            service=ev.service,
            priority=ev.priority,
            booked=ev.booking is not None,
            issued_at=ev.at,
            queued_at=queued,
            current_service=ev.service,
        )
        self.tickets[t.id] = t
        for g in self._groups(t):
            g.issued += 1
        self._hour(ev.at).issued += 1

    def _on_ticket_called(self, ev: e.TicketCalled) -> None:
        t = self.tickets.get(ev.ticket_id)
        if t is None or ev.recall:
            return
        t.counter, t.officer = ev.counter, self._officer_at.get(ev.counter)
        t.called_at, t.outcome = ev.at, "called"
        if t.first_called_at is None:
            t.first_called_at = ev.at
        if t.queued_at is not None:
            wait = max(0.0, ev.at - t.queued_at)
            t.wait_seconds += wait
            for g in self._groups(t):
                g.waits.append(wait)
            self._hour(t.queued_at).waits.append(wait)
            t.queued_at = None

    def _end_service(self, t: TicketRecord, at: float) -> None:
        if t.called_at is not None:
            spent = max(0.0, at - t.called_at)
            t.service_seconds += spent
            for g in self._groups(t, staff=True):
                g.service_times.append(spent)
        t.called_at = None

    def _on_dossier_received(self, ev: e.DossierReceived) -> None:
        """The ticket's service (this one and any later at a counter) counts for the
        procedure too: its service time is the time spent on that dossier and the rest
        of the visit."""
        if ev.ticket_id is not None and ev.ticket_id in self.tickets:
            procedures = self._procedures_of.setdefault(ev.ticket_id, [])
            if ev.procedure not in procedures:
                procedures.append(ev.procedure)

    def _on_ticket_finished(self, ev: e.TicketFinished) -> None:
        if (t := self.tickets.get(ev.ticket_id)) is None:
            return
        self._end_service(t, ev.at)
        t.outcome, t.ended_at = "finished", ev.at
        for g in self._groups(t, staff=True):
            g.served += 1

    def _on_ticket_transferred(self, ev: e.TicketTransferred) -> None:
        if (t := self.tickets.get(ev.ticket_id)) is None:
            return
        self._end_service(t, ev.at)
        for g in self._groups(t, ev.from_service, staff=True):
            g.transferred += 1
        t.transfers += 1
        t.current_service, t.queued_at, t.outcome = ev.to_service, ev.at, "waiting"

    def _on_ticket_no_show(self, ev: e.TicketNoShow) -> None:
        if (t := self.tickets.get(ev.ticket_id)) is None:
            return
        t.called_at, t.outcome, t.ended_at = None, "no_show", ev.at
        for g in self._groups(t, staff=True):
            g.no_show += 1

    def _on_ticket_requeued(self, ev: e.TicketRequeued) -> None:
        """A no-show back in the queue: it waits again from now (the no-show still counts)."""
        if (t := self.tickets.get(ev.ticket_id)) is None:
            return
        t.queued_at, t.outcome, t.ended_at = ev.at, "waiting", None

    def _on_ticket_held(self, ev: e.TicketHeld) -> None:
        """Parked while the citizen fetches a document: not service time."""
        self._held_at[ev.ticket_id] = ev.at

    def _on_ticket_resumed(self, ev: e.TicketResumed) -> None:
        held_at = self._held_at.pop(ev.ticket_id, None)
        t = self.tickets.get(ev.ticket_id)
        if t is not None and t.called_at is not None and held_at is not None:
            t.called_at += ev.at - held_at  # the service time leaves the hold out

    def _on_ticket_voided(self, ev: e.TicketVoided) -> None:
        self._gone(ev.ticket_id, ev.at, "voided")

    def _on_ticket_expired(self, ev: e.TicketExpired) -> None:
        self._gone(ev.ticket_id, ev.at, "expired")

    def _gone(self, ticket_id: int, at: float, outcome: str) -> None:
        """A ticket that left without service: `outcome` is also the figure it counts in."""
        if (t := self.tickets.get(ticket_id)) is None:
            return
        t.queued_at = t.called_at = None
        t.outcome, t.ended_at = outcome, at
        for g in self._groups(t):
            setattr(g, outcome, getattr(g, outcome) + 1)

    def _on_ticket_rated(self, ev: e.TicketRated) -> None:
        if (t := self.tickets.get(ev.ticket_id)) is None:
            return
        t.rating = ev.rating
        for g in self._groups(t, staff=True):
            g.ratings[ev.rating] += 1

    def _on_alert_raised(self, ev: e.AlertRaised) -> None:
        self._alerts[(self.day, ev.alert_id)] = (ev.kind, ev.at)
        self._alert_kinds[ev.kind] += 1

    def _on_alert_acknowledged(self, ev: e.AlertAcknowledged) -> None:
        if (raised := self._alerts.get((self.day, ev.alert_id))) is not None:
            self._ack_seconds.append(ev.at - raised[1])

    # -- reading -----------------------------------------------------------------

    def to_dict(self, now: float) -> dict[str, Any]:
        cfg, ok = self.config, self.satisfied
        waiting = [t for t in self.tickets.values() if t.queued_at is not None]
        serving = [t for t in self.tickets.values() if t.called_at is not None]

        def queue_now(tickets: list[TicketRecord]) -> dict[str, float | int | None]:
            longest = max((now - (t.queued_at or now) for t in tickets), default=None)
            return {
                "waiting_now": len(tickets),
                "longest_wait_now": None if longest is None else round(longest, 1),
            }

        running: dict[int, tuple[float, float]] = {}  # id(Figures) → shifts still going
        for counter, (since, paused) in self._shift.items():
            spent = max(0.0, now - since)
            for g in self._staff(counter):
                open_s, paused_s = running.get(id(g), (0.0, 0.0))
                running[id(g)] = (
                    (open_s, paused_s + spent) if paused else (open_s + spent, paused_s)
                )

        def named(key: object, kind: str) -> dict[str, str]:
            item = getattr(cfg, kind).get(key)
            name = item.name if item else str(key)
            return {"name": name, "name_en": getattr(item, "name_en", None) or name}

        return {
            "timezone": cfg.site.timezone,
            "totals": {
                **self.totals.to_dict(ok),
                **queue_now(waiting),
                "in_service_now": len(serving),
            },
            "days": [{"day": d, **f.to_dict(ok)} for d, f in sorted(self.days.items())],
            "services": [
                {
                    "id": s,
                    **named(s, "services"),
                    **f.to_dict(ok),
                    **queue_now([t for t in waiting if t.current_service == s]),
                }
                for s, f in sorted(self.services.items(), key=lambda kv: (-kv[1].issued, kv[0]))
            ],
            "counters": [
                {
                    "number": n,
                    **named(n, "counters"),
                    **f.to_dict(ok, running.get(id(f), (0.0, 0.0))),
                }
                for n, f in sorted(self.counters.items())
            ],
            "officers": [
                {
                    "username": o,
                    "name": self.officer_names.get(o, ""),
                    **f.to_dict(ok, running.get(id(f), (0.0, 0.0))),
                }
                for o, f in sorted(self.officers.items())
            ],
            "procedures": [  # issue 16: which procedures take longest at the counter
                {"code": p, **named(p, "procedures"), **f.to_dict(ok)}
                for p, f in sorted(self.procedures.items())
            ],
            "hours": [{"hour": h, **f.to_dict(ok)} for h, f in sorted(self.hours.items())],
            "bookings": self.bookings,
            "alerts": {  # how many, and how long until a supervisor acknowledged them
                "raised": sum(self._alert_kinds.values()),
                "by_kind": dict(sorted(self._alert_kinds.items())),
                "time_to_acknowledge": stats(self._ack_seconds),
            },
            "rating_scale": [
                {"id": c.id, "name": c.name, "name_en": c.name_en, "satisfied": c.id in ok}
                for c in cfg.rating_scale
            ],
        }
