"""Messages to citizens at the edge: sign-up, the rating link, the supervisors' outbox,
the centre cancelling a day, and texts posted in by an SMS gateway.

- `notify_me` (websocket, kiosk and public) and `POST /api/tickets/{id}/notify`
  (the tracking page): a phone, a threshold, a language, and consent, which must be
  `true`; the subscription is a writer command, durable before the answer.
- `GET`/`POST /api/ratings/{token}`: the link sent after service (the token is the
  ticket's public id); the same rating as the pad, one per ticket.
- `GET /api/outbox`, `POST /api/outbox/{id}/resend`, `POST /api/services/{id}/cancel-day`:
  supervisors and admins (bearer token), the last two audited.
- `POST /api/sms/inbound`: a gateway's webhook, authenticated by its channel's secret.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import Any

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_server.core.accounts import Officer
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.domain import commands as c
from queue_server.domain.booking import normalize_phone
from queue_server.domain.config import MessagingConfig
from queue_server.domain.lifecycle import TicketStatus
from queue_server.outbox import render
from queue_server.outbox.channels.webhook import parse_inbound
from queue_server.outbox.service import Messaging
from queue_server.web.responses import error_response, json_answer, json_body

log = logging.getLogger(__name__)

SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
OUTBOX_STATES = ("queued", "sending", "sent", "delivered", "failed", "withdrawn")
LANGS = ("vi", "en")


class MessageDesk:
    def __init__(self, ctx: ServerContext, messaging: Messaging) -> None:
        self.ctx, self.messaging = ctx, messaging

    # ----- sign-up ------------------------------------------------------------

    def subscribe_command(self, actor: str, public_id: str, body: dict[str, Any]) -> c.Subscribe:
        """The command for a sign-up, or the refusal of its first bad field."""
        policy = self.ctx.config.messaging
        if not self.messaging.enabled or policy.channel_for("near", "phone") is None:
            raise QueueError("messaging_off")
        if body.get("consent") is not True:
            raise QueueError("consent_required")
        phone = body.get("phone")
        if not isinstance(phone, str):
            raise QueueError("bad_phone", "phone must be text")
        ahead = body.get("ahead", policy.default_near)
        if (
            isinstance(ahead, bool)
            or not isinstance(ahead, int)
            or ahead not in policy.near_thresholds
        ):
            raise QueueError("bad_request", f"ahead must be one of {policy.near_thresholds}")
        lang = body.get("lang", "vi")
        if lang not in LANGS:
            raise QueueError("bad_request", "lang must be vi or en")
        return c.Subscribe(
            actor=actor, public_id=public_id, phone=normalize_phone(phone), ahead=ahead, lang=lang
        )

    def notify_me(self, conn: Connection, fields: dict[str, Any]) -> c.Command:
        """`notify_me` over the protocol (kiosk or public)."""
        return self.subscribe_command(conn.actor, fields["ticket"], fields)

    async def post_notify(self, request: web.Request) -> web.Response:
        try:
            command = self.subscribe_command(
                "web", request.match_info["public_id"], await json_body(request)
            )
            await self.ctx.engine.submit(command)
        except QueueError as err:
            return error_response(err)
        return json_answer({"subscribed": True})

    def options(self) -> dict[str, Any]:
        """What a sign-up form offers (in `GET /api/ratings`-like shape for the pages)."""
        policy = self.ctx.config.messaging
        return {
            "enabled": self.messaging.enabled,
            "near_thresholds": list(policy.near_thresholds),
            "default_near": policy.default_near,
        }

    async def get_options(self, _request: web.Request) -> web.Response:
        return json_answer(self.options())

    # ----- the rating link -------------------------------------------------------

    async def get_rating(self, request: web.Request) -> web.Response:
        """What the rating page shows: the ticket's number, service and the scale."""
        ticket = self.ctx.state.ticket_by_public_id(request.match_info["token"])
        if ticket is None or ticket.status is not TicketStatus.DONE:
            return error_response(QueueError("not_ratable", request.match_info["token"][:20]))
        service = self.ctx.config.services[ticket.service]
        return json_answer(
            {
                "number": ticket.number,
                "service": service.name,
                "service_en": service.name_en,
                "rated": ticket.rating,
                "scale": [
                    {"id": r.id, "name": r.name, "name_en": r.name_en}
                    for r in self.ctx.config.rating_scale
                ],
            }
        )

    async def post_rating(self, request: web.Request) -> web.Response:
        try:
            body = await json_body(request)
            rating = body.get("rating")
            if not isinstance(rating, str):
                raise QueueError("bad_request", "rating must be text")
            await self.ctx.engine.submit(
                c.RateByLink(actor="web", public_id=request.match_info["token"], rating=rating)
            )
        except QueueError as err:
            return error_response(err)
        return json_answer({"rated": True})

    # ----- supervisors -----------------------------------------------------------

    async def get_outbox(self, request: web.Request) -> web.Response:
        try:
            await self._supervisor(request)
            state = request.query.get("state", "")
            if state and state not in OUTBOX_STATES:
                raise QueueError("bad_request", f"state must be one of {OUTBOX_STATES}")
            try:
                limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
            except ValueError:
                raise QueueError("bad_request", "limit must be a whole number") from None
        except QueueError as err:
            return error_response(err)
        return json_answer(await self.outbox(state, limit))

    async def outbox(self, state: str, limit: int) -> dict[str, Any]:
        """The newest messages (of one state), with counts per state."""
        in_flight = self.messaging.sender.sending if self.messaging.sender else set()
        where, args = "", ()  # type: tuple[str, tuple[Any, ...]]
        if state == "sending":
            ids = sorted(in_flight)[-limit:]
            where, args = f"WHERE id IN ({','.join('?' * len(ids))})", tuple(ids)
        elif state:
            where, args = "WHERE state = ?", (state,)
        reader = self.ctx.store.reader
        async with reader.execute(
            "SELECT id, kind, channel, recipient, lang, text, state, attempts, reason, "
            f"provider_id, segments, created_at, next_at, sent_at, params FROM outbox {where} "
            "ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ) as cur:
            rows = await cur.fetchall()
        async with reader.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state") as cur:
            counts = {s: n for s, n in await cur.fetchall()}
        if in_flight:
            counts["sending"] = len(in_flight)
        keys = (
            *("id", "kind", "channel", "to", "lang", "text", "state", "attempts", "reason"),
            *("provider_id", "segments", "created_at", "next_at", "sent_at"),
        )
        messages = []
        policy = self.ctx.config.messaging
        for *row, params in rows:
            item = dict(zip(keys, row, strict=True))
            if item["text"] is None and item["to"] is not None:  # stored as its template
                item["text"] = _rendered(policy, item, params)
            item["to"] = _mask(item["to"])
            if item["id"] in in_flight and item["state"] == "queued":
                item["state"] = "sending"
            messages.append(item)
        return {"messages": messages, "counts": counts}

    async def post_resend(self, request: web.Request) -> web.Response:
        try:
            who = await self._supervisor(request)
            try:
                row_id = int(request.match_info["id"])
            except ValueError:
                raise QueueError("unknown_message", request.match_info["id"][:20]) from None
            now = self.ctx.clock()
            found = await self.ctx.store.write(lambda conn: _requeue(conn, row_id, now))
            if found is None:
                raise QueueError("unknown_message", str(row_id))
            if not found:
                raise QueueError("not_resendable", str(row_id))
        except QueueError as err:
            return error_response(err)
        await self.ctx.accounts.audit(who.username, "message_resend", str(row_id))
        self.messaging.wake()
        return json_answer({"resent": row_id})

    async def post_cancel_day(self, request: web.Request) -> web.Response:
        """The centre closes a service for a day: every booking cancelled, everyone told."""
        try:
            who = await self._supervisor(request)
            body = await json_body(request)
            day, reason = body.get("day"), body.get("reason", "")
            if not isinstance(day, str) or not isinstance(reason, str):
                raise QueueError("bad_request", "send {day: YYYY-MM-DD, reason}")
            try:
                day = dt.date.fromisoformat(day).isoformat()
            except ValueError:
                raise QueueError("bad_request", "day: YYYY-MM-DD") from None
            service = request.match_info["service"]
            outcome = await self.ctx.engine.submit(
                c.CancelServiceDay(
                    actor=who.username, service=service, day=day, reason=reason.strip()[:120]
                )
            )
        except QueueError as err:
            return error_response(err)
        cancelled = len(outcome.events)
        detail = f"{service} {day}: {cancelled} bookings ({reason.strip()[:120]})"
        await self.ctx.accounts.audit(who.username, "service_day_cancelled", detail)
        log.info("%s cancelled the bookings of %s", who.username, detail)
        return json_answer({"cancelled": cancelled, "day": day, "service": service})

    async def _supervisor(self, request: web.Request) -> Officer:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        who = await self.ctx.accounts.session(token) if token else None
        if who is None:
            raise QueueError("unauthorized")
        if who.role not in SUPERVISOR_ROLES:
            raise QueueError("forbidden", "the outbox is for supervisors and admins")
        return who

    # ----- texts posted in by a gateway -------------------------------------------

    async def post_inbound(self, request: web.Request) -> web.Response:
        lookups = self.messaging.lookups
        try:
            if lookups is None or not self.messaging.webhooks:
                raise QueueError("messaging_off")
            if request.content_type == "application/json":
                fields: Any = await json_body(request)
            else:
                fields = await request.post()
            inbound = parse_inbound(
                self.messaging.webhooks, request.headers, fields, self.ctx.clock()
            )
        except QueueError as err:
            log.info("inbound webhook refused: %s", err.code)
            return error_response(err)
        await lookups.answer(inbound)
        return json_answer({"received": True})


def _requeue(conn: sqlite3.Connection, row_id: int, now: float) -> bool | None:
    """Queue a failed message again: True; not failed (or purged): False; unknown: None."""
    found = conn.execute("SELECT state FROM outbox WHERE id = ?", (row_id,)).fetchone()
    if found is None:
        return None
    cur = conn.execute(
        "UPDATE outbox SET state = 'queued', attempts = 0, next_at = ?, reason = NULL "
        "WHERE id = ? AND state = 'failed' AND purged_at IS NULL",
        (now, row_id),
    )
    return cur.rowcount == 1


def _rendered(policy: MessagingConfig, item: dict[str, Any], params: str | None) -> str | None:
    """The text of a row stored as its template, as the sender renders it."""
    try:
        text, _, _ = render.message(
            policy, item["channel"], item["kind"], item["to"], item["lang"], None, None, params
        )
    except Exception:  # the sender fails such a row with the reason; the view shows none
        log.warning("message %d (%s) cannot be rendered", item["id"], item["kind"])
        return None
    return text


def _mask(to: str | None) -> str | None:
    """Supervisors see enough of a number to tell two apart, not to call it."""
    if to is None or "@" in to:
        return None if to is None else to[:2] + "***" + to[to.index("@") :]
    return to[:4] + "***" + to[-3:]


def subscribed_answer(_ctx: ServerContext, _conn: Connection, _fields: Any, _outcome: Any) -> dict:
    """The answer of `notify_me` once the subscription is durable."""
    return {"subscribed": True}
