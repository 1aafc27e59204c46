"""The administrator's API (`/api/admin/*`, behind /quan-tri) against a real server on a
real SQLite file: versions, the day's refusal rules, restore, TOML round trip, devices
revoked, users, and the security of the admin side (role, CSRF, re-authentication)."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import sqlite3
from typing import Any

import aiohttp
import pytest
import websockets

from queue_server.core.devicekeys import token_hash
from tests.support.booking import TOMORROW, book, site
from tests.support.clock import FakeClock
from tests.support.servers import (
    PASSWORD,
    InProcessServer,
    add_officer,
    login,
    peer,
    running_server,
)
from tests.support.siteconfig import SMALL_SITE_KIOSK, WEDNESDAY_9AM


class Admin:
    """An administrator's browser: the session cookie and the CSRF token."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http, self.csrf = base, http, ""

    @classmethod
    async def signed_in(cls, base: str, http: aiohttp.ClientSession, name: str = "quan-tri"):
        admin = cls(base, http)
        status, body = await admin.call(
            "POST", "/api/admin/session", {"username": name, "password": PASSWORD}
        )
        assert status == 200, body
        admin.csrf = body["csrf"]
        return admin

    async def call(
        self, method: str, path: str, body: Any = None, *, csrf: bool = True, raw: str | None = None
    ) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        async with self.http.request(
            method,
            self.base + path,
            json=body if raw is None else None,
            data=raw.encode() if raw is not None else None,
            headers=headers,
        ) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def config(self) -> dict[str, Any]:
        status, body = await self.call("GET", "/api/admin/config")
        assert status == 200, body
        return body

    async def save(self, document: dict, base_version: int | None = None) -> tuple[int, Any]:
        if base_version is None:
            base_version = (await self.config())["version"]
        return await self.call(
            "POST", "/api/admin/config", {"document": document, "base_version": base_version}
        )


def http_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # 127.0.0.1


NEW_SERVICE = {
    "id": "chung-thuc",
    "sector": "ho-tich",
    "name": "Chứng thực bản sao",
    "name_en": "Certified copies",
    "prefix": "C",
}


async def test_a_service_added_is_issued_at_once_and_stored_as_a_version(tmp_path):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        display = await peer(base, "display", "hall-1-token-0123456789")
        assert (await kiosk.request("issue", service="khai-sinh", request_id="r1"))["ok"]
        current = await admin.config()
        assert current["version"] == 1
        document = copy.deepcopy(current["document"])
        document["services"].append(NEW_SERVICE)
        document["counters"][0]["services"].append("chung-thuc")
        status, body = await admin.save(document)
        assert (status, body["version"]) == (200, 2), body
        # every kiosk and screen hears of it, on the connection it had
        for client in (kiosk, display):
            event = await client.wait_event("config", version=2)
            assert "chung-thuc" in [s["id"] for s in event["services"]]
        answer = await kiosk.request("issue", service="chung-thuc", request_id="r2")
        assert answer["ok"] and answer["ticket"]["number"] == "C001"
        answer = await kiosk.request("issue", service="khai-sinh", request_id="r3")
        assert answer["ticket"]["number"] == "A002"  # no number skipped
        # the version, its author and the diff are on the disk
        with sqlite3.connect(tmp_path / "q.db") as db:
            versions = db.execute("SELECT version, author FROM config_versions").fetchall()
            (detail,) = db.execute(
                "SELECT detail FROM audit WHERE action = 'config_changed'"
            ).fetchone()
        assert versions == [(1, "tệp cấu hình"), (2, "quan-tri")]
        assert '+name = "Chứng thực bản sao"' in detail and '+prefix = "C"' in detail


async def test_a_change_survives_a_restart_and_the_day_replays_across_it(tmp_path):
    local = InProcessServer(tmp_path / "q.db", site())
    await local.start()
    try:
        async with http_session() as http:
            await add_officer(local.server, "quan-tri", "admin")
            admin = await Admin.signed_in(local.base, http)
            document = (await admin.config())["document"]
            document["services"].append(NEW_SERVICE)
            assert (await admin.save(document))[0] == 200
        kiosk = await peer(local.base, "kiosk", SMALL_SITE_KIOSK)
        assert (await kiosk.request("issue", service="chung-thuc", request_id="r1"))["ok"]
        await kiosk.close()
        await local.stop()
        await local.start()  # the same TOML file: the database's version rules
        state = local.server.state
        assert "chung-thuc" in state.config.services and state.config_version == 2
        assert [t.number for t in state.tickets.values()] == ["C001"]
        kiosk = await peer(local.base, "kiosk", SMALL_SITE_KIOSK)
        answer = await kiosk.request("issue", service="chung-thuc", request_id="r2")
        assert answer["ticket"]["number"] == "C002"
        await kiosk.close()
    finally:
        await local.stop()


async def test_the_refusal_rules_of_the_day(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM)
    async with (
        running_server(tmp_path / "q.db", site(), clock=clock) as (base, server),
        http_session() as http,
    ):
        await add_officer(server, "quan-tri", "admin")
        await add_officer(server, "can-bo")
        admin = await Admin.signed_in(base, http)
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        assert (await kiosk.request("issue", service="ket-hon", request_id="r1"))["ok"]
        original = (await admin.config())["document"]

        # a service with a ticket waiting today cannot be deleted ...
        document = copy.deepcopy(original)
        document["services"] = [s for s in document["services"] if s["id"] != "ket-hon"]
        for counter in document["counters"]:
            counter["services"] = [s for s in counter["services"] if s != "ket-hon"]
        document["counters"] = [c for c in document["counters"] if c["services"]]
        status, body = await admin.save(document)
        assert status == 409 and body["error"]["code"] == "config_refused"
        assert body["error"]["field"] == "services" and "ket-hon" in body["error"]["problem"]
        assert body["error"]["problem_vi"].startswith("dịch vụ 'ket-hon' đã có số thứ tự")
        assert "ket-hon" in server.config.services  # nothing changed

        # ... but it can be closed for new tickets
        document = copy.deepcopy(original)
        document["services"][1]["closed"] = True
        assert (await admin.save(document))[0] == 200
        event = await kiosk.wait_event("config", version=2)
        assert [s["open"] for s in event["services"] if s["id"] == "ket-hon"] == [False]
        refused = await kiosk.request("issue", service="ket-hon", request_id="r2")
        assert refused["error"]["code"] == "service_closed"

        # a series cannot change in the middle of a day once it has issued
        document = copy.deepcopy((await admin.config())["document"])
        document["services"][1]["prefix"] = "K"
        status, body = await admin.save(document)
        assert (status, body["error"]["field"]) == (409, "services[1].prefix")
        document["services"][1]["prefix"] = "B"
        document["services"][0]["prefix"] = "K"  # khai-sinh has issued nothing today
        assert (await admin.save(document))[0] == 200

        # a counter with an officer signed in cannot be removed
        await peer(base, "counter", await login(base, "can-bo"), counter=4)
        document = copy.deepcopy((await admin.config())["document"])
        document["counters"] = [c for c in document["counters"] if c["number"] != 4]
        status, body = await admin.save(document)
        assert (status, body["error"]["field"]) == (409, "counters")
        assert "counter 4" in body["error"]["problem"]
        assert body["error"]["problem_vi"].startswith("quầy 4 đang có cán bộ đăng nhập")
        assert 4 in server.config.counters


async def test_lower_capacity_keeps_the_bookings_and_counts_those_above_it(tmp_path):
    async with (
        running_server(tmp_path / "q.db", site(), clock=FakeClock(WEDNESDAY_9AM)) as (base, server),
        http_session() as http,
    ):
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        for phone in ("0912345671", "0912345672", "0912345673"):
            await book(base, "khai-sinh", TOMORROW, "09:00", phone)
        document = (await admin.config())["document"]
        document["booking"]["default_capacity"] = 1
        status, body = await admin.save(document)
        assert status == 200 and body["above_capacity"] == 2, body
        assert len([b for b in server.state.bookings.by_code.values()]) == 3  # all kept


async def test_validation_names_the_field_and_changes_nothing(tmp_path):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        document = (await admin.config())["document"]
        document["services"][0]["prefix"] = "a1"
        status, body = await admin.save(document)
        assert (status, body["error"]["code"]) == (400, "config_invalid")
        assert body["error"]["field"] == "services[0].prefix"
        assert "capital letters" in body["error"]["problem"]
        status, body = await admin.save(document, base_version=0)
        assert (status, body["error"]["code"]) == (409, "stale_config")
        untouched = (await admin.config())["document"]
        untouched["queue"]["default_service_minutes"] = 5.0  # a form's number, same value
        status, body = await admin.save(untouched)
        assert status == 200 and body == {"version": 1, "unchanged": True}
        assert server.state.config_version == 1


async def test_restore_an_earlier_version(tmp_path):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        first = await admin.config()
        document = copy.deepcopy(first["document"])
        document["site"]["name"] = "Trung tâm đã đổi tên"
        assert (await admin.save(document))[0] == 200
        assert server.config.site.name == "Trung tâm đã đổi tên"
        status, body = await admin.call("POST", "/api/admin/versions/1/restore", {})
        assert (status, body["version"]) == (200, 3), body
        assert server.config.site.name == "Trung tâm Hành chính công thử nghiệm"
        assert (await admin.config())["toml"] == first["toml"]
        status, body = await admin.call("GET", "/api/admin/versions")
        assert [v["version"] for v in body["versions"]] == [3, 2, 1]
        assert body["versions"][0]["note"] == "" and body["current"] == 3


async def test_toml_export_import_round_trip(tmp_path):
    async with running_server(tmp_path / "a.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        document = (await admin.config())["document"]
        document["services"].append(NEW_SERVICE)
        document["site"]["holidays"] = ["2026-09-02", "2026-09-01"]
        assert (await admin.save(document))[0] == 200
        status, exported = await admin.call("GET", "/api/admin/config.toml")
        assert status == 200 and 'id = "chung-thuc"' in exported and "token" not in exported
        # importing what was exported changes nothing
        status, body = await admin.call("POST", "/api/admin/config.toml", raw=exported)
        assert status == 200 and body.get("unchanged"), body
    # ... and another server importing it has the same configuration
    async with running_server(tmp_path / "b.db", site()) as (base, other), http_session() as http:
        await add_officer(other, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        status, body = await admin.call("POST", "/api/admin/config.toml", raw=exported)
        assert (status, body["version"]) == (200, 2), body
        _, again = await admin.call("GET", "/api/admin/config.toml")
        assert again == exported
        assert other.config.services == server.config.services
        assert other.config.site == server.config.site
        status, body = await admin.call("POST", "/api/admin/config.toml", raw="[site\nname=")
        assert (status, body["error"]["field"]) == (400, "(file)")


async def test_the_admin_side_refuses_other_roles_missing_csrf_and_no_password(tmp_path):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        for path, title in (("/quan-tri", "Quản trị trung tâm"), ("/en/admin", "Centre admin")):
            async with http.get(base + path) as resp:  # the page; its data needs the role
                assert resp.status == 200 and title in await resp.text()
        await add_officer(server, "giam-sat", "supervisor")
        await add_officer(server, "quan-tri", "admin")
        status, body = await Admin(base, http).call(
            "POST", "/api/admin/session", {"username": "giam-sat", "password": PASSWORD}
        )
        assert (status, body["error"]["code"]) == (403, "forbidden")
        # a supervisor's session as the cookie is refused too
        token = await login(base, "giam-sat")
        http.cookie_jar.update_cookies({"xephang_admin": token})
        status, body = await Admin(base, http).call("GET", "/api/admin/config")
        assert (status, body["error"]["code"]) == (403, "forbidden")
        http.cookie_jar.clear()
        status, _ = await Admin(base, http).call("GET", "/api/admin/config")
        assert status == 401

        admin = await Admin.signed_in(base, http)
        document = (await admin.config())["document"]
        document["site"]["name"] = "Đổi tên"
        status, body = await admin.call(
            "POST", "/api/admin/config", {"document": document, "base_version": 1}, csrf=False
        )
        assert (status, body["error"]["code"]) == (403, "forbidden")
        assert "CSRF" in body["error"]["detail"]
        admin.csrf = "0" * 64
        assert (await admin.save(document))[0] == 403
        assert server.state.config_version == 1

        admin = await Admin.signed_in(base, http)
        status, body = await admin.call(
            "POST", "/api/admin/users", {"action": "add", "username": "moi", "password": "sai"}
        )
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        assert "moi" not in [u.username for u in await server.accounts.users()]


async def test_the_cookie_is_httponly_strict_and_secure_behind_tls(tmp_path):
    options = {"trusted_proxies": (ipaddress.ip_network("127.0.0.1/32"),)}
    async with (
        running_server(tmp_path / "q.db", site(), **options) as (base, server),
        http_session() as http,
    ):
        await add_officer(server, "quan-tri", "admin")
        for proto, secure in (("http", False), ("https", True)):
            async with http.post(
                f"{base}/api/admin/session",
                json={"username": "quan-tri", "password": PASSWORD},
                headers={"X-Forwarded-Proto": proto},
            ) as resp:
                cookie = resp.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert ("Secure" in cookie) is secure


async def test_a_device_registered_shows_its_token_once_and_revoking_ends_its_connection(
    tmp_path,
):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        status, body = await admin.call(
            "POST", "/api/admin/devices", {"id": "kiosk-3", "role": "kiosk", "password": PASSWORD}
        )
        assert status == 200, body
        token = body["token"]
        with sqlite3.connect(tmp_path / "q.db") as db:
            stored = db.execute("SELECT token_hash FROM devices WHERE id = 'kiosk-3'").fetchone()
            everything = "\n".join(line for line in db.iterdump())
        assert stored == (token_hash(token),) and token not in everything
        _, listing = await admin.call("GET", "/api/admin/devices")
        assert "token" not in str(listing) and "kiosk-3" in str(listing)

        kiosk = await peer(base, "kiosk", token)
        other = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        status, body = await admin.call(
            "POST", "/api/admin/devices/kiosk-3/revoke", {"password": "sai mat khau"}
        )
        assert status == 401
        status, body = await admin.call(
            "POST", "/api/admin/devices/kiosk-3/revoke", {"password": PASSWORD}
        )
        assert (status, body["connections_ended"]) == (200, 1)

        async def read_until_closed() -> None:
            while True:
                await kiosk.ws.recv()

        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(read_until_closed(), 10)  # at once, not at a heartbeat
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
        with pytest.raises(PermissionError):
            await peer(base, "kiosk", token)
        assert (await other.request("issue", service="khai-sinh", request_id="r1"))["ok"]


async def test_users_added_reset_disabled_and_sessions_ended(tmp_path):
    async with running_server(tmp_path / "q.db", site()) as (base, server), http_session() as http:
        await add_officer(server, "quan-tri", "admin")
        admin = await Admin.signed_in(base, http)
        status, body = await admin.call(
            "POST",
            "/api/admin/users",
            {
                "action": "add",
                "username": "hoa",
                "role": "officer",
                "full_name": "Nguyễn Thị Hoa",
                "password": PASSWORD,
            },
        )
        assert status == 200 and len(body["password"]) >= 12
        first = body["password"]
        await login(base, "hoa", first)
        _, listing = await admin.call("GET", "/api/admin/users")
        assert "hoa" in [s["username"] for s in listing["sessions"]]
        session = next(s for s in listing["sessions"] if s["username"] == "hoa")
        assert (await admin.call("POST", f"/api/admin/sessions/{session['id']}/end", {}))[0] == 200
        _, listing = await admin.call("GET", "/api/admin/users")
        assert "hoa" not in [s["username"] for s in listing["sessions"]]
        status, body = await admin.call(
            "POST",
            "/api/admin/users",
            {"action": "reset", "username": "hoa", "password": PASSWORD},
        )
        assert status == 200 and body["password"] != first
        await login(base, "hoa", body["password"])
        status, _ = await admin.call(
            "POST",
            "/api/admin/users",
            {"action": "update", "username": "hoa", "role": "supervisor", "password": PASSWORD},
        )
        assert status == 200
        status, _ = await admin.call(
            "POST",
            "/api/admin/users",
            {"action": "disable", "username": "hoa", "password": PASSWORD},
        )
        accounts = {u.username: u for u in await server.accounts.users()}
        assert accounts["hoa"].disabled and accounts["hoa"].role == "supervisor"
        assert accounts["hoa"].full_name == "Nguyễn Thị Hoa"


async def test_the_start_warns_while_sample_tokens_or_demo_accounts_are_in_use(tmp_path, caplog):
    local = InProcessServer(tmp_path / "q.db")  # the sample site, its sample tokens
    await local.start()
    try:
        await local.server.accounts.add_user("demo", "officer", "demo-1234", actor="test")
    finally:
        await local.stop()
    caplog.clear()
    await local.start()
    await local.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    (warning,) = [w for w in warnings if w.startswith("CẢNH BÁO / WARNING")]
    assert "kiosk-1, kiosk-2" in warning and "sample site's tokens" in warning
    assert "demo accounts demo are enabled" in warning
