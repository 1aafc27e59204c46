"""The websocket `search` request (kiosk, public): services and procedures for what a
citizen typed, from the site's one search (`domain/search.py`)."""

from __future__ import annotations

from typing import Any

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.domain.search import found_view

MAX_QUERY = 200
MAX_LIMIT = 50


def clamp_limit(value: Any, default: int = 20) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QueueError("bad_request", "limit must be a whole number from 1")
    return min(value, MAX_LIMIT)


def check_query(query: str) -> str:
    if len(query) > MAX_QUERY:
        raise QueueError("bad_request", f"the query is longer than {MAX_QUERY} characters")
    return query


class LookupDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def search(self, _conn: object, fields: dict[str, Any]) -> dict[str, Any]:
        """`{"type": "search", "query": "khai sinh", "limit": 10}` → services and
        procedures (their guides), best first."""
        query, limit = check_query(fields["query"]), clamp_limit(fields.get("limit"))
        return found_view(self.ctx.search.find(query, limit), self.ctx.config)
