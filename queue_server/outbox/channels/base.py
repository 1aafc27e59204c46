"""The one interface every channel adapter implements, and what it exchanges.

The sender (queue_server.outbox.sender) knows only these names: it hands a channel
an `Outgoing`, gets a `SendResult` back, or a `TemporaryFailure` (retry later, with
backoff) or a `PermanentFailure` (never retry; the reason is kept and shown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    id: int  # outbox row id
    key: str  # idempotency key, stable across retries and restarts
    channel: str  # channel name from config: e.g. "sms", "zalo", "email", "dryrun"
    to: str  # phone as 84xxxxxxxxx, or an e-mail address
    # booking_made, reminder_day, reminder_hour, near, called, booking_cancelled,
    # rate_link, lookup_reply
    kind: str
    lang: str  # "vi" or "en"
    text: str  # rendered text, NFC
    subject: str | None = None  # e-mail
    params: Mapping[str, str] = field(default_factory=dict)  # template params (Zalo ZNS)


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None = None
    segments: int | None = None


class ChannelError(Exception):
    """A send that did not go through; `reason` is short, kept in the outbox row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(ChannelError):
    """Timeout, 5xx, modem busy or unplugged: retry later."""


class PermanentFailure(ChannelError):
    """4xx, +CMS ERROR for a bad number, invalid address: never retry."""


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender: str  # 84xxxxxxxxx
    text: str
    received_at: float


class Channel(Protocol):
    name: str
    concurrency: int  # sends at once
    rate_per_second: float  # provider rate limit

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None: ...

    async def send(self, message: Outgoing) -> SendResult: ...

    async def close(self) -> None: ...


class BatchChannel(Channel, Protocol):
    """A channel that takes many messages in one go (one file append, one request).

    The sender hands it a lane's whole batch; it answers each message on its own, in
    order: a `SendResult`, or the `ChannelError` of that message alone (one bad number
    does not fail the others). `concurrency` counts batches at once.
    """

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | ChannelError]: ...
