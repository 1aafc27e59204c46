"""The one interface every dossier source offers."""

from __future__ import annotations

from typing import Protocol

from queue_server.domain.dossiers import Dossier


class DossierLookup(Protocol):
    """`find` returns the dossier or None; a source that cannot answer now (timeout,
    5xx, a record it cannot read) raises `QueueError("dossier_unavailable")` — never
    hangs longer than its configured timeout."""

    async def find(self, code: str) -> Dossier | None: ...

    async def close(self) -> None: ...
