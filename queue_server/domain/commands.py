"""What someone asks for. A command is checked against the state and becomes events.

Time is not part of a command: the writer passes `now` with each batch, so the
domain never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: str  # device id, officer username or "system"


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


@dataclass(frozen=True, kw_only=True)
class ResumeCounter(Command):
    counter: int


@dataclass(frozen=True, kw_only=True)
class CallNext(Command):
    counter: int


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
