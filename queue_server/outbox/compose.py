"""The writer's outbox hook: a batch's events → outbox rows, in the batch's transaction.

`Composer` is installed as `Engine.outbox_hook`. It asks the pure rules
(`domain.notify`) which messages the events cause and returns the rows the store
writes with the events, so a message exists exactly when the event that caused it is
durable. It runs on the writer's path: no I/O, and no rendering — a row carries its
template key (`kind`) and parameters; the text (and an e-mail's subject) is rendered
when the message is sent or shown (`render`), so the durable commit that issuing
waits on carries fewer bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from queue_protocol.codec import dumps_text
from queue_server.core.store import Durable
from queue_server.domain import notify
from queue_server.domain.config import SiteConfig
from queue_server.domain.events import ConfigChanged, DayStarted, Event
from queue_server.domain.state import QueueState
from queue_server.outbox import render
from queue_server.outbox.channels.webhook import international

# What `booking.normalize_phone` leaves: written as 84xxxxxxxxx without its regex work.
_LOCAL_MOBILE = re.compile(r"0[35789]\d{8}")


class Composer:
    """Turns notices into outbox rows; remembers which tickets were told "near"."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.near_sent: set[int] = set()  # a restart forgets: the outbox's unique key does not
        self.reminders = notify.Reminders()  # rebuilt from the bookings at the first batch

    def __call__(self, events: list[Event], state: QueueState, now: float) -> Durable:
        """The rows of a batch: what its events cause, and the reminders due by now (a
        batch without events is the writer's `Tick`)."""
        self.config = state.config  # the one in force: it changes live (/quan-tri)
        turns = [ev for ev in events if isinstance(ev, DayStarted | ConfigChanged)]
        if any(isinstance(ev, DayStarted) for ev in turns):
            self.near_sent.clear()
        found = (
            notify.notices(events, state, self.config, now, self.near_sent, self.reminders)
            if events
            else notify.Notices()
        )
        if turns or not self.reminders.built:  # a change may move the reminders' times
            self.reminders.rebuild(state, self.config)  # (bookings just made among them)
        if self.reminders.next_due() <= now:
            found.new += self.reminders.due(state, self.config, now).new
        rows = []
        # A booking's reminders share its parameters: each dumped once a batch.
        dumped: dict[int, str] = {}
        for notice in found.new:
            if notice.kind == "near" and notice.ticket_id is not None:
                self.near_sent.add(notice.ticket_id)
            rows.append(self.row(notice, now, dumped))
        return Durable(outbox=rows, withdrawn=found.withdrawn)

    def row(self, notice: notify.Notice, now: float, dumped: dict[int, str] | None = None) -> tuple:
        """The outbox row (`store.OUTBOX_COLUMNS`) of one notice: no text, no subject
        (rendered at send time from `kind`, `lang` and `params`). `dumped`: parameters
        already serialised, by the id of their dict (alive for the batch)."""
        to = notice.contact
        if "@" not in to:  # as booked or signed up: 0xxxxxxxxx, checked already
            to = "84" + to[1:] if _LOCAL_MOBILE.fullmatch(to) else international(to)
        params = dumped.get(id(notice.params)) if dumped is not None else None
        if params is None:
            params = dumps_text(notice.params)
            if dumped is not None:
                dumped[id(notice.params)] = params
        return (
            notice.key,
            notice.channel,
            notice.kind,
            to,
            notice.lang,
            None,
            None,
            params,
            notice.day,
            notice.booking,
            notice.ticket_id,
            now,
            max(notice.not_before, now),
        )

    def text(self, channel: str, text_id: str, lang: str, params: Mapping[str, Any]) -> str:
        """A catalogue text as `channel` sends it (SMS folded when the site says so)."""
        return render.text(self.config.messaging, channel, text_id, lang, params)
