"""The websocket `search` request (kiosk, public): services and procedures for what a
citizen typed, from the site's one search (`domain/search.py`)."""

from __future__ import annotations

from typing import Any

from queue_server.core.context import ServerContext
from queue_server.domain.search import check_query, clamp_limit, found_view


class LookupDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def search(self, _conn: object, fields: dict[str, Any]) -> dict[str, Any]:
        """`{"type": "search", "query": "khai sinh", "limit": 10}` → services and
        procedures (their guides), best first."""
        query, limit = check_query(fields["query"]), clamp_limit(fields.get("limit"))
        return found_view((await self.ctx.site_search()).find(query, limit), self.ctx.config)
