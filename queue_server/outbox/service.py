"""Messaging for one server: the writer's hook, the sender, look-ups and webhooks.

The composition root opens it after the core (`open`) and closes it before the core
(`close`). With `[messaging] enabled = false` (or no section) nothing is installed:
no rows are written and nothing is sent.

It follows the configuration live (`/quan-tri`): after a `ConfigChanged` whose
`[messaging]` differs, the channel adapters are rebuilt at a safe point — the old
sender takes no more rows, what it has in a provider's hands finishes on the old
adapter and is written down, what it had only taken stays queued on disk, and then
the new sender starts on the queued rows. No message is lost or sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.domain.commands import Tick
from queue_server.domain.config import ConfigError, MessagingConfig, SiteConfig
from queue_server.domain.events import ConfigChanged, Event
from queue_server.dossiers.desk import DossierDesk
from queue_server.outbox.channels.base import Channel
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.http_sms import HttpSmsChannel
from queue_server.outbox.channels.webhook import WebhookSettings
from queue_server.outbox.compose import Composer
from queue_server.outbox.inbound import Lookups
from queue_server.outbox.sender import Sender

log = logging.getLogger(__name__)

REMINDER_LOOK_SECONDS = 1.0  # a reminder is written at most this late


class Messaging:
    """What messaging adds to a running server; `sender` is None while it is off."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.composer = Composer(ctx.config)
        self.sender: Sender | None = None
        self.lookups: Lookups | None = None
        self.dossiers: DossierDesk | None = None  # "HS <mã hồ sơ>" look-ups (issue 16)
        self.webhooks: dict[str, WebhookSettings] = {}
        self.policy: MessagingConfig | None = None  # the one the sender was built from
        self.generation = 0  # senders built so far (the first is 1): a change shows here
        self._lock = asyncio.Lock()
        self._changes: set[asyncio.Task[None]] = set()
        self._subscribed = False
        self._ticker: asyncio.Task[None] | None = None
        self._in_force: SiteConfig | None = None  # the configuration the sender last started on

    @property
    def enabled(self) -> bool:
        return self.ctx.config.messaging.enabled

    async def open(self) -> None:
        if not self._subscribed:  # a site may turn messaging on later, in /quan-tri
            self.ctx.engine.subscribe(self._on_batch)
            # A lost commit may have taken reminders with it: plan again from the bookings.
            self.ctx.engine.reload_observers.append(self.composer.reminders.forget)
            self._subscribed = True
        async with self._lock:
            await self._switch(self.ctx.config)
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._remind(), name="messaging-reminders")

    async def close(self) -> None:
        tasks = [*self._changes, *([self._ticker] if self._ticker is not None else [])]
        self._ticker = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with self._lock:
            self._unhook()
            sender, self.sender = self.sender, None
            if sender is not None:
                await sender.stop()

    def wake(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def _remind(self) -> None:
        """A `Tick` to the writer when a booking's reminder falls due: the composer writes
        it in that batch (`domain.notify.Reminders`). Looks once a second, as the sender
        looks for due rows."""
        engine, composer = self.ctx.engine, self.composer
        while True:
            await asyncio.sleep(REMINDER_LOOK_SECONDS)
            due = composer.reminders.next_due()
            if engine.outbox_hook is not composer or due > self.ctx.clock():
                continue
            try:
                await engine.submit(Tick(actor="system"))
            except QueueError as err:  # refused (the writer reloading): the next look retries
                log.warning("reminders not written now: %s", err.code)
            except Exception:  # messages must never stop: look again in a second
                log.exception("reminders not written now")

    # ----- following the configuration ----------------------------------------

    def _on_batch(self, events: list[Event], state: Any) -> Any:
        if not any(isinstance(ev, ConfigChanged) for ev in events):
            return None
        config = state.config
        return lambda: self._spawn(config)

    def _spawn(self, config: SiteConfig) -> None:
        task = asyncio.create_task(self.reconfigure(config), name="messaging-reconfigure")
        self._changes.add(task)
        task.add_done_callback(self._changes.discard)

    async def reconfigure(self, config: SiteConfig) -> None:
        """Take on `config`'s `[messaging]` if it changed (one change at a time)."""
        async with self._lock:
            if config.messaging == self.policy:
                return
            try:
                await self._switch(config)
            except ConfigError as err:  # the admin screen checks first; a file may not
                log.error("messaging channels not changed: %s", err)
            except Exception:  # a new channel did not start (its file, its port…)
                log.exception("messaging channels not changed")
                await self._restore()

    async def _restore(self) -> None:
        """After a change whose channels did not start: the ones in force before go on
        (the old sender was already retired), rather than nothing sending at all."""
        before = self._in_force
        if self.sender is not None or before is None or not before.messaging.enabled:
            return
        try:
            await self._switch(before)
        except Exception:
            log.exception("messaging stopped: the channels before the change did not start")
        else:
            log.warning("messaging goes on with the channels in force before the change")

    async def _switch(self, config: SiteConfig) -> None:
        policy = config.messaging
        channels: dict[str, Channel] = (
            build_channels(policy.channels_table, config.source) if policy.enabled else {}
        )
        old, self.sender = self.sender, None
        if old is not None:
            await old.retire()  # what is with a provider finishes on the old adapters
        self.policy = policy
        if not policy.enabled:
            self._unhook()
            self.webhooks = {}
            if old is not None:
                log.info("messaging off")
            return
        if self.lookups is None:
            self.lookups = Lookups(self.ctx, self.composer, self.wake, self.dossiers)
        self.lookups.limit.limit = policy.inbound_per_hour
        sender = Sender(
            self.ctx.store,
            channels,
            policy,
            self.ctx.metrics,
            clock=self.ctx.clock,
            busy=lambda: self.ctx.engine.busy(),  # issuing comes first
        )
        await sender.start(self.lookups.answer)
        self.sender = sender
        self.generation += 1
        self.webhooks = {
            name: ch.settings.webhook
            for name, ch in channels.items()
            if isinstance(ch, HttpSmsChannel) and ch.settings.webhook is not None
        }
        engine = self.ctx.engine
        engine.outbox_hook = self.composer
        if self.wake not in engine.outbox_observers:
            engine.outbox_observers.append(self.wake)
        sender.wake()  # what was queued before a restart, or during the change
        self._in_force = config
        log.info("messaging on: channels %s", ", ".join(channels) or "none")

    def _unhook(self) -> None:
        engine = self.ctx.engine
        engine.outbox_hook = None
        if self.wake in engine.outbox_observers:
            engine.outbox_observers.remove(self.wake)
