"""Which events cause which messages to citizens: one table of rules, pure.

The writer calls `notices` with a batch's events and the state they made, before
the commit; the outbox rows built from its answer are written in the same
transaction as the events (`queue_server.outbox.compose`). Each notice has a key
that names it for good (`near:<ticket id>`): the outbox keeps one row per key, so a
rule that fires twice (after a restart) still sends once.

A booking's reminders are not written with the booking: `Reminders` keeps when each
falls due and writes it then (the writer runs a `Tick` when one is due), if the booking
still stands — so a burst of bookings writes one row each, and a booking cancelled or
checked in before its reminder leaves nothing to withdraw.

| event | message (to the booking's phone, or the ticket's subscriber) |
|---|---|
| `BookingMade` (the citizen ticked "messages") | booking_made now; reminders when due |
| `BookingCancelled` by the centre | booking_cancelled (the reminders withdrawn), to every booking |
| `BookingCancelled` by the citizen, `BookingCheckedIn` | the reminders withdrawn |
| `TicketSubscribed`, any move of its queue | near, once, when few enough are ahead |
| `TicketCalled` (not a recall) | called, once per counter |
| `TicketFinished` | rate_link (if a public address is configured) |
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from queue_server.domain import events as e
from queue_server.domain.booking import Booking, BookingStatus
from queue_server.domain.config import MessagingConfig, SiteConfig
from queue_server.domain.hours import local_time
from queue_server.domain.lifecycle import TicketStatus
from queue_server.domain.state import QueueState, Subscription


@dataclass(frozen=True)
class Notice:
    """One message to write to the outbox: what, to whom, when, under which key."""

    key: str
    kind: str
    channel: str
    contact: str  # phone as 0xxxxxxxxx, or an e-mail address
    lang: str
    params: dict[str, str]
    day: str  # the business day it belongs to: purged with that day's personal data
    not_before: float
    booking: str | None = None
    ticket_id: int | None = None


@dataclass
class Notices:
    new: list[Notice] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # keys of scheduled ones not wanted now


def reminder_keys(code: str) -> list[str]:
    return [f"reminder_day:{code}", f"reminder_hour:{code}"]


def notices(
    events: Iterable[e.Event],
    state: QueueState,
    config: SiteConfig,
    now: float,
    near_sent: Container[int] = (),
    reminders: Reminders | None = None,
) -> Notices:
    """The messages a batch of events causes (`near_sent`: tickets already told); a
    booking made is planned in `reminders`."""
    out = Notices()
    if not config.messaging.enabled:
        return out
    touched: set[str] = set()  # services whose queue moved
    subscribed: set[int] = set()
    # No one asked to hear about a ticket: its moves tell no one (the common case of a
    # burst of issuing, on the writer's path).
    watching = bool(state.subscriptions)
    for event in events:
        # The most frequent events first: moves of a queue that concern no one by themselves.
        if isinstance(event, e.TicketIssued | e.TicketNoShow | e.TicketVoided | e.TicketExpired):
            # A ticket not found is of a day already closed (the batch spans the reset).
            if watching and (moved := state.tickets.get(event.ticket_id)) is not None:
                touched.add(moved.service)
            continue
        if isinstance(event, e.BookingMade):
            _booking_made(out, state, config, event, now, reminders)
        elif isinstance(event, e.BookingCancelled | e.BookingCheckedIn):
            out.withdrawn += reminder_keys(event.code)
            booking = state.bookings.get(event.code)
            if isinstance(event, e.BookingCancelled) and event.by_centre and booking is not None:
                params = _booking_params(config, booking) | {"reason": event.reason}
                _to_booking(out, config, booking, "booking_cancelled", now, params)
        elif isinstance(event, e.TicketSubscribed):
            subscribed.add(event.ticket_id)
        elif watching and isinstance(event, e.TicketCalled | e.TicketFinished):
            ticket = state.tickets.get(event.ticket_id)
            if ticket is None:  # of a day already closed (the batch spans the day reset)
                continue
            touched.add(ticket.service)
            sub = state.subscriptions.get(event.ticket_id)
            if sub is None:
                continue
            if isinstance(event, e.TicketCalled) and not event.recall:
                params = {"number": ticket.number, "counter": str(event.counter)}
                counter = config.counters.get(event.counter)
                zone = counter and (counter.zone_en if sub.lang == "en" else counter.zone)
                if zone:  # "… đến quầy số 5, Khu A": as the hall's caption says it
                    params["zone"] = zone
                _to_ticket(out, config, state, sub, "called", params, f":{event.counter}")
            elif isinstance(event, e.TicketFinished) and config.messaging.public_url:
                path = "/en/rating/" if sub.lang == "en" else "/danh-gia/"
                link = config.messaging.public_url + path + ticket.public_id
                _to_ticket(
                    out, config, state, sub, "rate_link", {"number": ticket.number, "link": link}
                )
        elif isinstance(event, e.TicketTransferred):
            touched.add(event.from_service)
    for sub in state.subscriptions.values():
        if sub.ticket_id in near_sent:
            continue
        ticket = state.tickets[sub.ticket_id]
        if ticket.status is not TicketStatus.WAITING:
            continue
        if sub.ticket_id not in subscribed and ticket.service not in touched:
            continue
        ahead = state.ahead(ticket)
        if ahead <= sub.ahead:
            params = {"number": ticket.number, "ahead": str(ahead)}
            _to_ticket(out, config, state, sub, "near", params)
    return out


def _booking_made(
    out: Notices,
    state: QueueState,
    config: SiteConfig,
    event: e.BookingMade,
    now: float,
    reminders: Reminders | None,
) -> None:
    booking = state.bookings.get(event.code)
    if booking is None or not booking.messages:  # the citizen did not ask for them
        return
    link = ""
    if config.messaging.public_url and event.cancel_key:
        link = f"{config.messaging.public_url}/dat-lich/huy/{event.code}#k={event.cancel_key}"
    params = _booking_params(config, booking)
    _to_booking(out, config, booking, "booking_made", now, params | {"cancel_link": link})
    if reminders is not None:
        reminders.plan(booking, config.messaging)


def _reminder_times(booking: Booking, policy: MessagingConfig) -> list[tuple[float, str]]:
    """When a booking's reminders fall due: those that fall after it was made."""
    return [
        (booking.slot_at - before, kind)
        for kind, before in (
            ("reminder_day", policy.reminder_day_hours * 3600),
            ("reminder_hour", policy.reminder_hour_minutes * 60),
        )
        if booking.slot_at - before > booking.created_at
    ]


class Reminders:
    """The reminders not yet due, earliest first; `due` turns those due into notices.

    Rebuilt from the bookings at the first batch, at a new day and after a change of
    configuration (its reminder times may have changed); a booking made in between is
    `plan`ned. Held in memory only: after a restart the bookings rebuild it, and a
    reminder written before the restart is not written twice (its outbox key).
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, str, str]] = []  # (when, code, kind)
        self.built = False

    def rebuild(self, state: QueueState, config: SiteConfig) -> None:
        self._due = [
            (at, booking.code, kind)
            for booking in state.bookings.by_code.values()
            if booking.messages and booking.status is BookingStatus.ACTIVE
            for at, kind in _reminder_times(booking, config.messaging)
        ]
        heapq.heapify(self._due)
        self.built = True

    def forget(self) -> None:
        """Rebuild at the next batch (the state was reloaded: a batch that wrote some
        reminders may not have become durable)."""
        self.built = False

    def plan(self, booking: Booking, policy: MessagingConfig) -> None:
        for at, kind in _reminder_times(booking, policy):
            heapq.heappush(self._due, (at, booking.code, kind))

    def next_due(self) -> float:
        """When the next reminder falls due (-inf: not built yet, a batch should build it)."""
        if not self.built:
            return -math.inf
        return self._due[0][0] if self._due else math.inf

    def due(self, state: QueueState, config: SiteConfig, now: float) -> Notices:
        """The reminders due at `now`, for bookings that still stand and are still ahead.

        The day-before one is dropped when it comes on a later date than it fell due (the
        server was down at its time: its "ngày mai" would be wrong) or once the hour-before
        one is due: one reminder, not two at once."""
        out = Notices()
        hour_before = config.messaging.reminder_hour_minutes * 60
        while self._due and self._due[0][0] <= now:
            at, code, kind = heapq.heappop(self._due)
            booking = state.bookings.get(code)
            if (
                booking is None
                or not booking.messages
                or booking.status is not BookingStatus.ACTIVE
                or booking.slot_at <= now
            ):
                continue
            if kind == "reminder_day" and (
                now >= booking.slot_at - hour_before
                or local_time(config.site, now).date() != local_time(config.site, at).date()
            ):
                continue
            _to_booking(out, config, booking, kind, now, _booking_params(config, booking))
        return out


def _booking_params(config: SiteConfig, booking: Booking) -> dict[str, str]:
    date, time = _slot_words(booking.slot_at, config.site.timezone)
    return {
        "code": booking.code,
        "service": config.services[booking.service].name,
        "date": date,
        "time": time,
        "place": config.site.name,
    }


@functools.lru_cache(maxsize=4096)  # many bookings share a slot: on the writer's path
def _slot_words(slot_at: float, timezone: str) -> tuple[str, str]:
    """A slot's local date and time as the messages write them: ("29/05/2026", "09:00")."""
    local = dt.datetime.fromtimestamp(slot_at, ZoneInfo(timezone))
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M")


def _to_booking(
    out: Notices,
    config: SiteConfig,
    booking: Booking,
    kind: str,
    at: float,
    params: dict[str, str],
) -> None:
    channel = config.messaging.channel_for(kind, "phone")
    if channel is None or not booking.phone:
        return
    out.new.append(
        Notice(
            key=f"{kind}:{booking.code}",
            kind=kind,
            channel=channel,
            contact=booking.phone,
            lang="vi",  # the booking form does not ask for a language
            params=params,
            day=booking.day,
            not_before=at,
            booking=booking.code,
        )
    )


def _to_ticket(
    out: Notices,
    config: SiteConfig,
    state: QueueState,
    sub: Subscription,
    kind: str,
    params: dict[str, str],
    key_suffix: str = "",
) -> None:
    channel = config.messaging.channel_for(kind, "phone")
    if channel is None or not sub.phone:
        return
    ticket = state.tickets[sub.ticket_id]
    out.new.append(
        Notice(
            key=f"{kind}:{ticket.day}:{ticket.id}{key_suffix}",
            kind=kind,
            channel=channel,
            contact=sub.phone,
            lang=sub.lang,
            params=params,
            day=ticket.day,
            not_before=0.0,
            ticket_id=ticket.id,
        )
    )
