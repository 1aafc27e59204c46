"""The officer console's brain: asyncio only, no Qt.

It signs the officer in (POST /api/login, then hello as a counter), keeps the
counter, its current ticket and the waiting figures from the welcome and the
events, and runs one action at a time: while a request is in flight `busy` names
it and the view disables the buttons. A refusal leaves the server's Vietnamese
message in `error`. After a reconnect the new welcome replaces everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from counter_display.common import REQUEST_TROUBLE, LiveModel, error_text
from queue_protocol.client import (
    CONNECT_TIMEOUT,
    ClientError,
    NotConnected,
    QueueClient,
    login,
)

log = logging.getLogger(__name__)

ACTIONS = (
    "call_next",
    "recall",
    "no_show",
    "transfer",
    "finish",
    "pause",
    "resume",
    "call_number",
    "requeue",
    "hold",
    "resume_held",
)
NEEDS_TICKET = frozenset({"recall", "no_show", "transfer", "finish", "hold"})
# After these the officer's figures of the day change (call_next and call_number finish
# the ticket still at the counter first).
ENDS_SERVICE = frozenset({"call_next", "no_show", "transfer", "finish", "call_number"})
DONE_TEXT = {
    "call_next": "Đã gọi số {number}.",
    "call_number": "Đã gọi số {number}.",
    "requeue": "Số {number} đã được đưa lại vào hàng chờ.",
    "hold": "Đang giữ số {number} tại quầy; có thể gọi số tiếp.",
    "resume_held": "Tiếp tục phục vụ số {number}.",
    "recall": "Đã gọi lại số {number}.",
    "no_show": "Số {number}: công dân vắng mặt.",
    "transfer": "Đã chuyển số {number}.",
    "finish": "Đã kết thúc số {number}.",
    "pause": "Quầy tạm dừng.",
    "resume": "Quầy tiếp tục phục vụ.",
}


# What a stopped kiosk printer means, in the supervisor board's words (web/texts/vi.json:
# role_kiosk, printer_*).
PRINTER_TEXT = {
    "paper_out": "hết giấy in",
    "cover_open": "máy in đang mở nắp",
    "offline": "máy in mất kết nối",
}


def kiosk_printer_text(kiosk: dict[str, Any]) -> str:
    """The line for one kiosk, e.g. "Ki-ốt lấy số ở sảnh A hết giấy in – …"."""
    where = f"ở {kiosk['place']}" if kiosk.get("place") else str(kiosk.get("device", ""))
    if kiosk.get("silent"):  # not heard from: the whole kiosk, not only its printer
        return f"Ki-ốt lấy số {where} mất kết nối – chưa phát được số thứ tự."
    trouble = PRINTER_TEXT.get(kiosk.get("printer") or "", "máy in gặp sự cố")
    return f"Ki-ốt lấy số {where} {trouble} – chưa in được số thứ tự."


class ConsoleModel(LiveModel):
    def __init__(
        self,
        http_base: str | Sequence[str],
        ws_url: str | Sequence[str],
        *,
        client_factory: Callable[..., QueueClient] = QueueClient,
    ) -> None:
        super().__init__()
        self.http_base, self.ws_url = http_base, ws_url
        self._client_factory = client_factory
        self.phase = "signed_out"  # signing_in, signed_in
        self.username = ""
        self.counter: dict[str, Any] = {}
        self.current: dict[str, Any] | None = None
        self.outcomes: list[dict[str, Any]] = []
        self.pause_reasons: list[dict[str, Any]] = []
        self.upcoming: list[dict[str, Any]] = []  # the next tickets, in call order
        self.held: list[dict[str, Any]] = []  # tickets parked at this counter, in order
        self.found: dict[str, Any] | None = None  # the ticket the officer looked up
        self._acting_on = ""  # the number at the counter when the action started
        self.busy: str | None = None
        self.error: str | None = None
        self.info: str | None = None
        self.my_day: dict[str, Any] | None = None  # this officer's figures today (server's)
        # kiosks of this counter's services whose printer is stopped (`kiosk_printers`)
        self.kiosk_printers: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # -- signing in and out ----------------------------------------------------

    async def sign_in(self, username: str, password: str, counter: int) -> bool:
        if self.phase != "signed_out":
            return False
        self.phase, self.error, self.info = "signing_in", None, None
        self.username = username.strip()
        self.changed()
        try:
            token = await login(self.http_base, self.username, password)
            client = self._client_factory(self.ws_url, role="counter", token=token, counter=counter)
            self.attach(client)
            await client.start()
            await client.wait_connected(CONNECT_TIMEOUT)
        except (ClientError, NotConnected, TimeoutError) as exc:
            await self._drop_client()
            self.phase = "signed_out"
            self.error = (
                error_text(exc) if not isinstance(exc, TimeoutError) else NotConnected.message
            )
            self.changed()
            return False
        self.phase = "signed_in"
        self.changed()
        return True

    async def sign_out(self) -> None:
        """The officer leaves: the counter closes on the server, the console forgets it."""
        if self.client is not None and self.connection == "connected":
            try:
                await self.client.sign_out()
            except REQUEST_TROUBLE as exc:
                log.warning("sign-out not confirmed: %s", exc)
        await self.close()
        self.info = "Đã đăng xuất."
        self.changed()

    async def close(self) -> None:
        """Stop talking to the server (the counter stays as it is on the server)."""
        for task in list(self._tasks):
            task.cancel()
        await self._drop_client()
        self.phase, self.counter, self.current, self.busy = "signed_out", {}, None, None
        self.held, self.found = [], None
        self.my_day = None

    async def _drop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.stop()

    # -- actions ---------------------------------------------------------------

    def can(self, action: str) -> bool:
        """Whether the view should offer `action` now (the server has the last word)."""
        if self.phase != "signed_in" or self.connection != "connected" or self.busy:
            return False
        if action in NEEDS_TICKET:
            return self.current is not None
        if action == "resume_held":
            return bool(self.held)
        return True

    @property
    def paused(self) -> bool:
        return self.counter.get("status") == "paused"

    def act(self, action: str, **fields: Any) -> asyncio.Task[None] | None:
        """Start `action` now; `busy` is set before this returns. None if one is in flight."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if self.busy or self.client is None:
            return None
        self.busy, self.error, self.info = action, None, None
        self._acting_on = (self.current or {}).get("number", "")  # for the answer's words
        self.changed()
        return self._spawn(self._run(action, fields), f"console {action}")

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def lookup(self, number: str) -> dict[str, Any] | None:
        """Any ticket of today by its number (state, counter, history) into `found`."""
        self.found, self.error, self.info = None, None, None
        if self.client is None or not number.strip():
            return None
        try:
            result = await self.client.request("lookup", number=number.strip())
        except REQUEST_TROUBLE as exc:
            self.error = error_text(exc)
        else:
            self.found = result.get("ticket")
        self.changed()
        return self.found

    async def _refresh_my_day(self) -> None:
        """Ask for this officer's figures today; they are a nicety: no error shown."""
        if self.client is None:
            return
        try:
            result = await self.client.request("my_day")
        except REQUEST_TROUBLE as exc:
            log.debug("my_day not fetched: %s", exc)
            return
        self.my_day = result.get("figures")
        self.changed()

    async def _run(self, action: str, fields: dict[str, Any]) -> None:
        assert self.client is not None
        try:
            result = await self.client.request(action, **fields)
        except REQUEST_TROUBLE as exc:
            self.error = error_text(exc)
        else:
            self._apply_result(action, result, fields)
        finally:
            self.busy = None
            self.changed()

    def _apply_result(self, action: str, result: dict[str, Any], fields: dict[str, Any]) -> None:
        before = self._acting_on
        if "counter" in result:
            self.counter = result["counter"]
            self.current = self.counter.get("ticket")
            self.held = list(self.counter.get("held") or [])
        ticket = result.get("ticket")
        if ticket is not None:
            self.current = ticket if ticket.get("status") == "called" else None
            self.held = [t for t in self.held if t.get("number") != ticket.get("number")]
        number = (ticket or {}).get("number") or fields.get("number") or before
        self.info = DONE_TEXT[action].format(number=number)
        self.found = None
        if action in ENDS_SERVICE:
            self._spawn(self._refresh_my_day(), "console my_day")

    # -- from the server -------------------------------------------------------

    def connection_changed(self, state: str) -> None:
        if state == "refused" and self.phase == "signed_in":
            self.phase = "signed_out"
            self.error = "Phiên đăng nhập không còn hiệu lực; hãy đăng nhập lại."
            self._spawn(self._drop_client(), "console drop")

    def apply_welcome(self, welcome: dict[str, Any]) -> None:
        self.counter = dict(welcome.get("counter") or {})
        self.current = self.counter.get("ticket")
        self.outcomes = list(welcome.get("outcomes", []))
        self.pause_reasons = list(welcome.get("pause_reasons", []))
        self.upcoming = list(self.counter.get("next") or [])
        self.held = list(self.counter.get("held") or [])
        self.kiosk_printers = list(welcome.get("kiosk_printers") or [])
        self._spawn(self._refresh_my_day(), "console my_day")

    def apply_config(self, config: dict[str, Any]) -> None:
        self.outcomes = list(config.get("outcomes", self.outcomes))
        self.pause_reasons = list(config.get("pause_reasons", self.pause_reasons))
        for view in config.get("counters", []):
            if view.get("number") == self.counter.get("number"):
                self.counter["name"] = view.get("name")

    def on_next(self, event: dict[str, Any]) -> bool:
        if event.get("counter") != self.counter.get("number"):
            return False
        self.upcoming = list(event.get("tickets") or [])
        return True

    def on_counter(self, event: dict[str, Any]) -> bool:
        view = event.get("counter") or {}
        if view.get("number") != self.counter.get("number"):
            return False
        for key in ("status", "pause_reason", "back_at", "name", "suggested"):
            self.counter[key] = view.get(key)
        number = view.get("ticket")
        if number is None:
            self.current = None
        elif self.current is None or self.current.get("number") != number:
            # Called from elsewhere (another console of this counter): the details
            # come with the next welcome; the number is already true.
            self.current = {"number": number}
        return True

    def on_kiosk_printers(self, event: dict[str, Any]) -> bool:
        if event.get("counter") != self.counter.get("number"):
            return False
        self.kiosk_printers = list(event.get("kiosks") or [])
        return True

    def on_ticket_called(self, event: dict[str, Any]) -> bool:
        mine = event.get("counter") == self.counter.get("number")
        if mine and self.current is not None and self.current.get("number") == event["number"]:
            self.current.setdefault("service", event.get("service"))
        return mine

    def on_day_started(self, _event: dict[str, Any]) -> bool:
        self.current, self.held, self.found = None, [], None
        return True

    # -- what the view shows -----------------------------------------------------

    @property
    def counter_services(self) -> list[tuple[dict[str, Any], bool]]:
        """(service figures, secondary?) for every service this counter serves."""
        main = [(s, False) for s in self.counter.get("services", [])]
        extra = [(s, True) for s in self.counter.get("secondary_services", [])]
        return [
            ({"id": sid, **self.services.get(sid, {})}, secondary)
            for sid, secondary in main + extra
        ]

    @property
    def callable_services(self) -> set[str]:
        """The services this counter may call a number from (its own, secondary, suggested)."""
        services = [*self.counter.get("services", []), *self.counter.get("secondary_services", [])]
        return {*services, *([self.counter["suggested"]] if self.counter.get("suggested") else [])}

    @property
    def suggestion(self) -> str | None:
        """What a supervisor asked this counter to take on for now, in words, if anything."""
        service = self.counter.get("suggested")
        if not service:
            return None
        return f"Quầy được đề nghị phục vụ thêm: {self.service_name(service)}"

    @property
    def printer_lines(self) -> list[str]:
        """One line per kiosk of this counter's services that cannot print now."""
        return [kiosk_printer_text(k) for k in self.kiosk_printers]

    def waited(self) -> float | None:
        """How long the current citizen waited (issue → call), live until called."""
        ticket = self.current or {}
        issued = ticket.get("issued_at")
        if issued is None:
            return None
        return (ticket.get("called_at") or self.now()) - issued

    def serving(self) -> float | None:
        """How long the current citizen has been at the counter (since the call)."""
        called = (self.current or {}).get("called_at")
        return None if called is None else self.now() - called
