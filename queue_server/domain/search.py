"""The site's one search (issues 12 and 16): services and procedures, as citizens type.

Built once from the site config and its procedure catalogue; the kiosk (websocket
`search`), the booking page and `/tra-cuu` (`GET /api/search`) all ask this. The
matching itself — folding, Telex/VNI, i/y, one typo, synonyms, ranking — is
`vntext.search`. A service is found by its own name and sector and by the names and
keywords of the procedures it receives, so "giấy khai sinh" finds the civil-status
desk. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.domain.config import SiteConfig
from queue_server.domain.procedures import Catalogue, Procedure
from vntext.search import Entry, Index

LIMIT = 20
MAX_QUERY = 200
MAX_LIMIT = 50


@dataclass(frozen=True)
class Found:
    """What one query finds: service ids and procedures, best first."""

    services: tuple[str, ...]
    procedures: tuple[Procedure, ...]


class SiteSearch:
    def __init__(self, config: SiteConfig, catalogue: Catalogue | None = None) -> None:
        catalogue = config.procedures if catalogue is None else catalogue
        self.catalogue = catalogue
        synonyms = config.search.synonyms
        sectors = config.sectors
        by_service: dict[str, list[Procedure]] = {}
        for p in catalogue.values():
            by_service.setdefault(p.service, []).append(p)
        self.services = Index(
            (
                Entry(
                    key=s.id,
                    name=s.name,
                    name_en=s.name_en,
                    keywords=tuple(
                        text for p in by_service.get(s.id, ()) for text in (p.name, *p.keywords)
                    ),
                    sector=" ".join(
                        (sectors[s.sector].name, sectors[s.sector].name_en)
                        if s.sector in sectors
                        else ()
                    ),
                    documents=tuple(p.name_en for p in by_service.get(s.id, ())),
                )
                for s in config.services.values()
            ),
            synonyms,
        )
        self.procedures = Index(
            (
                Entry(
                    key=p.code,
                    name=p.name,
                    name_en=p.name_en,
                    keywords=p.keywords,
                    sector=p.sector,
                    documents=tuple(d.name for d in p.documents),
                    codes=(p.code, p.code.split(".")[-1]),
                )
                for p in catalogue.values()
            ),
            synonyms,
        )

    def find(self, query: str, limit: int = LIMIT) -> Found:
        services = tuple(h.key for h in self.services.search(query, limit))
        codes = [h.key for h in self.procedures.search(query, limit)]
        return Found(services, tuple(self.catalogue[c] for c in codes))


def procedure_view(p: Procedure, config: SiteConfig) -> dict[str, Any]:
    """A procedure's guide as the kiosk, the pages and the API send it."""
    service = config.services.get(p.service)
    sector = config.sectors.get(service.sector) if service else None
    base = config.messaging.public_url
    return {
        "code": p.code,
        "name": p.name,
        "name_en": p.name_en,
        "sector": p.sector,
        "sector_en": sector.name_en if sector else p.sector,
        "service": p.service,
        "service_name": service.name if service else p.service,
        "service_name_en": service.name_en if service else p.service,
        "documents": [
            {
                "name": d.name,
                "name_en": d.name_en,
                "originals": d.originals,
                "copies": d.copies,
                "note": d.note,
            }
            for d in p.documents
        ],
        "processing_days": p.processing_days,
        "fees": p.fees,
        "fees_en": p.fees_en or p.fees,
        "legal_basis": p.legal_basis,
        "where": p.where,
        "where_en": p.where_en or p.where,
        "online_url": p.online_url,
        # the guide online, for the QR the kiosk prints ("" without a public address)
        "guide_url": f"{base}/tra-cuu/thu-tuc/{p.code}" if base else "",
        "guide_url_en": f"{base}/en/lookup/procedure/{p.code}" if base else "",
    }


def found_view(found: Found, config: SiteConfig) -> dict[str, Any]:
    """The answer to a search: services (id and names) and procedures (their guides)."""
    services = [config.services[s] for s in found.services]
    return {
        "services": [
            {"id": s.id, "name": s.name, "name_en": s.name_en, "sector": s.sector} for s in services
        ],
        "procedures": [procedure_view(p, config) for p in found.procedures],
    }


def clamp_limit(value: Any, default: int = LIMIT) -> int:
    """How many results were asked for: a whole number from 1, at most `MAX_LIMIT`."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QueueError("bad_request", "limit must be a whole number from 1")
    return min(value, MAX_LIMIT)


def check_query(query: str) -> str:
    if len(query) > MAX_QUERY:
        raise QueueError("bad_request", f"the query is longer than {MAX_QUERY} characters")
    return query
