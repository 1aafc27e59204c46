"""What a supervisor asks from the board: acknowledge an alert, a notice to the hall,
close or reopen a service for the day, ask a counter to take another service for now,
end an officer's sessions.

Each action is audited (`accounts.audit`) under the supervisor's name; a refusal
(unknown counter, service or officer) changes nothing and is not audited.
"""

from __future__ import annotations

from typing import Any

from queue_protocol.errors import QueueError
from queue_protocol.messages import CLOSE_REFUSED, encode
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.domain import commands as c

Fields = dict[str, Any]
Body = dict[str, Any]

NOTICE_AUDIENCE = frozenset({"display", "public"})  # hall screens, Qt and web
MAX_NOTICE_MINUTES = 12 * 60


class SupervisorDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def ack_alert(self, conn: Connection, f: Fields) -> Body:
        alert_id = f["alert"]
        await self.ctx.engine.submit(c.AcknowledgeAlert(actor=conn.actor, alert_id=alert_id))
        alert = self.ctx.state.alerts.get(alert_id)
        await self.ctx.accounts.audit(conn.actor, "alert_acknowledged", f"{alert_id} {alert.key}")
        return {"alert": alert_id}

    async def hall_notice(self, conn: Connection, f: Fields) -> Body:
        """A scrolling line on every hall screen until it expires (0 minutes: take it down)."""
        minutes = f["minutes"]
        if not 0 <= minutes <= MAX_NOTICE_MINUTES:
            raise QueueError("bad_request", f"minutes must be 0 to {MAX_NOTICE_MINUTES}")
        until = self.ctx.clock() + 60 * minutes
        notice = {"type": "notice", "text": f["text"], "until": until if minutes else None}
        self.ctx.hall_notice = notice if minutes else None
        self.ctx.hub.broadcast(encode(notice), NOTICE_AUDIENCE)
        await self.ctx.accounts.audit(conn.actor, "hall_notice", f"{minutes} min: {f['text']}")
        return {"until": notice["until"]}

    async def close_service(self, conn: Connection, f: Fields) -> Body:
        """No more numbers for this service today (the queue still waiting is served)."""
        await self.ctx.engine.submit(c.CloseServiceForDay(actor=conn.actor, service=f["service"]))
        await self.ctx.accounts.audit(conn.actor, "service_closed_for_day", f["service"])
        return {"service": f["service"]}

    async def open_service(self, conn: Connection, f: Fields) -> Body:
        await self.ctx.engine.submit(c.ReopenService(actor=conn.actor, service=f["service"]))
        await self.ctx.accounts.audit(conn.actor, "service_reopened", f["service"])
        return {"service": f["service"]}

    async def suggest_service(self, conn: Connection, f: Fields) -> Body:
        """Ask a counter to also serve a service for now; without one, withdraw it."""
        counter, service = f["counter"], f.get("service") or ""
        await self.ctx.engine.submit(
            c.SuggestService(actor=conn.actor, counter=counter, service=service)
        )
        await self.ctx.accounts.audit(
            conn.actor, "service_suggested", f"counter {counter}: {service or '-'}"
        )
        return {"counter": counter, "service": service or None}

    async def end_session(self, conn: Connection, f: Fields) -> Body:
        """An officer who walked away signed in: their sessions end, their consoles are
        disconnected, and their idle counters close (a counter serving someone stays)."""
        officer = f["officer"]
        if officer not in {a.username for a in await self.ctx.accounts.users()}:
            raise QueueError("unknown_officer", officer)
        ended = await self.ctx.accounts.end_sessions(officer)
        err = QueueError("unauthorized", "a supervisor ended the session; sign in again")
        for other in [x for x in self.ctx.hub.connections if x.token and x.actor == officer]:
            other.send(encode({"type": "error", "error": err.to_dict()}))
            await other.close(CLOSE_REFUSED, b"unauthorized")
        closed = []
        for number, cs in self.ctx.state.counters.items():
            if cs.officer == officer and cs.ticket_id is None and not cs.held:
                await self.ctx.engine.submit(c.CloseCounter(actor=conn.actor, counter=number))
                closed.append(number)
        await self.ctx.accounts.audit(
            conn.actor, "session_ended", f"{officer}: {ended} sessions, counters {closed}"
        )
        return {"officer": officer, "sessions": ended, "closed_counters": closed}

    async def alert_limits(self, conn: Connection, f: Fields) -> Body:
        """Change thresholds for the rest of the day (tomorrow `[alerts]` applies again)."""
        await self.ctx.engine.submit(c.SetAlertLimits(actor=conn.actor, **f))
        limits = self.ctx.state.alert_limits
        now = {
            "longest_wait_minutes": limits.longest_wait_minutes,
            "waiting_count": limits.waiting_count,
            "device_offline_seconds": limits.device_offline_seconds,
        }
        await self.ctx.accounts.audit(conn.actor, "alert_limits", str(now))
        self.ctx.alerts.poke()
        return {"limits": now}
