"""An administrator changing the configuration through the admin API (`/api/admin/*`),
as the /quan-tri page does: sign in, read the document, edit it, send it back."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.support.servers import PASSWORD


async def change_config(
    base: str, edit: Callable[[dict[str, Any]], None], *, expect: int = 200
) -> dict[str, Any]:
    """Apply `edit` (it changes the document in place) as `quan-tri`; the answer body."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{base}/api/admin/session", json={"username": "quan-tri", "password": PASSWORD}
        ) as resp:
            assert resp.status == 200, await resp.text()
            csrf = (await resp.json())["csrf"]
        async with http.get(f"{base}/api/admin/config") as resp:
            current = await resp.json()
        document = copy.deepcopy(current["document"])
        edit(document)
        async with http.post(
            f"{base}/api/admin/config",
            json={"document": document, "base_version": current["version"]},
            headers={"X-CSRF-Token": csrf},
        ) as resp:
            body = await resp.json()
            assert resp.status == expect, body
            return body


def counter_of(document: dict[str, Any], number: int) -> dict[str, Any]:
    return next(c for c in document["counters"] if c["number"] == number)
