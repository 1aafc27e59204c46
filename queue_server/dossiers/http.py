"""The province's one-stop dossier system over HTTP (`[dossiers] source = "http"`).

`GET <url with {code}>` with the configured auth header; 200 + a JSON record (mapped
by `[dossiers.http.fields]` / `statuses`), 404 = no such dossier. A timeout, a
connection refused, a 5xx or a record that does not fit the mapping is
`dossier_unavailable` ("Vui lòng thử lại sau"), logged with its cause; the whole call
is bounded by `timeout_seconds`, so a citizen never waits on a hung system. Answers
(found and not found) are cached for `cache_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import quote

import aiohttp

from queue_protocol.errors import QueueError
from queue_server.domain.dossier_config import HttpSource
from queue_server.domain.dossiers import BadRecord, Dossier, from_record

log = logging.getLogger(__name__)
_CACHE_SIZE = 2048


class HttpDossiers:
    """`DossierLookup` over the province system."""

    def __init__(self, source: HttpSource, clock: Callable[[], float] = time.monotonic) -> None:
        self.source, self.clock = source, clock
        self._session: aiohttp.ClientSession | None = None
        self._cache: OrderedDict[str, tuple[float, Dossier | None]] = OrderedDict()
        self.requests = 0  # calls that went to the province system (not the cache)

    async def find(self, code: str) -> Dossier | None:
        cached = self._cache.get(code)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        dossier = await self._fetch(code)
        self._cache[code] = (self.clock() + self.source.cache_seconds, dossier)
        self._cache.move_to_end(code)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return dossier

    async def _fetch(self, code: str) -> Dossier | None:
        src = self.source
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {src.auth_header: src.auth_value} if src.auth_header else {}
        url = src.url.replace("{code}", quote(code, safe=""))
        self.requests += 1
        try:
            async with asyncio.timeout(src.timeout_seconds):
                async with self._session.get(url, headers=headers) as resp:
                    if resp.status == 404:
                        return None
                    if resp.status != 200:
                        raise _Unavailable(f"HTTP {resp.status}")
                    record = await resp.json(content_type=None)
        except TimeoutError:
            _unavailable(code, f"no answer within {src.timeout_seconds:g} s")
        except (aiohttp.ClientError, ValueError, _Unavailable) as exc:
            _unavailable(code, str(exc) or type(exc).__name__)
        try:
            if not isinstance(record, dict):
                raise BadRecord("the answer is not a JSON object")
            dossier = from_record(record, src.mapping)
        except (BadRecord, QueueError) as exc:
            _unavailable(code, f"record does not fit the mapping: {exc}")
        # the code we asked for is the one the citizen holds, whatever its spelling there
        return dossier if dossier.code == code else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Unavailable(Exception):
    pass


def _unavailable(code: str, why: str) -> NoReturn:
    log.warning("dossier system did not answer for %s: %s", code, why)
    raise QueueError("dossier_unavailable")
