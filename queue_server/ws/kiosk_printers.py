"""Tells the officers concerned when a kiosk cannot print, and when it can again (issue 12).

On a printer's change (`ws/requests.py` `device_status`), when a kiosk's `offline`
alert is raised or cleared and when the configuration changes (the writer's batches:
`printer_feed`), each counter connection whose services the kiosk issues tickets for
gets its whole list again (`kiosk_printers`, `domain/kiosk_printers.py`): an empty
list clears the line, and a console that reconnects gets the same list in its welcome.
"""

from __future__ import annotations

from collections.abc import Callable

from queue_protocol.messages import encode
from queue_server.core.context import ServerContext
from queue_server.domain import events as e
from queue_server.domain.kiosk_printers import concerns, silent, stopped_for
from queue_server.domain.state import QueueState


def tell_counters(ctx: ServerContext, device: str | None) -> None:
    """Kiosk `device`'s printer changed: every console it concerns gets its list (every
    console when `device` is None: the configuration changed)."""
    config = ctx.state.config
    for conn in ctx.hub.counters():
        number = conn.counter
        if number is None or (device is not None and not concerns(config, device, number)):
            continue
        quiet = silent(ctx.state.alerts.open_alerts())
        kiosks = stopped_for(config, ctx.devices, number, quiet)
        ctx.hub.send(conn, encode({"type": "kiosk_printers", "counter": number, "kiosks": kiosks}))


def printer_feed(
    ctx: ServerContext,
) -> Callable[[list[e.Event], QueueState], Callable[[], None] | None]:
    """An engine subscriber: a kiosk's `offline` alert raised or cleared tells the
    consoles it concerns, a configuration change every console, once the batch is
    durable."""

    def on_batch(events: list[e.Event], state: QueueState) -> Callable[[], None] | None:
        devices: set[str | None] = set()
        for ev in events:
            if isinstance(ev, e.ConfigChanged):  # places, services, counters may differ
                devices.add(None)
            elif isinstance(ev, e.AlertRaised) and ev.kind == "offline":
                devices.add(ev.subject)
            elif isinstance(ev, e.AlertCleared):
                alert = state.alerts.all.get(ev.alert_id)
                if alert is not None and alert.kind == "offline":
                    devices.add(alert.subject)
        if not devices or not ctx.hub.counters():
            return None

        def tell() -> None:
            if None in devices:
                tell_counters(ctx, None)
                return
            for device in sorted(d for d in devices if d is not None):
                tell_counters(ctx, device)

        return tell

    return on_batch
