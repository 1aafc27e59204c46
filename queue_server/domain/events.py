"""What happened: every change to the queue is one of these, stored in the event log.

Events carry everything needed to replay them (`QueueState.apply`) and to derive
figures later: the time, the actor (a device id or an officer's username), the
counter and the reason where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    at: float  # seconds since the epoch, UTC
    actor: str

    def to_dict(self) -> dict[str, Any]:
        # every field is a plain value: no need for asdict's deep copy (10× slower);
        # __dict__ holds exactly the fields, in their order
        return {"type": self.type, **self.__dict__}


@dataclass(frozen=True, kw_only=True)
class DayStarted(Event):
    type = "day_started"
    day: str  # the business day, ISO date in the site's time zone
    next_ticket_id: int


@dataclass(frozen=True, kw_only=True)
class TicketIssued(Event):
    type = "ticket_issued"
    ticket_id: int
    public_id: str
    number: str
    seq: int  # position in the service's series today, from 1
    service: str
    priority: str | None
    request_id: str | None
    effective_at: float | None = None  # its time in the queue, if not `at`: a booked slot
    booking: str | None = None  # the booking code it was checked in with


@dataclass(frozen=True, kw_only=True)
class TicketCalled(Event):
    type = "ticket_called"
    ticket_id: int
    counter: int
    recall: bool


@dataclass(frozen=True, kw_only=True)
class TicketFinished(Event):
    type = "ticket_finished"
    ticket_id: int
    counter: int
    outcome: str


@dataclass(frozen=True, kw_only=True)
class TicketNoShow(Event):
    type = "ticket_no_show"
    ticket_id: int
    counter: int


@dataclass(frozen=True, kw_only=True)
class TicketTransferred(Event):
    type = "ticket_transferred"
    ticket_id: int
    counter: int
    from_service: str
    to_service: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TicketRequeued(Event):
    """A no-show back in the queue; `effective_at` is its place (original time or now)."""

    type = "ticket_requeued"
    ticket_id: int
    counter: int
    effective_at: float


@dataclass(frozen=True, kw_only=True)
class TicketHeld(Event):
    type = "ticket_held"
    ticket_id: int
    counter: int


@dataclass(frozen=True, kw_only=True)
class TicketResumed(Event):
    type = "ticket_resumed"
    ticket_id: int
    counter: int


@dataclass(frozen=True, kw_only=True)
class TicketVoided(Event):
    type = "ticket_voided"
    ticket_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class TicketExpired(Event):
    type = "ticket_expired"
    ticket_id: int


@dataclass(frozen=True, kw_only=True)
class TicketRated(Event):
    """A citizen's satisfaction, anonymous: tied to the service, not to a person."""

    type = "ticket_rated"
    ticket_id: int
    counter: int
    rating: str


@dataclass(frozen=True, kw_only=True)
class CounterOpened(Event):
    type = "counter_opened"
    counter: int
    officer: str
    officer_name: str = ""  # the full name at the time (older logs have none)


@dataclass(frozen=True, kw_only=True)
class CounterClosed(Event):
    type = "counter_closed"
    counter: int


@dataclass(frozen=True, kw_only=True)
class CounterPaused(Event):
    type = "counter_paused"
    counter: int
    reason: str
    back_at: float | None = None  # when the counter means to serve again, if known


@dataclass(frozen=True, kw_only=True)
class CounterResumed(Event):
    type = "counter_resumed"
    counter: int


BOOKING_PRIVATE_FIELDS = ("name", "phone", "cccd", "cancel_hash", "cancel_key")


@dataclass(frozen=True, kw_only=True)
class BookingMade(Event):
    """A place booked online; the citizen accepted notice `notice_version` at `at`.

    The personal fields go to the bookings table (which is purged), never to the
    event log: `to_dict` leaves them out, and a replayed event has them empty.
    """

    type = "booking_made"
    code: str
    service: str
    day: str
    slot_at: float
    notice_version: str
    name: str | None = None
    phone: str | None = None
    cccd: str | None = None
    cancel_hash: str = ""
    cancel_key: str = ""  # only for the confirmation message's cancel link; stored nowhere
    messages: bool = False  # consent to the confirmation and reminders by message

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        for name in BOOKING_PRIVATE_FIELDS:
            del data[name]
        return data


@dataclass(frozen=True, kw_only=True)
class BookingCancelled(Event):
    type = "booking_cancelled"
    code: str
    by_centre: bool = False  # the centre cancelled it (a service closed that day): tell them
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketSubscribed(Event):
    """A citizen asked to be told by message when their turn nears (consent recorded at
    `at`). The phone goes to the subscriptions table (purged), never to the event log."""

    type = "ticket_subscribed"
    ticket_id: int
    ahead: int  # "còn N người trước Ông/Bà" once the people ahead are this few
    lang: str
    phone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        del data["phone"]
        return data


@dataclass(frozen=True, kw_only=True)
class BookingCheckedIn(Event):
    type = "booking_checked_in"
    code: str
    ticket_id: int
    late: bool  # after the check-in window: an ordinary ticket


@dataclass(frozen=True, kw_only=True)
class BookingReopened(Event):
    """The ticket a booking was checked in for was voided (never printed): the code works again."""

    type = "booking_reopened"
    code: str
    ticket_id: int


@dataclass(frozen=True, kw_only=True)
class AlertRaised(Event):
    """A condition a supervisor must see (`domain/alerts.py`): raised once per `key`
    while it holds."""

    type = "alert_raised"
    alert_id: int
    key: str  # what it is about: "printer:kiosk-1", "long_pause:3"
    kind: str
    subject: str  # a service id, a counter number or a device id
    detail: str


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(Event):
    """A named supervisor (the actor) has taken the alert in hand."""

    type = "alert_acknowledged"
    alert_id: int


@dataclass(frozen=True, kw_only=True)
class AlertCleared(Event):
    type = "alert_cleared"
    alert_id: int


@dataclass(frozen=True, kw_only=True)
class ServiceClosedForDay(Event):
    """A supervisor stops issuing numbers for a service for the rest of the day."""

    type = "service_closed_for_day"
    service: str


@dataclass(frozen=True, kw_only=True)
class ServiceReopened(Event):
    type = "service_reopened"
    service: str


@dataclass(frozen=True, kw_only=True)
class ServiceSuggested(Event):
    """A supervisor asks a counter to also serve `service` for now ("" withdraws it);
    it ends when the counter closes."""

    type = "service_suggested"
    counter: int
    service: str


@dataclass(frozen=True, kw_only=True)
class AlertLimitsChanged(Event):
    """A supervisor changed thresholds for the rest of the day (`[alerts]` again tomorrow)."""

    type = "alert_limits_changed"
    longest_wait_minutes: float
    waiting_count: int
    device_offline_seconds: float


@dataclass(frozen=True, kw_only=True)
class DossierReceived(Event):
    """A counter received a dossier while serving `ticket_id` (issue 16): the report
    tells the service time per procedure from it."""

    type = "dossier_received"
    counter: int
    ticket_id: int | None  # None: received with no ticket being served
    procedure: str  # the procedure's code in the catalogue
    dossier: str  # the dossier's code


@dataclass(frozen=True, kw_only=True)
class ConfigChanged(Event):
    """A new configuration version is in force from now (`core/configbook.py` keeps the
    versions; the state is handed each one it replays in `QueueState.known_configs`)."""

    type = "config_changed"
    version: int
    previous: int


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        DayStarted,
        TicketIssued,
        TicketCalled,
        TicketFinished,
        TicketNoShow,
        TicketTransferred,
        TicketVoided,
        TicketExpired,
        TicketRated,
        CounterOpened,
        CounterClosed,
        CounterPaused,
        CounterResumed,
        BookingMade,
        BookingCancelled,
        BookingCheckedIn,
        BookingReopened,
        AlertRaised,
        AlertAcknowledged,
        AlertCleared,
        ServiceClosedForDay,
        ServiceReopened,
        ServiceSuggested,
        AlertLimitsChanged,
        TicketSubscribed,
        TicketRequeued,
        TicketHeld,
        TicketResumed,
        DossierReceived,
        ConfigChanged,
    )
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The inverse of `Event.to_dict`, for replaying the stored log."""
    fields = dict(data)
    cls = EVENT_TYPES[fields.pop("type")]
    return cls(**fields)
