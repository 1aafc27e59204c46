"""The citizens' pages: booking, cancelling, tracking a ticket, and the hall in a browser.

Plain HTML rendered here (Vietnamese at the usual paths, English under `/en/`),
small scripts and one stylesheet from `static/`, the Noto Sans font from
`assets/fonts`, the hall's voice built by `announce`: nothing comes
from outside the server, so the pages work on a network with no internet.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
import string
from pathlib import Path
from typing import Any

from aiohttp import web

import assets
from queue_protocol.errors import ERRORS, QueueError
from queue_server.core.context import ServerContext
from queue_server.domain.booking import normalize_code
from queue_server.domain.config import VOICE_STYLES, SiteConfig
from queue_server.domain.hours import business_day
from queue_server.web.booking import BookingDesk
from queue_server.web.tracking import Tracker
from vntext import fold

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
FONT_DIR = assets.FONTS
_NUMBER = re.compile(r"[A-Z]{0,2}\d{1,6}")

TEXT_DIR = HERE / "texts"
LANGUAGES = ("vi", "en")
# The pages' words per language (`texts/vi.json`, `texts/en.json`): the same keys in each.
TEXT: dict[str, dict[str, str]] = {
    lang: json.loads((TEXT_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES
}

PATHS = {
    "vi": {
        "booking": "/dat-lich",
        "cancel": "/dat-lich/huy",
        "track": "/t",
        "report": "/bao-cao",
        "floor": "/giam-sat",
        "rating": "/danh-gia",
        "messages": "/tin-nhan",
        "admin": "/quan-tri",
    },
    "en": {
        "booking": "/en/booking",
        "cancel": "/en/booking/cancel",
        "track": "/en/t",
        "report": "/en/report",
        "floor": "/en/floor",
        "rating": "/en/rating",
        "messages": "/en/messages",
        "admin": "/en/admin",
    },
}


@functools.cache
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def _signin(lang: str, heading: str) -> str:
    """The staff pages' one sign-in form (report, outbox, floor; static/common.js
    `staffSignIn` drives it), under the page's own heading."""
    t = TEXT[lang]
    return _template("signin.html").substitute(
        heading=_esc(t[heading]),
        username=_esc(t["username"]),
        password=_esc(t["password"]),
        sign_in=_esc(t["sign_in"]),
    )


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# Characters the HTML parser reads inside a <script> element ("</script>", "<!--" with
# "<script" switch its states) or that old JavaScript engines end a line at: written as
# \u escapes, which JSON.parse reads back as the same characters.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element, whatever text it carries."""
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


class Pages:
    def __init__(self, ctx: ServerContext, desk: BookingDesk, tracker: Tracker) -> None:
        self.ctx, self.desk, self.tracker = ctx, desk, tracker

    @property
    def config(self) -> SiteConfig:
        return self.ctx.config  # changes live (/quan-tri)

    def _page(
        self,
        lang: str,
        template: str,
        title: str,
        other: str,
        body: dict[str, str],
        data: dict[str, Any],
    ) -> web.Response:
        t = TEXT[lang]
        site = self.config.site
        content = _template(template).substitute({k: _esc(v) for k, v in t.items()} | body)
        page = _template("page.html").substitute(
            lang=lang,
            title=_esc(title),
            site=_esc(site.name if lang == "vi" else site.name_en),
            skip=_esc(t["skip"]),
            other=_esc(other),
            other_label=_esc(t["lang_switch"]),
            other_lang=t["lang_switch_lang"],
            content=content,
            data=_script_json({"lang": lang, "text": t, "paths": PATHS[lang], **data}),
            script=template.removesuffix(".html"),
        )
        return web.Response(
            text=page,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
        )

    # ----- booking ------------------------------------------------------------

    async def booking(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        t, options = TEXT[lang], self.desk.options(self.ctx.clock())
        name = "name" if lang == "vi" else "name_en"
        sectors = []
        for sector in options["sectors"]:
            services = [s for s in options["services"] if s["sector"] == sector["id"]]
            if not services:
                continue
            words = {
                s["id"]: fold(" ".join((s["name"], s["name_en"], sector["name"]))) for s in services
            }
            items = "".join(
                f'<li data-search="{_esc(words[s["id"]])}">'
                f'<input type="radio" name="service" id="svc-{_esc(s["id"])}" '
                f'value="{_esc(s["id"])}" data-cccd="{int(s["needs_cccd"])}">'
                f'<label for="svc-{_esc(s["id"])}">{_esc(s[name])}</label></li>'
                for s in services
            )
            sectors.append(
                f'<li class="sector"><h3>{_esc(sector[name])}</h3>'
                f'<ul class="choices">{items}</ul></li>'
            )
        weekday = "weekday" if lang == "vi" else "weekday_en"
        days = "".join(
            f'<li><input type="radio" name="day" id="day-{d["day"]}" value="{d["day"]}">'
            f'<label for="day-{d["day"]}"><span>{_esc(d[weekday])}</span> '
            f"<strong>{d['label']}</strong></label></li>"
            for d in options["days"]
        )
        notice = options["notice"]
        return self._page(
            lang,
            "booking.html",
            t["booking_title"],
            PATHS[_other(lang)]["booking"],
            {
                "sectors": "".join(sectors),
                "days": days,
                "notice": _esc(notice[lang]),
                "notice_version": _esc(notice["version"]),
            },
            {
                "notice_version": notice["version"],
                # the same sentences the server answers with, checked as the citizen types
                "field_errors": {
                    code: ERRORS[code].vi if lang == "vi" else ERRORS[code].en
                    for code in ("bad_name", "bad_phone", "bad_cccd", "consent_required")
                },
            },
        )

    async def cancel(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        try:
            code = normalize_code(request.match_info["code"])
        except QueueError:
            raise web.HTTPNotFound() from None
        other = f"{PATHS[_other(lang)]['cancel']}/{code}"
        return self._page(
            lang,
            "cancel.html",
            TEXT[lang]["cancel_title"],
            other,
            {"code": _esc(f"{code[:4]}-{code[4:]}")},
            {"code": code},
        )

    # ----- tracking -----------------------------------------------------------

    async def track(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        public_id = request.match_info["public_id"][:64]
        state = self.ctx.state
        ticket = state.ticket_by_public_id(public_id)
        view = self.tracker.view(state, ticket) if ticket else None
        if view is None:
            row = await self.ctx.store.ticket_by_public_id(public_id)
            if row is not None:
                view = {
                    "number": row["number"],
                    "status": row["status"],
                    "ahead": 0,
                    "service_name": self.config.services[row["service"]].name
                    if row["service"] in self.config.services
                    else row["service"],
                    "counter": row["counter"],
                    "old": True,
                }
        other = f"{PATHS[_other(lang)]['track']}/{public_id}"
        policy = self.config.messaging
        choices = "".join(
            f'<li><input type="radio" name="ahead" id="ahead-{n}" value="{n}"'
            f'{" checked" if n == policy.default_near else ""}><label for="ahead-{n}">'
            f"{_esc(TEXT[lang]['notify_ahead'].format(n=n))}</label></li>"
            for n in policy.near_thresholds
        )
        return self._page(
            lang,
            "track.html",
            TEXT[lang]["track_title"],
            other,
            {"number": _esc(view["number"] if view else "–"), "notify_choices": choices},
            # the form only where a "your turn is near" message would be sent
            {"public_id": public_id, "ticket": view, "notify": self._notify_offered()},
        )

    def _notify_offered(self) -> bool:
        return self.config.messaging.channel_for("near", "phone") is not None

    # ----- after the service: the rating link of a text message --------------------

    async def rating(self, request: web.Request) -> web.Response:
        """The configured scale as big buttons, best first, green to red like the pad;
        the token in the link is the ticket's, so one rating per ticket is the server's rule."""
        lang = _lang(request)
        token = request.match_info["token"][:128]
        scale = self.config.rating_scale
        buttons = "".join(
            f'<button type="button" class="scale-button" data-rating="{_esc(choice.id)}" '
            f'style="--hue:{_scale_hue(i, len(scale))}">'
            f"{_esc(choice.name_en if lang == 'en' else choice.name)}</button>"
            for i, choice in enumerate(scale)
        )
        names = {c.id: (c.name_en if lang == "en" else c.name) for c in scale}
        return self._page(
            lang,
            "rating.html",
            TEXT[lang]["rate_title"],
            f"{PATHS[_other(lang)]['rating']}/{token}",
            {"scale": buttons},
            {"token": token, "names": names},
        )

    # ----- the supervisors' outbox ---------------------------------------------------

    async def messages(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        return self._page(
            lang,
            "messages.html",
            TEXT[lang]["outbox_title"],
            PATHS[_other(lang)]["messages"],
            {"staff_signin": _signin(lang, "outbox_login")},
            {},
        )

    # ----- the leaders' report ---------------------------------------------------

    async def report(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        today = business_day(self.config.site, self.ctx.clock())
        return self._page(
            lang,
            "report.html",
            TEXT[lang]["report_title"],
            PATHS[_other(lang)]["report"],
            {"today": today, "staff_signin": _signin(lang, "report_login")},
            {"today": today, "timezone": self.config.site.timezone},
        )

    # ----- the supervisor's board ----------------------------------------------

    async def floor(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        return self._page(
            lang,
            "floor.html",
            TEXT[lang]["floor_title"],
            PATHS[_other(lang)]["floor"],
            {"staff_signin": _signin(lang, "floor_login")},
            {},
        )

    async def admin(self, request: web.Request) -> web.Response:
        """The administrator's screen (`web/admin.py` answers its requests)."""
        lang = _lang(request)
        return self._page(
            lang,
            "admin.html",
            TEXT[lang]["admin_title"],
            PATHS[_other(lang)]["admin"],
            {},
            {"year": business_day(self.config.site, self.ctx.clock())[:4]},
        )

    # ----- the hall -------------------------------------------------------------

    async def hall(self, request: web.Request) -> web.Response:
        site = self.config.site
        page = _template("hall.html").substitute(site=_esc(site.name), site_en=_esc(site.name_en))
        return web.Response(
            text=page,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
        )

    async def announcement(self, request: web.Request) -> web.Response:
        number = request.match_info["number"].upper()
        try:
            counter = int(request.match_info["counter"])
        except ValueError:
            raise web.HTTPNotFound() from None
        if not _NUMBER.fullmatch(number) or counter not in self.config.counters:
            raise web.HTTPNotFound()
        # the voice style is in the address (the hall asks with the site's `[hall] voice`),
        # so a browser's cached wave of the other style is never played after a change
        voice = request.query.get("voice") or self.config.hall.voice
        if voice not in VOICE_STYLES:
            raise web.HTTPNotFound()
        wav = await asyncio.to_thread(_announcement_wav, number, counter, voice)
        return web.Response(
            body=wav, content_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"}
        )


@functools.lru_cache(maxsize=32)  # ~330 KB each: a recall or a second hall TV hits it
def _announcement_wav(number: str, counter: int, voice: str = "bac") -> bytes:
    # Imported on the first call: most servers never build a wave themselves (the
    # hall display does), so the idle server does not carry the builder.
    from announce import DEFAULT_VOICE_DIR, build_call_announcement, render_announcement

    call = build_call_announcement(number, counter, style=voice)
    return render_announcement(call, DEFAULT_VOICE_DIR)


# Everything from this server; inline <script type="application/json"> data is not code.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self' ws: wss:; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _scale_hue(index: int, count: int) -> int:
    """Green for the best answer through amber to red for the worst (as on the pad)."""
    return round(120 - 120 * index / max(1, count - 1))


def _lang(request: web.Request) -> str:
    return "en" if request.path.startswith("/en/") else "vi"


def _other(lang: str) -> str:
    return "vi" if lang == "en" else "en"
