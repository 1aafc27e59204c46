"""The writer's outbox hook: a batch's events → outbox rows, in the batch's transaction.

`Composer` is installed as `Engine.outbox_hook`. It asks the pure rules
(`domain.notify`) which messages the events cause, renders each from the catalogue
and returns the rows the store writes with the events, so a message exists exactly
when the event that caused it is durable. It runs on the writer's path: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queue_protocol.codec import dumps_text
from queue_server.core.store import Durable
from queue_server.domain import notify
from queue_server.domain.config import SiteConfig
from queue_server.domain.events import DayStarted, Event
from queue_server.domain.state import QueueState
from queue_server.outbox import catalogue, sms
from queue_server.outbox.channels.webhook import international

SMS_TYPES = frozenset({"http_sms", "gsm_modem", "dryrun"})


class Composer:
    """Turns notices into outbox rows; remembers which tickets were told "near"."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.near_sent: set[int] = set()  # a restart forgets: the outbox's unique key does not

    def __call__(self, events: list[Event], state: QueueState, now: float) -> Durable:
        self.config = state.config  # the one in force: it changes live (/quan-tri)
        if any(isinstance(ev, DayStarted) for ev in events):
            self.near_sent.clear()
        found = notify.notices(events, state, self.config, now, self.near_sent)
        rows = []
        for notice in found.new:
            if notice.kind == "near" and notice.ticket_id is not None:
                self.near_sent.add(notice.ticket_id)
            rows.append(self.row(notice, now))
        return Durable(outbox=rows, withdrawn=found.withdrawn)

    def row(self, notice: notify.Notice, now: float) -> tuple:
        """The outbox row (`store.OUTBOX_COLUMNS`) of one notice."""
        text = self.text(notice.channel, notice.kind, notice.lang, notice.params)
        email = "@" in notice.contact
        return (
            notice.key,
            notice.channel,
            notice.kind,
            notice.contact if email else international(notice.contact),
            notice.lang,
            text,
            catalogue.subject(notice.kind, notice.lang, notice.params) if email else None,
            dumps_text(notice.params),
            notice.day,
            notice.booking,
            notice.ticket_id,
            now,
            max(notice.not_before, now),
        )

    def text(self, channel: str, text_id: str, lang: str, params: Mapping[str, Any]) -> str:
        """A catalogue text as `channel` sends it (SMS folded when the site says so)."""
        text = catalogue.render(text_id, lang, params)
        kind = self.config.messaging.channels_table.get(channel, {}).get("type")
        if kind in SMS_TYPES:
            text = sms.sms_text(text, self.config.messaging.unaccented)
        return text
