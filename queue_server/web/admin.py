"""The administrator's API behind `/quan-tri`: configuration, users, sessions, devices.

Only the admin role. The session is a cookie (HttpOnly, SameSite=Strict, Secure when
the request came over TLS) holding a login session token; every change also carries
`X-CSRF-Token`, derived from that token (the page learns it at sign-in and from
`/api/admin/me`; another site can read neither). Changes to users and device tokens
ask for the administrator's password again. Every change is audited.

A configuration change is validated by the start-up validator (`domain/config.py`),
weighed against the day by the writer (`domain/reconfigure.py`) and stored as a new
version with its diff in the audit log. Refusals name the field (`services[2].prefix`)
so the page shows them beside it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
import time
from typing import Any

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_protocol.messages import CLOSE_REFUSED, encode
from queue_server.core.accounts import ROLES, Officer, verify_password
from queue_server.core.configbook import canonical, diff, document_of, with_catalogue
from queue_server.core.context import ServerContext
from queue_server.core.ratelimit import LoginGuard
from queue_server.domain import commands as c
from queue_server.domain.config import ConfigError, SiteConfig, parse_config
from queue_server.domain.holidays_vn import public_holidays
from queue_server.domain.reconfigure import ChangeRefused
from queue_server.outbox.channels.config import build_channels
from queue_server.web.responses import error_response, json_answer, json_body
from queue_server.web.voicecheck import voice_style_problem

COOKIE = "xephang_admin"
CSRF_HEADER = "X-CSRF-Token"
DEVICE_ROLES = ("kiosk", "display", "rating")


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: a keyed hash of its (HttpOnly) session token."""
    return hmac.new(session_token.encode(), b"xephang-admin-csrf", hashlib.sha256).hexdigest()


def _field_error(code: str, key: str, problem: str, problem_vi: str = "") -> web.Response:
    """A refusal that names the form field it concerns: `problem` in English (/en/admin),
    `problem_vi` in Vietnamese (/quan-tri; the English one where there is none)."""
    err = QueueError(code, f"{key}: {problem}")
    body = {
        "error": err.to_dict()
        | {"field": key, "problem": problem, "problem_vi": problem_vi or problem}
    }
    return web.json_response(body, status=err.http_status, dumps=encode)


def _from_json(document: dict[str, Any]) -> dict[str, Any]:
    """A document sent as JSON, with its holidays as dates again (TOML dates)."""
    site = document.get("site")
    if isinstance(site, dict) and isinstance(site.get("holidays"), list):
        days = []
        for day in site["holidays"]:
            try:
                days.append(dt.date.fromisoformat(day) if isinstance(day, str) else day)
            except ValueError:
                days.append(day)  # the validator names it
        site["holidays"] = days
    return document


def _validated(document: dict[str, Any], voice: str) -> tuple[str, SiteConfig]:
    """The canonical text of `document` and the configuration read back from it, by the
    start-up validator (what is stored is exactly what was checked); its message
    channels built as the sender will build them; a new voice style (`voice` is the
    one in force) only if this server's voice has its clips."""
    text = canonical(document)
    config = parse_config(document_of(text), "cấu hình")
    if config.messaging.enabled:  # rebuilt live on the change (outbox/service.py)
        build_channels(config.messaging.channels_table, "cấu hình")
    if config.hall.voice != voice:
        problem = voice_style_problem(config.hall.voice)
        if problem is not None:
            raise ConfigError("cấu hình", "hall.voice", *problem)
    return text, config


class AdminDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.login_guard = LoginGuard()

    # ----- who asks ------------------------------------------------------------

    async def _admin(self, request: web.Request, change: bool = True) -> Officer:
        token = request.cookies.get(COOKIE, "")
        who = await self.ctx.accounts.session(token) if token else None
        if who is None:
            raise QueueError("unauthorized", "sign in as an administrator")
        if who.role != "admin":
            raise QueueError("forbidden", f"a {who.role} does not administer the centre")
        if change and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, ""), csrf_token(token)
        ):
            raise QueueError("forbidden", "missing or wrong CSRF token; reload the page")
        return who

    async def _reauthenticate(self, who: Officer, body: dict[str, Any]) -> None:
        password = body.get("password")
        stored = await self.ctx.accounts.password_hash(who.username)
        if not isinstance(password, str) or stored is None or not verify_password(password, stored):
            raise QueueError("unauthorized", "password: enter your own password again")

    # ----- sign-in -------------------------------------------------------------

    async def post_session(self, request: web.Request) -> web.Response:
        try:
            body = await json_body(request)
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str):
                raise QueueError("bad_request", "send JSON {username, password}")
            address = request.remote or "?"
            if self.login_guard.blocked(address, username, time.monotonic()):
                raise QueueError("too_many_requests")
            try:
                token, role, expires = await self.ctx.accounts.login(
                    username, password, origin=f"admin {request.remote}"
                )
            except QueueError:
                self.login_guard.failed(address, username, time.monotonic())
                raise
            if role != "admin":
                await self.ctx.accounts.end_sessions(username)
                raise QueueError("forbidden", f"a {role} does not administer the centre")
        except QueueError as err:
            return error_response(err)
        response = json_answer({"username": username, "csrf": csrf_token(token)})
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(expires - time.time()),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return response

    async def get_me(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        token = request.cookies[COOKIE]
        return json_answer({"username": who.username, "csrf": csrf_token(token)})

    async def delete_session(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request)
        except QueueError as err:
            return error_response(err)
        await self.ctx.accounts.end_sessions(who.username)
        response = json_answer({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    # ----- configuration -------------------------------------------------------

    async def get_config(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        state = self.ctx.state
        text = canonical(state.config.document)
        return json_answer(
            {"version": state.config_version, "document": document_of(text), "toml": text}
        )

    async def post_config(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request)
            body = await json_body(request)
            document = body.get("document")
            if not isinstance(document, dict):
                raise QueueError("bad_request", "document: send the configuration as an object")
            if body.get("base_version") != self.ctx.state.config_version:
                raise QueueError("stale_config", f"now at version {self.ctx.state.config_version}")
        except QueueError as err:
            return error_response(err)
        return await self._apply(who, _from_json(document), str(body.get("note") or ""))

    async def get_versions(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        return json_answer(
            {
                "current": self.ctx.state.config_version,
                "versions": await self.ctx.config_book.versions(),
            }
        )

    async def get_version(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
            version = int(request.match_info["version"])
        except (QueueError, ValueError) as err:
            return error_response(err if isinstance(err, QueueError) else QueueError("bad_request"))
        text = await self.ctx.config_book.text(version)
        if text is None:
            return error_response(QueueError("bad_request", f"version: no version {version}"))
        before = await self.ctx.config_book.text(version - 1)
        return json_answer(
            {
                "version": version,
                "toml": text,
                "diff": diff(before or "", text, f"v{version - 1}", f"v{version}"),
            }
        )

    async def post_restore(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request)
            version = int(request.match_info["version"])
        except (QueueError, ValueError) as err:
            return error_response(err if isinstance(err, QueueError) else QueueError("bad_request"))
        text = await self.ctx.config_book.text(version)
        if text is None:
            return error_response(QueueError("bad_request", f"version: no version {version}"))
        return await self._apply(who, document_of(text), f"khôi phục phiên bản {version}")

    async def get_export(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        state = self.ctx.state
        await self.ctx.accounts.audit(who.username, "config_export", f"v{state.config_version}")
        return web.Response(
            text=canonical(state.config.document),
            content_type="application/toml",
            charset="utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="xep-hang-v{state.config_version}.toml"'
                ),
                "Cache-Control": "no-store",
            },
        )

    async def post_import(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request)
            raw = await request.read()
            try:
                document = document_of(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                return _field_error("config_invalid", "(file)", f"is not valid TOML: {exc}")
        except QueueError as err:
            return error_response(err)
        return await self._apply(who, document, "nhập từ tệp TOML")

    async def _apply(self, who: Officer, document: dict[str, Any], note: str) -> web.Response:
        """Validate, weigh against the day, and hand to the writer as the next version."""
        ctx = self.ctx
        try:  # off the event loop: a big site's document takes milliseconds
            text, config = await asyncio.to_thread(
                _validated, document, ctx.state.config.hall.voice
            )
        except ConfigError as err:
            return _field_error("config_invalid", err.key, err.problem, err.problem_vi)
        except (TypeError, ValueError) as exc:  # not representable as TOML
            return _field_error("config_invalid", "(document)", str(exc))
        state = ctx.state
        config = with_catalogue(config, state.config)  # the catalogue read at start
        before, version = canonical(state.config.document), state.config_version + 1
        # the same configuration (a form sends 30.0 back as 30; devices are not versioned)
        same = dataclasses.replace(config, source=state.config.source, devices=state.config.devices)
        if text == before or same == state.config:
            return json_answer({"version": state.config_version, "unchanged": True})
        try:
            review = state.review_config(config)  # the writer checks again, at its turn
            await ctx.engine.submit(
                c.ApplyConfig(actor=who.username, version=version, config=config, document=text)
            )
        except QueueError as err:
            if isinstance(err, ChangeRefused):
                return _field_error(err.code, err.key, err.problem, err.problem_vi)
            if err.code == "config_refused" and err.detail:
                key, _, problem = err.detail.partition(": ")
                return _field_error(err.code, key, problem)
            return error_response(err)
        changes = await asyncio.to_thread(diff, before, text)
        await ctx.accounts.audit(who.username, "config_changed", f"v{version} {note}\n{changes}")
        return json_answer({"version": version, "above_capacity": review.above_capacity})

    async def get_holidays(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
            year = int(request.match_info["year"])
            if not 2000 <= year <= 2100:
                raise ValueError
        except (QueueError, ValueError) as err:
            return error_response(err if isinstance(err, QueueError) else QueueError("bad_request"))
        return json_answer(
            {
                "year": year,
                "holidays": [
                    {"day": h.day.isoformat(), "name": h.name, "name_en": h.name_en}
                    for h in public_holidays(year)
                ],
            }
        )

    # ----- users and sessions --------------------------------------------------

    async def get_users(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        users = await self.ctx.accounts.users()
        return json_answer(
            {
                "roles": list(ROLES),
                "users": [
                    {
                        "username": u.username,
                        "role": u.role,
                        "full_name": u.full_name,
                        "disabled": u.disabled,
                        "last_login": u.last_login,
                    }
                    for u in users
                ],
                "sessions": await self.ctx.accounts.session_list(),
            }
        )

    async def post_user(self, request: web.Request) -> web.Response:
        """Add an account, or act on one: `action` = add | update | disable | reset."""
        accounts = self.ctx.accounts
        try:
            who = await self._admin(request)
            body = await json_body(request)
            await self._reauthenticate(who, body)
            username, action = body.get("username"), body.get("action")
            if not isinstance(username, str) or not username.strip():
                raise QueueError("bad_request", "username: is missing")
            role, name = body.get("role"), body.get("full_name")
            if role is not None and role not in ROLES:
                raise QueueError("bad_request", f"role: must be one of {', '.join(ROLES)}")
            if name is not None and not isinstance(name, str):
                raise QueueError("bad_request", "full_name: must be text")
            password = None
            if action in ("add", "reset"):
                known = {u.username: u for u in await accounts.users()}
                if action == "add" and username in known:
                    raise QueueError("bad_request", f"username: {username!r} exists")
                if action == "reset" and username not in known:
                    raise QueueError("bad_request", f"username: no account {username!r}")
                account = known.get(username)
                password = secrets.token_urlsafe(9)  # shown once, to hand over
                try:
                    await accounts.add_user(
                        username.strip(),
                        role or (account.role if account else "officer"),
                        password,
                        full_name=name or "",
                        actor=who.username,
                    )
                except ValueError as exc:
                    raise QueueError("bad_request", f"username: {exc}") from None
                await accounts.end_sessions(username)
            elif action == "update":
                await accounts.update_user(username, role=role, full_name=name, actor=who.username)
            elif action == "disable":
                try:
                    await accounts.disable_user(username, actor=who.username)
                except ValueError as exc:
                    raise QueueError("bad_request", f"username: {exc}") from None
            else:
                raise QueueError("bad_request", "action: add, update, disable or reset")
        except QueueError as err:
            return error_response(err)
        return json_answer({"ok": True, "password": password})

    async def post_end_session(self, request: web.Request) -> web.Response:
        try:
            who = await self._admin(request)
            await self.ctx.accounts.end_session_by_id(request.match_info["id"], actor=who.username)
        except QueueError as err:
            return error_response(err)
        return json_answer({"ok": True})

    # ----- devices -------------------------------------------------------------

    async def get_devices(self, request: web.Request) -> web.Response:
        try:
            await self._admin(request, change=False)
        except QueueError as err:
            return error_response(err)
        return json_answer({"devices": await self.ctx.device_keys.listing()})

    async def post_device(self, request: web.Request) -> web.Response:
        """Register a device; its token is in the answer, and nowhere else, once."""
        try:
            who = await self._admin(request)
            body = await json_body(request)
            await self._reauthenticate(who, body)
            device_id, role = body.get("id"), body.get("role")
            if not isinstance(device_id, str) or role not in DEVICE_ROLES:
                raise QueueError("bad_request", f"role: one of {', '.join(DEVICE_ROLES)}")
            token = await self.ctx.device_keys.register(
                device_id, role, who.username, self.ctx.clock()
            )
        except QueueError as err:
            return error_response(err)
        await self.ctx.accounts.audit(who.username, "device_registered", f"{device_id} as {role}")
        return json_answer({"id": device_id, "role": role, "token": token})

    async def post_revoke(self, request: web.Request) -> web.Response:
        """Revoke a device's token; its open connections end at once."""
        ctx = self.ctx
        try:
            who = await self._admin(request)
            await self._reauthenticate(who, await json_body(request))
            device = await ctx.device_keys.revoke(request.match_info["id"], ctx.clock())
        except QueueError as err:
            return error_response(err)
        ended = [
            conn
            for conn in list(ctx.hub.connections)
            if conn.actor == device.id and conn.role in DEVICE_ROLES
        ]
        for conn in ended:
            conn.send(encode({"type": "error", "error": QueueError("unauthorized").to_dict()}))
            await conn.close(CLOSE_REFUSED, b"unauthorized")
        await ctx.accounts.audit(
            who.username, "device_revoked", f"{device.id}: {len(ended)} connections ended"
        )
        return json_answer({"ok": True, "connections_ended": len(ended)})
