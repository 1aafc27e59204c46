"""Administrative procedures (thủ tục hành chính): what a citizen brings, how long it takes.

A procedure is identified by its code in the national procedure database (e.g.
`1.001234`) and is received by one service (queue) of the site. The catalogue is read
from a documented file (see `procedure_import`, issue 16) into these frozen records;
search, the kiosk's guide screens, the `/tra-cuu` page and the counter's appointment
slips (phiếu hẹn: the return date is `processing_days` working days after receipt) all
read the same records. Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One paper to bring: its name and how many originals and copies."""

    name: str
    name_en: str = ""
    originals: int = 0
    copies: int = 1
    note: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str  # national procedure code, e.g. "1.001234"
    name: str  # Vietnamese, NFC
    name_en: str
    sector: str  # lĩnh vực, e.g. "Hộ tịch"
    service: str  # the id of the service (queue) that receives it, from the site config
    documents: tuple[Document, ...] = ()
    processing_days: int = 0  # working days from receipt to result; 0 = the same day
    fees: str = ""  # as shown to the citizen, e.g. "Miễn phí" or "8.000 đồng/bản"
    legal_basis: str = ""
    where: str = ""  # where to submit
    online_url: str = ""  # online submission (Cổng Dịch vụ công), may be empty
    keywords: tuple[str, ...] = field(default=())  # everyday words a citizen types
    fees_en: str = ""  # the fees in English ("" when the same as `fees`, e.g. a number)
    where_en: str = ""


class Catalogue(Mapping[str, Procedure]):
    """The site's procedures by code, in file order."""

    def __init__(self, procedures: Iterable[Procedure] = ()) -> None:
        self._by_code: dict[str, Procedure] = {}
        for p in procedures:
            if p.code in self._by_code:
                raise ValueError(f"procedure {p.code} appears twice")
            self._by_code[p.code] = p

    def __getitem__(self, code: str) -> Procedure:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def for_service(self, service: str) -> list[Procedure]:
        return [p for p in self._by_code.values() if p.service == service]
