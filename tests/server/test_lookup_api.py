"""The one search over the wire: `GET /api/search`, `GET /api/procedures/{code}`, the
websocket `search` request a kiosk sends, and bad input refused with a clear error."""

from __future__ import annotations

import aiohttp

from tests.support.servers import KIOSK_TOKEN, peer, running_server


async def test_search_and_guides_over_http_and_websocket(tmp_path) -> None:
    async with (
        running_server(tmp_path / "q.db") as (base, server),
        aiohttp.ClientSession() as http,
    ):
        assert len(server.procedures) >= 40
        async with http.get(f"{base}/api/search", params={"q": "hoj tichj"}) as res:
            body = await res.json()
        assert res.status == 200
        assert body["services"][0]["id"] == "khai-sinh-khai-tu"
        assert body["procedures"][0]["code"] == "2.000635"  # … trích lục hộ tịch
        async with http.get(f"{base}/api/search", params={"q": "khai sinhh"}) as res:
            guide = (await res.json())["procedures"][0]
        assert guide["code"] == "1.001193"  # Đăng ký khai sinh
        assert guide["service_name"] == server.config.services["khai-sinh-khai-tu"].name
        assert [d["name"] for d in guide["documents"]][:1] == ["Tờ khai đăng ký khai sinh"]

        async with http.get(f"{base}/api/procedures/1.000894") as res:
            assert res.status == 200
            assert (await res.json())["name"] == "Đăng ký kết hôn"
        async with http.get(f"{base}/api/procedures/9.999999") as res:
            assert res.status == 404
            assert (await res.json())["error"]["code"] == "unknown_procedure"
        for params in ({"q": "x" * 201}, {"q": "khai sinh", "limit": "mot"}):
            async with http.get(f"{base}/api/search", params=params) as res:
                assert res.status == 400, params
                assert (await res.json())["error"]["code"] == "bad_request"
        async with http.get(f"{base}/api/search", params={"q": "khai", "limit": "2"}) as res:
            assert len((await res.json())["procedures"]) == 2

        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        try:
            answer = await kiosk.request("search", query="bằng lái", limit=3)
            assert answer["ok"], answer
            assert answer["services"][0]["id"] == "giay-phep-lai-xe"
            assert len(answer["procedures"]) == 3
            refused = await kiosk.request("search", query=7)
            assert not refused["ok"] and refused["error"]["code"] == "bad_request"
        finally:
            await kiosk.close()
        phone = await peer(base, "public")
        try:
            answer = await phone.request("search", query="ket hon")
            assert answer["procedures"][0]["code"] == "1.000894"
        finally:
            await phone.close()


async def test_the_index_is_built_at_the_first_search_not_at_start(tmp_path) -> None:
    """Issue 18, idle memory: a server nobody searches does not carry the index (≈ 2.5 MB
    for the sample site's catalogue); the first search builds it, later ones reuse it."""
    async with running_server(tmp_path / "q.db") as (base, server):
        assert server._search is None and server._search_build is None
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/api/search", params={"q": "khai sinh"}) as res:
                assert res.status == 200
                assert "khai-sinh-khai-tu" in [s["id"] for s in (await res.json())["services"]]
            built = server._search
            assert built is not None and built[0] is server.config
            async with http.get(f"{base}/api/search", params={"q": "ket hon"}) as res:
                assert res.status == 200
            assert server._search is built
