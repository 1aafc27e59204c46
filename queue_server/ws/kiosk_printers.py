"""Tells the officers concerned when a kiosk's printer stops or prints again (issue 12).

Each counter connection whose services the kiosk issues tickets for gets its whole
list again (`kiosk_printers`, `domain/kiosk_printers.py`): an empty list clears the
line, and a console that reconnects gets the same list in its welcome.
"""

from __future__ import annotations

from queue_protocol.messages import encode
from queue_server.core.context import ServerContext
from queue_server.domain.kiosk_printers import concerns, stopped_for


def tell_counters(ctx: ServerContext, device: str) -> None:
    """Kiosk `device`'s printer changed: every console it concerns gets its list."""
    config = ctx.state.config
    for conn in ctx.hub.counters():
        number = conn.counter
        if number is None or not concerns(config, device, number):
            continue
        kiosks = stopped_for(config, ctx.devices, number)
        ctx.hub.send(conn, encode({"type": "kiosk_printers", "counter": number, "kiosks": kiosks}))
