"""What someone asks for. A command is checked against the state and becomes events.

Time is not part of a command: the writer passes `now` with each batch, so the
domain never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.domain.config import SiteConfig


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: str  # device id, officer username or "system"


@dataclass(frozen=True, kw_only=True)
class Tick(Command):
    """Time passed: the rules that fall due on the clock (a booking's reminders) run in
    this batch. Changes nothing and causes no event."""


@dataclass(frozen=True, kw_only=True)
class StartDay(Command):
    day: str


@dataclass(frozen=True, kw_only=True)
class IssueTicket(Command):
    service: str
    public_id: str  # random, chosen at the edge: the domain has no randomness
    priority: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class VoidTicket(Command):
    ticket_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class OpenCounter(Command):
    counter: int
    officer_name: str = ""  # the officer's full name, if the account has one


@dataclass(frozen=True, kw_only=True)
class CloseCounter(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class PauseCounter(Command):
    counter: int
    reason: str
    minutes: int | None = None  # the officer's "back in N minutes", if given


@dataclass(frozen=True, kw_only=True)
class ResumeCounter(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class CallNext(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class CallNumber(Command):
    """Call one ticket by its number (waiting, or passed over as a no-show), within the
    services the counter calls from; a ticket still being served is finished first."""

    counter: int
    number: str


@dataclass(frozen=True, kw_only=True)
class Requeue(Command):
    """A no-show back in the queue, at its original time or at the end (`[queue]
    no_show_return`)."""

    counter: int
    number: str


@dataclass(frozen=True, kw_only=True)
class Hold(Command):
    """Park the ticket being served at the counter (the citizen fetches a document)."""

    counter: int


@dataclass(frozen=True, kw_only=True)
class ResumeHeld(Command):
    """Serve a ticket parked at this counter again."""

    counter: int
    number: str


@dataclass(frozen=True, kw_only=True)
class Recall(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class NoShow(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class Finish(Command):
    counter: int
    outcome: str | None = None  # None: the first configured outcome


@dataclass(frozen=True, kw_only=True)
class Transfer(Command):
    counter: int
    to_service: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RateTicket(Command):
    counter: int
    number: str  # today's ticket number, as the rating pad saw it finish
    rating: str


@dataclass(frozen=True, kw_only=True)
class BookSlot(Command):
    """Book a place in a slot: checked against the slot's capacity inside the writer."""

    code: str  # random, chosen at the edge
    service: str
    day: str
    slot_at: float
    name: str
    phone: str  # already normalised to 0xxxxxxxxx
    cccd: str | None
    notice_version: str  # the purpose notice the citizen accepted
    cancel_hash: str  # SHA-256 of the cancel key given to the citizen
    cancel_key: str = ""  # the key itself, only for the confirmation message's link
    messages: bool = False  # the citizen chose the confirmation and reminders by message


@dataclass(frozen=True, kw_only=True)
class CancelBooking(Command):
    code: str
    cancel_hash: str


@dataclass(frozen=True, kw_only=True)
class CheckIn(Command):
    """A booking code at the kiosk becomes a ticket."""

    code: str
    request_id: str
    public_id: str


@dataclass(frozen=True, kw_only=True)
class RaiseAlert(Command):
    """Raise an alert for `key` unless one is open for it already."""

    key: str
    kind: str
    subject: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class AcknowledgeAlert(Command):
    alert_id: int


@dataclass(frozen=True, kw_only=True)
class ClearAlert(Command):
    """Clear the open alert for `key`, if there is one."""

    key: str


@dataclass(frozen=True, kw_only=True)
class Subscribe(Command):
    """Tell the citizen of a waiting ticket by message when their turn nears."""

    public_id: str
    phone: str  # already normalised to 0xxxxxxxxx
    ahead: int
    lang: str


@dataclass(frozen=True, kw_only=True)
class RateByLink(Command):
    """The rating link in the message after service: the same rating as the pad."""

    public_id: str
    rating: str


@dataclass(frozen=True, kw_only=True)
class CancelServiceDay(Command):
    """The centre cancels every booking of a service on a day (the service is closed)."""

    service: str
    day: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CloseServiceForDay(Command):
    service: str


@dataclass(frozen=True, kw_only=True)
class ReopenService(Command):
    service: str


@dataclass(frozen=True, kw_only=True)
class SuggestService(Command):
    counter: int
    service: str  # "": withdraw the suggestion


@dataclass(frozen=True, kw_only=True)
class SetAlertLimits(Command):
    """Thresholds for the rest of the day; None keeps the current one."""

    longest_wait_minutes: float | None = None
    waiting_count: int | None = None
    device_offline_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class LinkDossier(Command):
    """A dossier received at `counter`: linked to the ticket it is serving (issue 16)."""

    counter: int
    procedure: str
    dossier: str


@dataclass(frozen=True, kw_only=True)
class ApplyConfig(Command):
    """An administrator's new configuration (already validated), version `version`;
    `document` is its canonical text, stored with the version."""

    version: int
    config: SiteConfig
    document: str
    note: str = ""
