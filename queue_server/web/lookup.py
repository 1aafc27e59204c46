"""Looking procedures up (issue 16): `/tra-cuu` (English `/en/lookup`), a procedure's
guide page, and the JSON behind them and the booking page's service search
(`GET /api/search`, `GET /api/procedures/{code}`).

The pages are rendered here whole (a phone with scripts off still searches: the form
is a plain GET); `static/lookup.js` then answers as the citizen types. Every answer
comes from the site's one search (`ctx.site_search`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.domain.procedures import Procedure
from queue_server.domain.search import check_query, clamp_limit, found_view, procedure_view
from queue_server.web.api import json_response
from queue_server.web.pages import TEXT, Pages, _esc, _lang, _other
from queue_server.web.responses import error_response

PATHS = {
    "vi": {"lookup": "/tra-cuu", "guide": "/tra-cuu/thu-tuc", "booking": "/dat-lich"},
    "en": {"lookup": "/en/lookup", "guide": "/en/lookup/procedure", "booking": "/en/booking"},
}
CODE = r"{code:[0-9]{1,2}\.[0-9]{6}}"
RESULTS = 20


def days_text(days: int, lang: str) -> str:
    t = TEXT[lang]
    if days <= 1:
        return t["guide_same_day" if days == 0 else "guide_days_1"]
    return t["guide_days_n"].format(n=days)


def copies_text(originals: int, copies: int, lang: str) -> str:
    t = TEXT[lang]
    parts = []
    if originals:
        parts.append(t["guide_originals"].format(n=originals))
    if copies:
        parts.append(t["guide_copies"].format(n=copies))
    return ", ".join(parts) or t["guide_show_only"]


class Lookup:
    def __init__(self, ctx: ServerContext, pages: Pages) -> None:
        self.ctx, self.pages = ctx, pages

    # ----- JSON ---------------------------------------------------------------

    async def api_search(self, request: web.Request) -> web.Response:
        try:
            query = check_query(request.query.get("q", ""))
            raw = request.query.get("limit")
            limit = clamp_limit(None if raw is None else int(raw) if raw.isdigit() else -1)
        except QueueError as err:
            return error_response(err)
        return json_response(
            found_view((await self.ctx.site_search()).find(query, limit), self.ctx.config)
        )

    async def api_procedure(self, request: web.Request) -> web.Response:
        p = self.ctx.procedures.get(request.match_info["code"])
        if p is None:
            return error_response(QueueError("unknown_procedure"))
        return json_response(procedure_view(p, self.ctx.config))

    # ----- pages ----------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        t, paths = TEXT[lang], PATHS[lang]
        query = request.query.get("q", "")[:200]
        found = (
            (await self.ctx.site_search()).find(query, RESULTS).procedures if query.strip() else ()
        )
        items = "".join(self._item(p, lang) for p in found)
        if query.strip():
            count = t["lookup_count"].format(n=len(found)) if found else t["lookup_none"]
        else:
            count = ""
        other = PATHS[_other(lang)]["lookup"] + (f"?q={_quote(query)}" if query else "")
        return self.pages._page(  # the citizens' one page frame
            lang,
            "lookup.html",
            t["lookup_title"],
            other,
            {
                "action": paths["lookup"],
                "query": _esc(query),
                "count": _esc(count),
                "results": items,
            },
            {"lookup_paths": paths, "procedures": len(self.ctx.procedures)},
        )

    async def guide(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        code = request.match_info["code"]
        p = self.ctx.procedures.get(code)
        if p is None:
            raise web.HTTPNotFound()
        t, paths, en = TEXT[lang], PATHS[lang], lang == "en"
        view = procedure_view(p, self.ctx.config)
        documents = "".join(
            f"<li><strong>{_esc(d['name_en'] if en else d['name'])}</strong>"
            f'<span class="copies">{_esc(copies_text(d["originals"], d["copies"], lang))}</span>'
            + (f'<span class="note">{_esc(d["note"])}</span>' if d["note"] and not en else "")
            + "</li>"
            for d in view["documents"]
        )
        online = (
            f'<p><a href="{_esc(p.online_url)}" rel="noopener">{_esc(t["guide_online"])}</a></p>'
            if p.online_url
            else ""
        )
        return self.pages._page(
            lang,
            "guide.html",
            p.name_en if en else p.name,
            f"{PATHS[_other(lang)]['guide']}/{code}",
            {
                "back_href": paths["lookup"],
                "name": _esc(p.name_en if en else p.name),
                "name_other": _esc(p.name if en else p.name_en),
                "code": _esc(code),
                "sector": _esc(view["sector_en" if en else "sector"]),
                "service": _esc(view["service_name_en" if en else "service_name"]),
                "days": _esc(days_text(p.processing_days, lang)),
                "fees": _esc(view["fees_en" if en else "fees"]),
                "where": _esc(view["where_en" if en else "where"]),
                "legal": _esc(p.legal_basis),
                "documents": documents,
                "online": online,
                "booking_href": f"{paths['booking']}?service={_quote(p.service)}",
            },
            {"code": code},
        )

    def _item(self, p: Procedure, lang: str) -> str:
        en = lang == "en"
        href = f"{PATHS[lang]['guide']}/{p.code}"
        sector = procedure_view(p, self.ctx.config)["sector_en" if en else "sector"]
        meta = f"{sector} · {days_text(p.processing_days, lang)} · {p.code}"
        return (
            f'<li><a href="{_esc(href)}">{_esc(p.name_en if en else p.name)}</a>'
            f'<span class="meta">{_esc(meta)}</span></li>'
        )


def _quote(text: str) -> str:
    return quote(text, safe="")


def routes(lookup: Lookup) -> list[tuple[str, str, Any]]:
    """(Vietnamese path, English path, handler) of the lookup pages."""
    return [
        ("/tra-cuu", "/en/lookup", lookup.page),
        (f"/tra-cuu/thu-tuc/{CODE}", f"/en/lookup/procedure/{CODE}", lookup.guide),
    ]
