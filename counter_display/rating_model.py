"""The rating pad's brain: asyncio only, no Qt.

Idle until a ticket is finished at its counter (`ticket_done`, status `done`); then
it asks, sends one `rate` for that number, thanks, and goes back to idle after a
while. Taps after the first are ignored; a refusal (e.g. `already_rated`) is shown
with the server's polite message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from counter_display.common import REQUEST_TROUBLE, LiveModel, error_text
from queue_protocol.client import ClientError, QueueClient

QUESTION = (
    "Ông/Bà có hài lòng với việc giải quyết hồ sơ?",
    "Are you satisfied with how your application was handled?",
)
THANKS = ("Xin cảm ơn Ông/Bà!", "Thank you!")
DEFAULT_SCALE = (
    {"id": "rat-hai-long", "name": "Rất hài lòng", "name_en": "Very satisfied"},
    {"id": "hai-long", "name": "Hài lòng", "name_en": "Satisfied"},
    {"id": "binh-thuong", "name": "Bình thường", "name_en": "Neutral"},
    {"id": "khong-hai-long", "name": "Không hài lòng", "name_en": "Dissatisfied"},
)


class RatingModel(LiveModel):
    """phase: idle → asking → sending → thanks (or refused) → idle."""

    def __init__(
        self,
        number: int,
        client: QueueClient | None = None,
        *,
        ask_seconds: float = 60.0,
        thanks_seconds: float = 6.0,
    ) -> None:
        self.number = number
        self.ask_seconds, self.thanks_seconds = ask_seconds, thanks_seconds
        self.phase = "idle"
        self.ticket: str | None = None
        self.message: str | None = None  # a refusal or a connection problem
        self.counter_name = f"Quầy {number}"
        self.scale: list[dict[str, Any]] = list(DEFAULT_SCALE)
        self._timer: asyncio.TimerHandle | None = None
        self._sending: asyncio.Task[None] | None = None
        super().__init__(client)

    def apply_config(self, config: dict[str, Any]) -> None:
        self.scale = list(config.get("rating_scale") or self.scale)

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        self.scale = list(welcome.get("rating_scale") or DEFAULT_SCALE)
        self.counter_name = (welcome.get("counter") or {}).get("name") or self.counter_name

    def on_ticket_done(self, event: dict[str, Any]) -> bool:
        if event.get("status") != "done" or event.get("counter") != self.number:
            return False
        if self.phase == "sending":
            return False  # the citizen at the pad is answering; the next one waits
        self.phase, self.ticket, self.message = "asking", event["number"], None
        self._later(self.ask_seconds)
        return True

    def rate(self, rating: str) -> asyncio.Task[None] | None:
        """The citizen tapped `rating`: send it once (later taps are ignored)."""
        if self.phase != "asking" or self.client is None:
            return None
        self.phase, self.message = "sending", None
        self._cancel_timer()
        self.changed()
        self._sending = asyncio.create_task(self._send(self.ticket or "", rating))
        return self._sending

    async def _send(self, ticket: str, rating: str) -> None:
        assert self.client is not None
        try:
            await self.client.rate(ticket, rating)
        except ClientError as exc:
            self.phase, self.message = "refused", error_text(exc)
            self._later(self.thanks_seconds)
        except REQUEST_TROUBLE as exc:  # no answer: let the citizen tap again
            self.phase, self.message = "asking", error_text(exc)
            self._later(self.ask_seconds)
        else:
            self.phase = "thanks"
            self._later(self.thanks_seconds)
        self.changed()

    def _later(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._to_idle)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _to_idle(self) -> None:
        self._timer = None
        self.phase, self.ticket, self.message = "idle", None, None
        self.changed()
