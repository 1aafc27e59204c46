"""The kiosk's side of the one search (issues 12 and 16), without Qt.

`ServerSearch` asks the server (`search` over the kiosk's websocket) what a citizen
typed and keeps the latest answer: services for the "Tìm thủ tục" page, procedures
(their guides) for "Tra cứu thủ tục". An answer to a query the citizen has typed past
is dropped. `guide_slip` turns a procedure's guide into what "In hướng dẫn" prints.
The kiosk never searches on its own: folding, Telex, VNI, synonyms and ranking are the
server's (`vntext.search`), so kiosk, booking page and `/tra-cuu` agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.text import tr
from printer.guide_slip import GuideItem, GuideSlip
from queue_protocol.client import ClientError, NotConnected, QueueClient, RequestTimeout
from vntext import fold

log = logging.getLogger(__name__)

LIMIT = 20
GUIDE_PATH = "/tra-cuu/thu-tuc/"
GUIDE_PATH_EN = "/en/lookup/procedure/"


@dataclass(frozen=True)
class Found:
    query: str
    services: tuple[str, ...]
    procedures: tuple[dict[str, Any], ...]


class ServerSearch:
    def __init__(
        self,
        client: QueueClient,
        changed: Callable[[], None],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
    ) -> None:
        self.client, self._changed, self._spawn = client, changed, spawn
        self.asked = ""  # the latest query sent
        self.found: Found | None = None  # the latest answer
        self.failed = False  # the latest query got no answer

    @property
    def waiting(self) -> bool:
        return bool(fold(self.asked)) and self.answer(self.asked) is None and not self.failed

    def ask(self, query: str) -> None:
        self.asked, self.failed = query, False
        if fold(query):
            self._spawn(self._ask(query))

    def answer(self, query: str) -> Found | None:
        """The server's answer to `query`, once it came."""
        return self.found if self.found is not None and self.found.query == query else None

    def clear(self) -> None:
        self.asked, self.found, self.failed = "", None, False

    async def _ask(self, query: str) -> None:
        try:
            answer = await self.client.request("search", query=query, limit=LIMIT)
        except (ClientError, NotConnected, RequestTimeout) as exc:
            log.warning("search %r not answered: %s", query, exc)
            if query == self.asked:
                self.failed = True
                self._changed()
            return
        if query != self.asked:
            return  # the citizen has typed on meanwhile
        self.found = Found(
            query,
            tuple(s["id"] for s in answer.get("services", [])),
            tuple(answer.get("procedures", [])),
        )
        self._changed()


def days_text(days: int, lang: str) -> str:
    if days <= 1:
        return tr("guide_same_day" if days == 0 else "guide_days_1", lang)
    return tr("guide_days_n", lang, n=days)


def amount_text(originals: int, copies: int, lang: str) -> str:
    parts = []
    if originals:
        parts.append(tr("guide_originals", lang, n=originals))
    if copies:
        parts.append(tr("guide_copies", lang, n=copies))
    return ", ".join(parts) or tr("guide_show_only", lang)


def guide_url(procedure: dict[str, Any], public_base: str, lang: str) -> str:
    """The guide online: the server's public address when it gave one, else the
    address this kiosk reaches it by."""
    if procedure.get("guide_url") and lang == "vi":
        return str(procedure["guide_url"])
    if procedure.get("guide_url_en") and lang == "en":
        return str(procedure["guide_url_en"])
    return f"{public_base}{GUIDE_PATH_EN if lang == 'en' else GUIDE_PATH}{procedure['code']}"


def guide_slip(
    procedure: dict[str, Any], centre: str, url: str, lang: str, now: datetime
) -> GuideSlip:
    """What "In hướng dẫn" prints, in the citizen's language (the other one's name of
    the procedure under the title)."""
    en = lang == "en"
    name, other = (
        (procedure["name_en"], procedure["name"])
        if en
        else (
            procedure["name"],
            procedure["name_en"],
        )
    )
    facts = (
        tr("guide_service", lang, service=procedure["service_name_en" if en else "service_name"]),
        tr("guide_days", lang, days=days_text(procedure["processing_days"], lang)),
        tr("guide_fees", lang, fees=procedure["fees_en" if en else "fees"]),
    )
    items = tuple(
        GuideItem(
            d["name_en"] if en else d["name"],
            amount_text(d["originals"], d["copies"], lang),
            "" if en else d.get("note", ""),
        )
        for d in procedure["documents"]
    )
    return GuideSlip(
        centre_name=centre,
        title=tr("guide_slip_title", lang),
        procedure_name=name,
        procedure_code=tr("guide_code", lang, code=procedure["code"]),
        facts=facts,
        documents_title=tr("guide_documents", lang).upper(),
        documents=items,
        guide_url=url,
        qr_caption=tr("guide_qr", lang),
        footer=tr(
            "guide_printed_at", lang, time=now.strftime("%H:%M"), date=now.strftime("%d/%m/%Y")
        ),
        subtitle=tr("guide_slip_title", "vi" if en else "en"),
        procedure_other=other if other != name else "",
    )
