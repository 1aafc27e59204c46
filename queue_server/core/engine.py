"""The single writer: one task owns the domain state; the store's thread owns the disk.

Commands queue up; the writer takes everything that has queued (a batch), runs
each command through the domain and hands the batch's events to the store, whose
thread commits every batch queued meanwhile in one transaction (group commit);
the writer goes straight on with the next batch. Only once a batch is durable are
its callers answered and its events published, in order. A refused command
changes nothing and does not spoil the rest of its batch.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from queue_protocol.errors import QueueError
from queue_server.core.configbook import config_of
from queue_server.core.logsummary import summarised
from queue_server.core.store import Durable, Store
from queue_server.domain import commands as c
from queue_server.domain.booking import Booking
from queue_server.domain.config import SiteConfig
from queue_server.domain.eta import rounded
from queue_server.domain.events import ConfigChanged, DayStarted, Event, TicketSubscribed
from queue_server.domain.hours import business_day, next_reset
from queue_server.domain.state import CounterState, QueueState, Ticket

log = summarised(logging.getLogger(__name__))

MAX_BATCH = 2000
# After the first command of a batch, the writer waits this long for more when it is
# busy: a batch of 20 costs little more than a batch of 2.
BATCH_WINDOW = 0.001
BUSY_BATCH = 4  # commands in a batch that make the writer wait for the next one
RELOAD_RETRY_SECONDS = 1.0  # after a failed commit, between attempts to reload the state


@dataclass(frozen=True)
class Outcome:
    """What a command did: its events and the ticket it concerned (a snapshot), if any."""

    events: list[Event]
    ticket: dict | None = None


@dataclass
class _Pending:
    command: c.Command
    future: asyncio.Future = field(repr=False)


@dataclass
class _Applied:
    """A batch run through the domain, waiting for its commit."""

    batch: list[_Pending]
    results: list[Outcome | QueueError] = field(default_factory=list)
    logged: list[tuple[str, Event]] = field(default_factory=list)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    counters: dict[int, CounterState] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)
    deliveries: list[Callable[[], None]] = field(default_factory=list)
    extra: Durable = field(default_factory=Durable)  # outbox rows, subscriptions


# Called with a batch's events and the state they produced, before the commit; returns
# what to do once the batch is durable (send messages), or None.
Subscriber = Callable[[list[Event], QueueState], Callable[[], None] | None]
# Called with a batch's events, the state they produced and the time, before the commit;
# returns the messages to citizens they cause, written in the same transaction.
OutboxHook = Callable[[list[Event], QueueState, float], Durable]


class Engine:
    """Runs commands against the queue, durably, one batch at a time."""

    def __init__(
        self,
        config: SiteConfig,
        store: Store,
        *,
        enforce_hours: bool = True,
        clock: Callable[[], float] = time.time,
        reset_check_seconds: float = 60,
    ) -> None:
        self.config = config
        self.reset_check_seconds = reset_check_seconds
        self.store = store
        self.clock = clock
        self.enforce_hours = enforce_hours
        self.state = QueueState(config, enforce_hours=enforce_hours)
        self.batch_observers: list[Callable[[int], None]] = []  # metrics, benchmarks
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._subscribers: list[Subscriber] = []
        self._tasks: list[asyncio.Task] = []
        self._random = b""
        self._reloading = False  # from a failed commit until the state is rebuilt
        self._after_reload: list[Callable[[], None]] = []
        # Called after the state was rebuilt from the disk: snapshots handed out since
        # the lost batch may show what never became durable.
        self.reload_observers: list[Callable[[], None]] = []
        self.outbox_hook: OutboxHook | None = None
        self._committing = 0  # batches handed to the store, not yet durable (or refused)
        # Told once a batch that wrote outbox rows is durable (the sender wakes up).
        self.outbox_observers: list[Callable[[], None]] = []

    # ----- life cycle ------------------------------------------------------

    async def start(self) -> None:
        await self._load()
        self.store.failure_observers.append(self._commit_failed)
        self._tasks = [
            asyncio.create_task(self._writer(), name="queue-writer"),
            asyncio.create_task(self._daily_reset(), name="daily-reset"),
        ]
        await self.submit(c.StartDay(actor="system", day=self.today()))

    async def stop(self) -> None:
        if self._commit_failed in self.store.failure_observers:
            self.store.failure_observers.remove(self._commit_failed)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while not self._queue.empty():
            self._queue.get_nowait().future.set_exception(QueueError("unavailable"))

    async def _load(self) -> None:
        events, next_id = await self.store.load_day()
        configs, first = await self._configs_of_day(events)
        self.state = QueueState(
            configs[first], next_ticket_id=next_id, enforce_hours=self.enforce_hours
        )
        self.state.known_configs, self.state.config_version = configs, first
        yesterday = dt.date.fromisoformat(self.today()) - dt.timedelta(days=1)
        for booking in await self.store.load_bookings(yesterday.isoformat()):
            self.state.bookings.add(booking)  # they outlive the day: not in the day's events
        for event in events:
            self.state.apply(event)
        if self.state.subscriptions and self.state.day:  # the phones are not in the log
            phones = await self.store.load_subscriptions(self.state.day)
            for sub in self.state.subscriptions.values():
                sub.phone = phones.get(sub.ticket_id)
        self.config = self.state.config
        await self.store.sync_tickets(self.state.tickets.values())
        log.info(
            "loaded day %s: %d events, next ticket id %d",
            self.state.day,
            len(events),
            self.state.next_ticket_id,
        )

    async def _configs_of_day(self, events: list[Event]) -> tuple[dict[int, SiteConfig], int]:
        """The configuration versions the day's events need, and the one it began with
        (with no version stored — an engine on its own — the one it was given)."""
        latest = await self.store.config_version()
        if latest is None:
            return {0: self.config}, 0
        changes = [ev for ev in events if isinstance(ev, ConfigChanged)]
        first = changes[0].previous if changes else latest[0]
        configs = {}
        for version in {first, *(ev.version for ev in changes)}:
            found = latest if version == latest[0] else await self.store.config_version(version)
            if found is None:
                raise RuntimeError(f"configuration version {version} is missing")
            configs[version] = config_of(found[1], version, self.config)
        return configs, first

    def today(self) -> str:
        return business_day(self.config.site, self.clock())

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber(events, state)` for every batch that changes something.

        It runs right after the batch is applied, so it sees the state those events
        made; what it returns is called once the batch is durable.
        """
        self._subscribers.append(subscriber)

    # ----- commands --------------------------------------------------------

    async def submit(self, command: c.Command) -> Outcome:
        """Run a command; returns once its effect is durable, or raises `QueueError`."""
        return await self.enqueue(command)

    def enqueue(self, command: c.Command) -> asyncio.Future[Outcome]:
        """Queue a command; the future is done once its effect is durable (or refused)."""
        if not self._tasks:
            raise QueueError("unavailable", "the writer is not running")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(command, future))
        return future

    def busy(self) -> bool:
        """Commands are waiting for the writer, or a batch for its commit: background
        work (the outbox's sender) should leave the event loop to them first."""
        return self._committing > 0 or not self._queue.empty()

    def new_public_id(self) -> str:
        """12 URL-safe characters (72 random bits), unguessable from the ticket number."""
        if len(self._random) < 9:
            self._random = secrets.token_bytes(9 * 512)  # one system call per 512 ids
        chunk, self._random = self._random[:9], self._random[9:]
        return base64.urlsafe_b64encode(chunk).decode()

    async def _writer(self) -> None:
        """Apply what has queued up, hand it to the store, go on with the next batch.

        The store writes batches in the order they come and says when each is durable;
        only then are its callers answered and its events sent (`_committed`).
        """
        busy = False
        while True:
            batch = [await self._queue.get()]
            # Under load, what arrives in the next moment joins the batch; when the last
            # batch was a lone command (a counter on a quiet morning) nothing is waited for.
            await asyncio.sleep(BATCH_WINDOW if busy else 0)
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            busy = len(batch) >= BUSY_BATCH
            applied = self._apply(batch)
            durable = self.store.commit_batch(
                applied.logged,
                applied.tickets.values(),
                applied.counters.values(),
                applied.bookings.values(),
                applied.extra,
            )
            self._committing += 1
            durable.add_done_callback(partial(self._committed, applied))

    def _apply(self, batch: list[_Pending]) -> _Applied:
        """Run a batch through the domain (no await: nothing interleaves)."""
        applied = _Applied(batch)
        if self._reloading:
            applied.results = [QueueError("unavailable") for _ in batch]
            return applied
        now = self.clock()
        for pending in batch:
            command = pending.command
            if isinstance(command, c.ApplyConfig) and command.version > self.state.config_version:
                self.state.known_configs[command.version] = command.config  # for `apply`
            try:
                events = self.state.handle(command, now)
            except QueueError as err:
                applied.results.append(err)
                continue
            except Exception:  # a bug must not kill the writer: refuse and log it
                log.exception("command %r failed", pending.command)
                applied.results.append(QueueError("internal"))
                continue
            ticket = None
            for event in events:
                self.state.apply(event)
                applied.logged.append((self.state.day or "", event))
                tid = getattr(event, "ticket_id", None)
                if tid is not None:
                    ticket = applied.tickets[tid] = self.state.tickets[tid]
                code = getattr(event, "code", None)
                if code is not None and code in self.state.bookings:
                    applied.bookings[code] = self.state.bookings.by_code[code]
                if isinstance(event, TicketSubscribed):
                    applied.extra.subscriptions.append(
                        (tid, self.state.day, event.phone, event.ahead, event.lang, event.at)
                    )
                number = getattr(event, "counter", None)
                if number is not None and not isinstance(event, DayStarted):
                    applied.counters[number] = self.state.counters[number]
                if isinstance(event, ConfigChanged) and isinstance(command, c.ApplyConfig):
                    self.config = self.state.config
                    applied.extra.config_versions.append(
                        (event.version, now, event.actor, command.note, command.document)
                    )
            applied.results.append(Outcome(events, self._snapshot(pending.command, ticket)))
        # Messages are built now, from the state these events made (or, at a `Tick`, the
        # reminders due by now); written with the batch, sent once durable.
        events = [event for _, event in applied.logged]
        ticked = not events and any(isinstance(p.command, c.Tick) for p in batch)
        if self.outbox_hook is not None and (events or ticked):
            try:
                more = self.outbox_hook(events, self.state, now)
            except Exception:  # messages must never stop the queue
                log.exception("outbox rules failed")
            else:
                applied.extra.outbox.extend(more.outbox)
                applied.extra.withdrawn.extend(more.withdrawn)
        if events:
            for prepare in self._subscribers:
                try:
                    send = prepare(events, self.state)
                except Exception:
                    log.exception("event subscriber failed")
                    continue
                if send is not None:
                    applied.deliveries.append(send)
        return applied

    def _committed(self, applied: _Applied, durable: asyncio.Future) -> None:
        """A batch is durable (or not): answer its callers, then deliver its events."""
        self._committing -= 1
        for observe in self.batch_observers:
            observe(len(applied.batch))
        error = None if durable.cancelled() else durable.exception()
        if error is None:
            self._answer(applied.batch, applied.results)
            if applied.extra.outbox:
                for wake in self.outbox_observers:
                    wake()
            for send in applied.deliveries:
                try:
                    send()
                except Exception:
                    log.exception("event delivery failed")
            return
        refused: list[Outcome | QueueError] = [QueueError("unavailable")] * len(applied.batch)
        if self._reloading:  # answer once a retry can succeed
            self._after_reload.append(partial(self._answer, applied.batch, refused))
        else:
            self._answer(applied.batch, refused)

    def _commit_failed(self, error: BaseException) -> None:
        """The store lost a transaction (told before any caller hears of it): what was
        applied since is lost too. Refuse everything until the state is rebuilt."""
        if self._reloading:
            return
        log.error("commit failed (%s); reloading the state from the database", error)
        self._reloading = True
        self._tasks.append(asyncio.create_task(self._reload(), name="queue-reload"))

    @staticmethod
    def _answer(batch: list[_Pending], results: list[Outcome | QueueError]) -> None:
        for pending, result in zip(batch, results, strict=True):
            if pending.future.done():
                continue
            if isinstance(result, QueueError):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)

    async def _reload(self) -> None:
        try:
            while True:
                try:
                    await self._load()
                    break
                except Exception:
                    # Not serving on the lost state meanwhile: a request retried with its
                    # request id would be answered from a ticket that was never written.
                    log.exception("reloading the state failed; refusing until it succeeds")
                    await asyncio.sleep(RELOAD_RETRY_SECONDS)
        finally:
            self._reloading = False
            answers, self._after_reload = self._after_reload, []
            for answer in answers:
                answer()
            for observer in self.reload_observers:
                try:
                    observer()
                except Exception:
                    log.exception("reload observer failed")

    def _snapshot(self, command: c.Command, ticket: Ticket | None) -> dict | None:
        if ticket is None and isinstance(command, c.IssueTicket | c.CheckIn) and command.request_id:
            ticket = self.state.ticket_by_request(command.request_id)  # a retry
        return None if ticket is None else ticket_view(self.state, ticket)

    async def _daily_reset(self) -> None:
        """Start a new business day at the configured local time."""
        while True:
            wait = next_reset(self.config.site, self.clock()) - self.clock()
            await asyncio.sleep(min(max(wait, 0.05), self.reset_check_seconds))
            if self.today() != self.state.day:
                try:
                    await self.submit(c.StartDay(actor="system", day=self.today()))
                except QueueError:
                    log.warning("daily reset refused; retrying")


def ticket_view(state: QueueState, ticket: Ticket) -> dict:
    """A ticket as clients see it, with its place in the queue and estimated wait."""
    ahead = state.ahead(ticket)
    view = {
        "id": ticket.id,
        "public_id": ticket.public_id,
        "number": ticket.number,
        "service": ticket.service,
        "priority": ticket.priority,
        "status": ticket.status.value,
        "counter": ticket.counter,
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "ahead": ahead,
        "outcome": ticket.outcome,
        "recalls": ticket.recalls,
    }
    waiting = ticket.status.value == "waiting"
    view["estimated_wait"] = rounded(state.wait_estimate(ticket)) if waiting else None
    view["calling"] = state.calling_note(ticket.service) if waiting else None
    return view
