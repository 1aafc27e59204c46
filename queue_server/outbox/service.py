"""Messaging for one server: the writer's hook, the sender, look-ups and webhooks.

The composition root opens it after the core (`open`) and closes it before the core
(`close`). With `[messaging] enabled = false` (or no section) nothing is installed:
no rows are written and nothing is sent.
"""

from __future__ import annotations

import logging

from queue_server.core.context import ServerContext
from queue_server.dossiers.desk import DossierDesk
from queue_server.outbox.channels.base import Channel
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.http_sms import HttpSmsChannel
from queue_server.outbox.channels.webhook import WebhookSettings
from queue_server.outbox.compose import Composer
from queue_server.outbox.inbound import Lookups
from queue_server.outbox.sender import Sender

log = logging.getLogger(__name__)


class Messaging:
    """What messaging adds to a running server; `sender` is None while it is off."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.composer = Composer(ctx.config)
        self.sender: Sender | None = None
        self.lookups: Lookups | None = None
        self.dossiers: DossierDesk | None = None  # "HS <mã hồ sơ>" look-ups (issue 16)
        self.webhooks: dict[str, WebhookSettings] = {}

    @property
    def enabled(self) -> bool:
        return self.ctx.config.messaging.enabled

    async def open(self) -> None:
        policy = self.ctx.config.messaging
        if not policy.enabled:
            return
        channels: dict[str, Channel] = build_channels(policy.channels_table, self.ctx.config.source)
        sender = Sender(
            self.ctx.store,
            channels,
            policy,
            self.ctx.metrics,
            clock=self.ctx.clock,
            busy=lambda: self.ctx.engine.busy(),  # issuing comes first
        )
        self.lookups = Lookups(self.ctx, self.composer, sender.wake, self.dossiers)
        await sender.start(self.lookups.answer)
        self.sender = sender
        self.webhooks = {
            name: ch.settings.webhook
            for name, ch in channels.items()
            if isinstance(ch, HttpSmsChannel) and ch.settings.webhook is not None
        }
        engine = self.ctx.engine
        engine.outbox_hook = self.composer
        engine.outbox_observers.append(sender.wake)
        sender.wake()  # what was queued before a restart
        log.info("messaging on: channels %s", ", ".join(channels) or "none")

    async def close(self) -> None:
        if self.sender is None:
            return
        engine = self.ctx.engine
        engine.outbox_hook = None
        engine.outbox_observers.remove(self.sender.wake)
        await self.sender.stop()
        self.sender = None

    def wake(self) -> None:
        if self.sender is not None:
            self.sender.wake()
