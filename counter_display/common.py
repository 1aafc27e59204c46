"""What every counter-side model shares, without Qt: the server binding and its clock.

A model subclasses `LiveModel`, attaches a `QueueClient`, and rebuilds itself from
every welcome (the server is the truth, also after a reconnect). Events are routed
to `on_<type>` methods. Views `subscribe` and re-render on every change.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_protocol.client import ClientError, NotConnected, QueueClient, RequestTimeout
from vntext import nfc

log = logging.getLogger(__name__)

REQUEST_TROUBLE = (ClientError, NotConnected, RequestTimeout)


def error_text(exc: BaseException) -> str:
    """The Vietnamese message of a refusal or a connection problem."""
    message = getattr(exc, "message", "") or ""
    return nfc(message or getattr(exc, "code", "") or str(exc))


class LiveModel:
    """Connection state, server clock, site and service catalogue of one client."""

    def __init__(self, client: QueueClient | None = None) -> None:
        self.client: QueueClient | None = None
        self.connection = "disconnected"
        self.ever_connected = False
        self.clock_offset = 0.0  # server clock minus ours, from the latest welcome
        self.site: dict[str, str] = {"name": "", "name_en": ""}
        self.services: dict[str, dict[str, Any]] = {}
        self.priority_groups: dict[str, dict[str, Any]] = {}
        self._listeners: list[Callable[[], None]] = []
        if client is not None:
            self.attach(client)

    # -- wiring --------------------------------------------------------------

    def attach(self, client: QueueClient) -> None:
        self.client = client
        self.connection = client.state
        client.on_state(self._on_state)
        client.on_welcome(self._on_welcome)
        client.on_event(self._on_event)

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change of the model."""
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("view %r failed to render", listener)

    def now(self) -> float:
        """The server's time now (the server clock is the one tickets are stamped with)."""
        return time.time() + self.clock_offset

    # -- from the client -----------------------------------------------------

    def _on_state(self, state: str) -> None:
        self.connection = state
        self.connection_changed(state)
        self.changed()

    def _on_welcome(self, welcome: dict[str, Any]) -> None:
        self.ever_connected = True
        self.clock_offset = float(welcome.get("server_time", time.time())) - time.time()
        self.site = welcome.get("site") or self.site
        self.services = {s["id"]: dict(s) for s in welcome.get("services", [])}
        self.priority_groups = {g["id"]: g for g in welcome.get("priority_groups", [])}
        self.apply_welcome(welcome)
        self.changed()

    def _on_event(self, event: dict[str, Any]) -> None:
        handler = getattr(self, f"on_{event.get('type')}", None)
        if handler is not None and handler(event) is not False:
            self.changed()

    # -- for subclasses ------------------------------------------------------

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        """Rebuild the whole model from a (new) welcome."""

    def connection_changed(self, state: str) -> None:
        """React to a change of the connection state (before views render)."""

    def on_config(self, event: dict[str, Any]) -> bool:
        """An administrator changed the configuration: the catalogue, then the rest."""
        self.site = event.get("site") or self.site
        self.services = {s["id"]: dict(s) for s in event.get("services", [])}
        self.priority_groups = {g["id"]: g for g in event.get("priority_groups", [])}
        self.apply_config(event)
        return True

    def apply_config(self, config: dict[str, Any]) -> None:
        """Take on what a `config` event changed of this screen (names, lists)."""

    def on_queue(self, event: dict[str, Any]) -> bool:
        for figures in event.get("services", []):
            self.services.setdefault(figures["id"], {"id": figures["id"]}).update(figures)
        return True

    # -- look-ups ------------------------------------------------------------

    def service_name(self, service_id: str | None, english: bool = False) -> str:
        service = self.services.get(service_id or "")
        if service is None:
            return service_id or ""
        return service.get("name_en" if english else "name") or service_id or ""

    def local_clock(self, at: float | None) -> str:
        """`at` (epoch seconds) as HH:MM in the site's time zone; "" when unknown."""
        if at is None:
            return ""
        try:
            zone: dt.tzinfo = ZoneInfo(self.site.get("timezone") or "Asia/Ho_Chi_Minh")
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        return dt.datetime.fromtimestamp(at, zone).strftime("%H:%M")

    def priority_name(self, group_id: str | None) -> str:
        if not group_id:
            return ""
        return (self.priority_groups.get(group_id) or {}).get("name", group_id)
