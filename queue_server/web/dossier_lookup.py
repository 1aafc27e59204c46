"""`/tra-cuu/ho-so` (English `/en/lookup/dossier`): a citizen asks where a dossier stands.

`POST /api/dossiers/lookup` `{"code", "phone4"}` → the dossier's procedure, state and
dates — never the citizen's name or phone. A wrong code and wrong digits get the same
refusal (`dossier_not_found`); refusals are rate limited per client address
(`[dossiers] lookups_per_hour`), so the four digits cannot be guessed. The province
system not answering in time is `dossier_unavailable` ("Vui lòng thử lại sau"), at
once. A dossier ready for pickup carries the result-return service, which the page
offers as a booking.
"""

from __future__ import annotations

import datetime as dt
import time

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.core.ratelimit import RateLimit
from queue_server.dossiers.desk import DossierDesk
from queue_server.web.pages import TEXT, Pages
from queue_server.web.responses import error_response, json_answer, json_body

PATH = {"vi": "/tra-cuu/ho-so", "en": "/en/lookup/dossier"}


class DossierLookupDesk:
    def __init__(self, ctx: ServerContext, dossiers: DossierDesk, pages: Pages) -> None:
        self.ctx, self.dossiers, self.pages = ctx, dossiers, pages
        self.limit = RateLimit(dossiers.config.lookups_per_hour)

    async def page(self, request: web.Request) -> web.Response:
        lang = "en" if request.path.startswith("/en/") else "vi"
        other = PATH["en" if lang == "vi" else "vi"]
        code = request.query.get("ma", "")[:40]  # the slip's QR opens the page with the code
        return self.pages._page(
            lang, "dossier.html", TEXT[lang]["dossier_title"], other, {}, {"code": code}
        )

    async def post_lookup(self, request: web.Request) -> web.Response:
        client, now = request.remote or "?", time.monotonic()
        if self.limit.full(client, now):
            return error_response(QueueError("too_many_requests"))
        try:
            body = await json_body(request)
            code, digits = body.get("code"), body.get("phone4")
            if not isinstance(code, str) or not isinstance(digits, str):
                raise QueueError("bad_request", "code and phone4 are text")
            dossier = await self.dossiers.check(code, digits)
        except QueueError as err:
            if err.code in ("dossier_not_found", "bad_dossier_code"):
                self.limit.allow(client, now)  # only refusals count: guesses, not checks
            return error_response(err)
        config = self.ctx.config
        today = dt.datetime.fromtimestamp(self.ctx.clock(), config.site.tz).date()
        return json_answer(self.dossiers.citizen_view(dossier, config, today))


def routes(desk: DossierLookupDesk) -> list[web.AbstractRouteDef]:
    return [
        web.get(PATH["vi"], desk.page),
        web.get(PATH["en"], desk.page),
        web.post("/api/dossiers/lookup", desk.post_lookup),
    ]
