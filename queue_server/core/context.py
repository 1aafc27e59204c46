"""What every desk of the server is handed: the site, its clock and the durable core.

The composition root (`queue_server.app`) makes one `ServerContext`, opens it at
start and closes it at the end; the desks at the edges (the websocket endpoint, the
HTTP API, booking, tracking, reports) receive it and nothing else of the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from queue_server.core.accounts import Accounts
from queue_server.core.alerting import AlertWatch
from queue_server.core.configbook import ConfigBook
from queue_server.core.devicekeys import DeviceKeys, sample_secrets
from queue_server.core.devices import DeviceBook
from queue_server.core.engine import Engine
from queue_server.core.floor_metrics import FloorCollector
from queue_server.core.hub import Hub
from queue_server.core.metrics import Metrics
from queue_server.core.store import Store
from queue_server.core.storekind import pgstore_wanted
from queue_server.domain.config import Device, SiteConfig
from queue_server.domain.events import ConfigChanged, Event
from queue_server.domain.procedures import Catalogue
from queue_server.domain.search import SiteSearch
from queue_server.domain.state import QueueState

log = logging.getLogger(__name__)


class ServerContext:
    """One site's configuration, clock, store, single writer, accounts and hub."""

    store: Store
    accounts: Accounts
    engine: Engine
    alerts: AlertWatch

    def __init__(
        self,
        config: SiteConfig,
        db_path: str | Path,
        *,
        enforce_hours: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._seed = config  # the TOML file: seeds a new database, then the versions rule
        self.db_path = db_path
        self.enforce_hours = enforce_hours
        self.clock = clock
        # Told once when this instance may no longer write (PostgreSQL: another took over,
        # or the lock's session ended); the command line stops serving.
        self.lost_observers: list[Callable[[str], None]] = []
        self.hub = Hub()
        self.metrics = Metrics()
        self.metrics.active.set_function(lambda: float(self.role == "active"))
        self.known_devices: dict[str, Device] = {}  # registered, not revoked (`device_keys`)
        self.device_book = DeviceBook(self.known_devices)
        # the supervisor's notice on the hall screens (`notice`), for screens that join later
        self.hall_notice: dict[str, Any] | None = None
        # device id → what it last reported (`device_status`), shown to staff and screens
        self.devices: dict[str, dict[str, Any]] = self.device_book.reports
        self.device_tokens = {d.token: d for d in config.devices.values()}
        # The one search of the kiosk, the booking page and /tra-cuu (issues 12, 16),
        # built on a thread when first asked for (`site_search`): an idle server does
        # not carry its index (issue 18: idle memory).
        self._search: tuple[SiteConfig, SiteSearch] | None = None
        self._search_build: tuple[SiteConfig, asyncio.Future[SiteSearch]] | None = None
        self._rebuilds: set[asyncio.Future[SiteSearch]] = set()

    @property
    def procedures(self) -> Catalogue:
        """The site's procedure catalogue (issue 16), read with the config."""
        return self.config.procedures

    @property
    def state(self) -> QueueState:
        return self.engine.state

    @property
    def config(self) -> SiteConfig:
        """The configuration in force: the writer's, once it runs (it changes live)."""
        engine = getattr(self, "engine", None)
        return self._seed if engine is None else engine.state.config

    @property
    def role(self) -> str:
        """Active (SQLite: always), or on PostgreSQL standby, active, lost, stopped."""
        leadership = getattr(self, "leadership", None)
        if leadership is None:  # PostgreSQL: standing by until the lock is taken
            return "standby" if pgstore_wanted(self.db_path) else "active"
        return leadership.role

    async def open(self) -> None:
        """Open the database (migrating it), load the day and start the single writer.
        On PostgreSQL, first wait to be the active instance (`core/leader.py`)."""
        if pgstore_wanted(self.db_path):
            await self._open_postgres()
        else:
            self.store = await Store.open(self.db_path)
            try:
                self.accounts = await Accounts.open(self.db_path, writer=self.store.write)
            except BaseException:
                await self.store.close()
                raise
        self.config_book = ConfigBook(self.store)
        self.device_keys = DeviceKeys(self.store, self.known_devices)
        try:
            _version, config = await self.config_book.current(self._seed, self.clock())
            await self.device_keys.load(self._seed.devices.values(), self.clock())
            warning = await sample_secrets(self.accounts, self.device_keys)
            if warning:
                log.warning("%s", warning)
        except BaseException:
            await self.accounts.close()
            await self.store.close()
            raise
        self.engine = Engine(config, self.store, enforce_hours=self.enforce_hours, clock=self.clock)
        self.engine.batch_observers.append(self.metrics.batch_size.observe)
        self.metrics.transactions.set_function(lambda: self.store.transactions)
        try:
            await self.engine.start()
        except BaseException:
            await self.close()
            raise
        self.engine.subscribe(self._follow_config)
        self.metrics.registry.register(
            FloorCollector(lambda: self.engine.state, self.device_book, self.clock)
        )
        self.alerts = AlertWatch(self.engine, self.device_book, self.clock)
        self.alerts.start()

    async def site_search(self) -> SiteSearch:
        """The search for the configuration in force (a stored version may have other
        synonyms or services than the file; the procedure catalogue is the file's),
        built on a thread at its first use after start or after a change."""
        config = self.config
        if self._search is not None and self._search[0] is config:
            return self._search[1]
        if self._search_build is None or self._search_build[0] is not config:
            task = asyncio.ensure_future(
                asyncio.to_thread(SiteSearch, config, self._seed.procedures)
            )
            self._search_build = (config, task)
        built_for, build = self._search_build
        search = await asyncio.shield(build)
        if self._search is None or self._search[0] is not built_for:
            self._search = (built_for, search)
        return search

    def _follow_config(self, events: list[Event], state: QueueState) -> Any:
        """After a configuration change (/quan-tri): a search in use is built again at
        once, off the event loop (tens of milliseconds for a province's catalogue)."""
        if self._search is None or not any(isinstance(ev, ConfigChanged) for ev in events):
            return None

        def start() -> None:
            task = asyncio.ensure_future(self.site_search())
            self._rebuilds.add(task)
            task.add_done_callback(self._rebuilds.discard)

        return start

    async def close(self) -> None:
        """Stop the writer (what is queued is refused), then close the database."""
        if hasattr(self, "alerts"):
            await self.alerts.stop()
        if hasattr(self, "engine"):
            await self.engine.stop()
        await self.accounts.close()
        await self.store.close()
        if getattr(self, "leadership", None) is not None:
            await self.leadership.release()

    async def _open_postgres(self) -> None:
        from queue_server.core.leader import Leadership  # a SQLite site needs no psycopg
        from queue_server.core.pgstore import PgStore

        dsn = str(self.db_path)
        self.leadership = Leadership(dsn)
        await self.leadership.acquire(self._lost)  # a standby waits here
        try:
            store = await PgStore.open_pg(dsn, self.leadership)
        except BaseException:
            await self.leadership.release()
            raise
        store.fence_observers.append(self._fenced)
        self.store = store
        self.accounts = Accounts(self.store.reader, writer=self.store.write)

    def _lost(self, reason: str) -> None:
        """The lock's session ended: write nothing more, and say so to the observers."""
        store = self.store
        fence = getattr(store, "fence", None)
        if fence is not None:
            fence(reason)  # calls `_fenced`
        else:
            self._fenced(reason)

    def _fenced(self, reason: str) -> None:
        if getattr(self, "leadership", None) is not None:
            self.leadership.role = "lost"
        for observe in self.lost_observers:
            try:
                observe(reason)
            except Exception:
                log.exception("lost-lock observer failed")
