"""Leaders' accounts at the province server, on real PostgreSQL over real HTTP: signing
out ends the session server-side; password guessing is limited per (address, username),
as at a site (`core/ratelimit.LoginGuard`); sign-ins, refusals, sign-outs and exports
are kept in `leader_audit`."""

from __future__ import annotations

import aiohttp

from queue_server.core.ratelimit import LOGIN_FAILURES
from tests.support.province import LEADER_PASSWORD


async def _post(base: str, path: str, token: str = "", **body: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}{path}", json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json()


async def _get(base: str, path: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        await resp.read()
        return resp.status


async def _audit(central) -> list[tuple[str, str, str]]:
    rows = await central.central.pool.fetch(
        "SELECT username, action, detail FROM leader_audit ORDER BY id"
    )
    return [(r["username"], r["action"], r["detail"]) for r in rows]


async def test_signing_out_ends_the_session_and_exports_are_audited(central):
    await central.add_leader("tinh", "province", "Bình Dương")
    base = central.base
    status, body = await _post(base, "/api/login", username="tinh", password=LEADER_PASSWORD)
    assert status == 200
    token = body["token"]
    span = "from=2026-03-02&to=2026-03-04&by=site"
    assert await _get(base, f"/api/province/report?{span}", token) == 200
    assert await _get(base, f"/api/province/report.csv?{span}", token) == 200

    status, _ = await _post(base, "/api/logout", token)
    assert status == 200
    assert await _get(base, f"/api/province/report?{span}", token) == 401  # ended
    assert await _get(base, "/api/province/floor", token) == 401
    status, body = await _post(base, "/api/logout", token)
    assert status == 401 and body["error"]["code"] == "unauthorized"

    audit = await _audit(central)
    assert [(u, a) for u, a, _ in audit] == [
        ("tinh", "sign_in"),
        ("tinh", "export"),
        ("tinh", "sign_out"),
    ]
    assert '"file": "csv"' in audit[1][2] or '"file":"csv"' in audit[1][2]
    assert '"by":"site"' in audit[1][2].replace(" ", "")
    assert (
        await central.central.pool.fetchval("SELECT count(*) FROM leader_sessions") == 0
    )  # the session is gone from the database, not only forgotten by the page


async def test_password_guessing_is_limited_per_address_and_username(central):
    await central.add_leader("tinh", "province", "Bình Dương")
    await central.add_leader("huyen", "district", "Thủ Dầu Một")
    base = central.base
    for _ in range(LOGIN_FAILURES):
        status, body = await _post(base, "/api/login", username="tinh", password="sai-mat-khau")
        assert status == 401
    # the right password now waits too: the guesses used up this (address, name)
    status, body = await _post(base, "/api/login", username="tinh", password=LEADER_PASSWORD)
    assert status == 429 and body["error"]["code"] == "too_many_requests"
    assert "Ông/Bà" in body["error"]["message"]
    # another leader from the same address is not locked out
    status, body = await _post(base, "/api/login", username="huyen", password=LEADER_PASSWORD)
    assert status == 200 and body["token"]

    actions = [(u, a) for u, a, _ in await _audit(central)]
    assert actions.count(("tinh", "sign_in_refused")) == LOGIN_FAILURES
    assert actions[-2:] == [("tinh", "sign_in_limited"), ("huyen", "sign_in")]
