"""What an officer's console asks about dossiers: receive one (the server gives its code,
counts the return date and links it to the ticket being served), fetch one for a
reprint, and record each slip printed (the audit tells a reprint from the first print).

The dossier is kept in the built-in store whatever `[dossiers] source` says: the slip,
the reprint audit and the link to the ticket are the centre's own records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.core.ratelimit import RateLimit
from queue_server.domain import commands as c
from queue_server.domain.booking import normalize_phone
from queue_server.domain.dossiers import Dossier, DossierStatus, normalize_code, return_date
from queue_server.dossiers.desk import DossierDesk
from vntext import nfc

SLIP_KINDS = ("phieu_hen", "phieu_nhan")
log = logging.getLogger(__name__)


def slip_fields(d: Dossier) -> dict[str, Any]:
    """What the console puts on paper (dates as ISO text)."""
    return {
        "code": d.code,
        "procedure_code": d.procedure_code,
        "procedure_name": d.procedure_name,
        "citizen_name": d.citizen_name,
        "documents": list(d.documents),
        "received_on": d.received_on.isoformat(),
        "due_on": d.due_on.isoformat(),
        "officer": d.officer,
        "counter": d.counter,
        "ticket_id": d.ticket_id,
    }


class DossierCounterDesk:
    def __init__(self, ctx: ServerContext, dossiers: DossierDesk) -> None:
        self.ctx, self.dossiers = ctx, dossiers
        # refused look-ups per kiosk: a kiosk serves many citizens, so more than a browser
        self.kiosk_limit = RateLimit(3 * dossiers.config.lookups_per_hour)

    async def lookup(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`dossier_lookup` (kiosk): code (typed or scanned) + the phone's last 4 digits →
        what the web page shows; the same refusals (`dossier_not_found` for any wrong
        pair, `dossier_unavailable` "thử lại sau" when the province system is slow)."""
        now = time.monotonic()
        if self.kiosk_limit.full(conn.actor, now):
            raise QueueError("too_many_requests")
        try:
            dossier = await self.dossiers.check(fields["code"], fields["phone4"])
        except QueueError as err:
            if err.code in ("dossier_not_found", "bad_dossier_code"):
                self.kiosk_limit.allow(conn.actor, now)
            raise
        return {"dossier": self.dossiers.citizen_view(dossier, self.ctx.config, self._today())}

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.ctx.clock(), self.ctx.config.site.tz).date()

    async def receive(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`dossier_receive`: procedure, citizen_name, phone[, documents]."""
        config = self.ctx.config
        procedure = config.procedures.get(fields["procedure"])
        if procedure is None:
            raise QueueError("unknown_procedure", str(fields["procedure"])[:40])
        name = nfc(fields["citizen_name"]).strip()
        if not 2 <= len(name) <= 100:
            raise QueueError("bad_name")
        phone = normalize_phone(fields["phone"])
        documents = fields.get("documents")
        if documents is None:
            documents = [doc.name for doc in procedure.documents]
        if not isinstance(documents, list) or not all(
            isinstance(d, str) and 0 < len(d.strip()) <= 200 for d in documents
        ):
            raise QueueError("bad_request", "documents: a list of texts")
        counter = self.ctx.state.counters.get(conn.counter) if conn.counter else None
        today = self._today()
        base = Dossier(
            code="",
            procedure_code=procedure.code,
            procedure_name=procedure.name,
            citizen_name=name,
            phone=phone,
            status=DossierStatus.RECEIVED,
            received_on=today,
            due_on=return_date(today, procedure.processing_days, config.site.holidays),
            documents=tuple(nfc(d).strip() for d in documents),
            officer=(counter.officer_name or conn.actor) if counter else conn.actor,
            counter=conn.counter,
            ticket_id=counter.ticket_id if counter else None,
            updated_at=self.ctx.clock(),
        )
        prefix = f"{self.dossiers.config.code_prefix}-{today.strftime('%y%m%d')}"
        dossier = await self.dossiers.builtin.receive(
            prefix, lambda code: dataclasses.replace(base, code=code)
        )
        if conn.counter is not None:  # the event the report reads: service time per procedure
            try:
                await self.ctx.engine.submit(
                    c.LinkDossier(
                        actor=conn.actor,
                        counter=conn.counter,
                        procedure=procedure.code,
                        dossier=dossier.code,
                    )
                )
            except QueueError as err:  # the dossier and its slip stand; the figure misses it
                log.warning("dossier %s not linked in the log: %s", dossier.code, err.code)
        return {"dossier": slip_fields(dossier)}

    async def procedures(self, conn: Connection, _fields: dict[str, Any]) -> dict[str, Any]:
        """`dossier_procedures`: what this counter receives — the procedures of its
        services, each with its documents (the officer ticks those handed in)."""
        config = self.ctx.config
        counter = config.counters.get(conn.counter) if conn.counter is not None else None
        services = set(counter.all_services) if counter is not None else set()
        return {
            "procedures": [
                {
                    "code": p.code,
                    "name": p.name,
                    "service": p.service,
                    "processing_days": p.processing_days,
                    "documents": [d.name for d in p.documents],
                }
                for p in config.procedures.values()
                if p.service in services
            ]
        }

    async def get(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`dossier_get`: a dossier received here, for a reprint."""
        dossier = await self.dossiers.builtin.find(normalize_code(fields["code"]))
        if dossier is None:
            raise QueueError("dossier_not_found")
        printed: dict[str, int] = {}
        for p in await self.dossiers.builtin.prints(dossier.code):
            printed[p["kind"]] = printed.get(p["kind"], 0) + 1
        return {"dossier": slip_fields(dossier), "printed": printed}

    async def printed(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        """`dossier_printed`: one slip went to paper; the answer says if it was a reprint."""
        kind = fields["kind"]
        if kind not in SLIP_KINDS:
            raise QueueError("bad_request", f"kind: one of {', '.join(SLIP_KINDS)}")
        code = normalize_code(fields["code"])
        if await self.dossiers.builtin.find(code) is None:
            raise QueueError("dossier_not_found")
        reprint = await self.dossiers.builtin.record_print(
            code, kind, conn.actor, conn.counter, self.ctx.clock()
        )
        return {"code": code, "kind": kind, "reprint": reprint}
