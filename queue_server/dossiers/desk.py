"""What the web page, the SMS look-up and the kiosk call: one dossier source, chosen in
`[dossiers]`, and the check a citizen must pass (code + last four phone digits)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from queue_server.core.store import Store
from queue_server.domain.config import SiteConfig
from queue_server.domain.dossier_config import DossierConfig
from queue_server.domain.dossiers import (
    DATE_FORMAT,
    Dossier,
    DossierStatus,
    check_phone_digits,
    normalize_code,
)
from queue_server.dossiers.base import DossierLookup
from queue_server.dossiers.builtin import BuiltinDossiers
from queue_server.dossiers.http import HttpDossiers


class DossierDesk:
    """`builtin` always exists (the counter's own records and the print audit);
    `source` is where citizens' look-ups go."""

    def __init__(
        self,
        config: DossierConfig,
        store_of: Callable[[], Store],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.builtin = BuiltinDossiers(store_of)
        self.source: DossierLookup = (
            HttpDossiers(config.http, clock) if config.http is not None else self.builtin
        )

    async def find(self, code_text: str) -> Dossier | None:
        """By code alone: for staff and for the SMS reply (sent only to the phone on it)."""
        return await self.source.find(normalize_code(code_text))

    async def check(self, code_text: str, phone_digits: str) -> Dossier:
        """The dossier for a citizen who knows its code and the phone's last 4 digits;
        `dossier_not_found` for any wrong pair, `dossier_unavailable` when the source
        cannot answer now."""
        code = normalize_code(code_text)
        if len(phone_digits.strip()) != 4 or not phone_digits.strip().isdigit():
            check_phone_digits(None, phone_digits)  # the same refusal as a wrong pair
        return check_phone_digits(await self.source.find(code), phone_digits)

    def citizen_view(self, dossier: Dossier, site: SiteConfig, today: dt.date) -> dict[str, Any]:
        """What a citizen who passed the check sees (the page, the kiosk): the procedure,
        the state and the dates — never the name or the phone. A dossier ready for pickup
        names the result-return service (`[dossiers] result_service`)."""
        shown = dossier.shown_status(today)
        wanted = self.config.result_service
        service = site.services.get(wanted) if wanted else None
        return {
            "code": dossier.code,
            "procedure": dossier.procedure_name,
            "status": shown.value,
            "status_text": dossier.status_text(today, "vi"),
            "status_text_en": dossier.status_text(today, "en"),
            "received_on": dossier.received_on.strftime(DATE_FORMAT),
            "due_on": dossier.due_on.strftime(DATE_FORMAT),
            "result_service": (
                {"id": service.id, "name": service.name, "name_en": service.name_en}
                if service is not None and shown is DossierStatus.READY
                else None
            ),
        }

    async def close(self) -> None:
        await self.source.close()
