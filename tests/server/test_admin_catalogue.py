"""A configuration changed in /quan-tri keeps the procedure catalogue read from its file
at start (a version stores the file's name, not the catalogue): the guides stay, also
after a restart."""

from __future__ import annotations

import aiohttp

from tests.support.admin import change_config
from tests.support.servers import add_officer, running_server


async def test_the_guides_outlive_an_admin_change_and_a_restart(tmp_path):
    db = tmp_path / "q.db"

    def rename(document: dict) -> None:
        document["site"]["name_en"] = "Binh Duong Public Administration Centre (new)"

    async with running_server(db) as (base, server), aiohttp.ClientSession() as http:
        await add_officer(server, "quan-tri", "admin")
        code = next(iter(server.procedures))
        before = len(server.procedures)
        await change_config(base, rename)
        assert server.config.site.name_en.endswith("(new)")
        assert len(server.procedures) == before > 0
        async with http.get(f"{base}/api/procedures/{code}") as resp:
            assert resp.status == 200
    async with running_server(db) as (base, server):  # the stored version rules now
        assert server.config.site.name_en.endswith("(new)")
        assert len(server.procedures) == before
