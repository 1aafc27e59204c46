"""What a site sends the province server, and what the province server accepts: pure.

A batch is a JSON object:

| field | what |
|---|---|
| `schema` | the event format's version (`SCHEMA_VERSION`); an unknown one is refused |
| `site` | the site's id at the province server (its token must match) |
| `after` | the last event id the site believes the centre stored; the batch follows it |
| `events` | `[id, day, at, type, data]` in log order, ids rising; `data` the stored JSON |
| `head`, `head_at` | the site's newest event id and its time: the lag |
| `sent_at` | the site's clock when sending: the skew |
| `meta` | (optional) names and rating scale of the site, from its configuration |

An empty `events` is a heartbeat: the site is online and says where its log stands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.domain.config import SiteConfig
from queue_server.domain.events import EVENT_TYPES
from queue_server.domain.report import satisfied_ratings

SCHEMA_VERSION = 1
KNOWN_SCHEMAS = frozenset({1})
MAX_EVENTS = 5000  # per batch: a few hundred kB of JSON


@dataclass(frozen=True)
class Batch:
    site: str
    schema: int
    after: int
    head: int
    head_at: float | None
    sent_at: float
    events: list[tuple[int, dt.date, float, str, str]]
    meta: dict[str, Any] | None = None


def _number(body: dict[str, Any], key: str, kind: type = int) -> Any:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise QueueError("bad_request", f"{key}: a number")
    return value


def parse_batch(body: dict[str, Any], known: frozenset[int] = KNOWN_SCHEMAS) -> Batch:
    """The batch `body` describes, or a `QueueError` saying what is wrong with it."""
    schema = body.get("schema")
    if schema not in known:
        raise QueueError(
            "unsupported_schema",
            f"schema {schema!r} is not one of {sorted(known)}: upgrade the province server",
        )
    site = body.get("site")
    if not isinstance(site, str) or not site:
        raise QueueError("bad_request", "site: the site's id")
    after, head = _number(body, "after"), _number(body, "head")
    sent_at = float(_number(body, "sent_at", float))
    head_at = body.get("head_at")
    if head_at is not None:
        head_at = float(_number(body, "head_at", float))
    raw = body.get("events")
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS:
        raise QueueError("bad_request", f"events: a list of at most {MAX_EVENTS}")
    events, previous = [], after
    for item in raw:
        if not (isinstance(item, list) and len(item) == 5):
            raise QueueError("bad_request", "events: [id, day, at, type, data] each")
        event_id, day, at, kind, data = item
        if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id <= previous:
            raise QueueError("bad_request", f"event ids must rise after {previous}")
        if kind not in EVENT_TYPES:
            raise QueueError(
                "unsupported_schema", f"event type {kind!r} is unknown in schema {schema}"
            )
        try:
            day = dt.date.fromisoformat(day)
        except (TypeError, ValueError):
            raise QueueError("bad_request", f"event {event_id}: day YYYY-MM-DD") from None
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not isinstance(data, str):
            raise QueueError("bad_request", f"event {event_id}: at a number, data JSON text")
        events.append((event_id, day, float(at), kind, data))
        previous = event_id
    meta = body.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise QueueError("bad_request", "meta: an object")
    return Batch(site, schema, after, head, head_at, sent_at, events, meta)


def site_meta(config: SiteConfig) -> dict[str, Any]:
    """What the province server needs of a site's configuration: names, time zone, and
    which ratings count as satisfied (the site report's own rule)."""
    return {
        "name": config.site.name,
        "name_en": config.site.name_en,
        "timezone": config.site.timezone,
        "services": {k: {"name": v.name, "name_en": v.name_en} for k, v in config.services.items()},
        "counters": {str(k): v.name for k, v in config.counters.items()},
        "procedures": {  # issue 17: the report by procedure
            k: {"name": v.name, "name_en": v.name_en} for k, v in config.procedures.items()
        },
        "satisfied": sorted(satisfied_ratings(config)),
    }
