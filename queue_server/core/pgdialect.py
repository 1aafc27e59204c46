"""SQLite's calling convention over a PostgreSQL connection (issue 19).

The writers beside the event log (accounts, the outbox's delivery states, device keys,
configuration versions, the built-in dossiers) hand plain SQL with `?` placeholders to
`Store.write` (a `sqlite3.Connection` on the writer thread) and to `Store.reader` (an
`aiosqlite.Connection`). On PostgreSQL they get these stand-ins instead, which speak the
subset those callers use: `execute`, `executemany`, `fetchone`/`fetchall`/`rowcount`,
`in_transaction`, `BEGIN IMMEDIATE` … `COMMIT`/`ROLLBACK`; `PRAGMA` is a no-op. The SQL
of those callers is written to run on both (standard `ON CONFLICT … excluded`,
`COALESCE`, `substr`); the PostgreSQL schema (`core/pgschema.py`) keeps SQLite's
integer flags and a `rowid` where a caller orders by it.

Every change through the writer's connection is fenced (`fence`): it runs in a
transaction that first checks, on the lease row, that this instance is still the
active one — a statement sent outside `BEGIN … COMMIT` gets a transaction of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg

# One statement and its parameters (`%s` placeholders).
Statement = tuple[str, Sequence[Any]]

# libpq's TCP keepalives and user timeout: a peer gone without a word (a cut cable)
# is noticed in about 10 s instead of the kernel's two hours.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 4,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10000,
    "connect_timeout": 5,
}


@functools.lru_cache(maxsize=512)
def translate(sql: str, with_params: bool) -> str | None:
    """The PostgreSQL text of one SQLite statement (None: nothing to run)."""
    head = sql.lstrip()[:16].upper()
    if head.startswith("PRAGMA"):
        return None
    if head.startswith("BEGIN"):
        return "BEGIN"
    if not with_params:
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


class _NoRows:
    """The answer to a statement that ran nothing (a PRAGMA)."""

    rowcount = 0

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list:
        return []


def connect(dsn: str) -> psycopg.Connection:
    """A writer's connection: autocommit, so `BEGIN`/`COMMIT` are sent as written."""
    return psycopg.connect(dsn, autocommit=True, **KEEPALIVES)  # type: ignore[arg-type]


class SqliteLike:
    """The writer thread's PostgreSQL connection, as `Store.write` callers expect it.

    `fence()` is the first statement of every transaction, sent with its `BEGIN`; it
    raises when this instance may no longer write, and `fenced(error)` turns the
    database's refusal of that statement into the exception to raise (None: another
    error). A broken connection (the database restarted) is replaced at the next
    statement outside a transaction.
    """

    def __init__(
        self,
        dsn: str,
        fence: Callable[[], Statement],
        fenced: Callable[[psycopg.Error], BaseException | None],
    ) -> None:
        self.dsn = dsn
        self._fence = fence
        self.fenced = fenced
        self._conn: psycopg.Connection | None = None

    @property
    def raw(self) -> psycopg.Connection:
        """The connection, (re)opened if it is closed or broken."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._conn = connect(self.dsn)
        return self._conn

    @property
    def in_transaction(self) -> bool:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            return False
        return conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def begin(self) -> None:
        """`BEGIN` and the fence, in one round trip; the transaction stays open."""
        self._send((), durable=True, commit=False)

    def transaction(
        self, statements: Iterable[Statement], *, durable: bool = True, fence_last: bool = False
    ) -> None:
        """A whole transaction in one round trip: `BEGIN`, the fence, `statements` and
        `COMMIT`, as one query. Not `durable`: committed without waiting for its WAL to
        reach the disk (the next durable commit's flush covers it); for what the log
        can rebuild. `fence_last`: the fence just before `COMMIT` — as safe (refused,
        nothing is committed; the row it locks is held until the commit), and another
        transaction's fence waits only for this one's commit, not for its statements."""
        self._send(statements, durable=durable, commit=True, fence_last=fence_last)

    def _send(
        self,
        statements: Iterable[Statement],
        *,
        durable: bool,
        commit: bool,
        fence_last: bool = False,
    ) -> None:
        # One string of several statements, the parameters bound here (PostgreSQL's
        # simple query protocol): one send and one wait. Each call into the database
        # gives the GIL up, and taking it back from a busy event loop costs up to a
        # switch interval (5 ms): a transaction statement by statement took 6 of them.
        conn = self.raw
        fence = self._fence()  # refused before anything is sent: nothing to undo
        bind = psycopg.ClientCursor(conn).mogrify
        parts = ["BEGIN"]
        if not durable:
            parts.append("SET LOCAL synchronous_commit = off")
        ordered = (*statements, fence) if fence_last else (fence, *statements)
        parts += [bind(sql, params) for sql, params in ordered]
        if commit:
            parts.append("COMMIT")
        try:
            conn.execute(";\n".join(parts))  # no parameters: the simple query protocol
        except psycopg.Error as err:
            self.rollback()
            refusal = self.fenced(err)
            if refusal is not None:
                raise refusal from err
            raise
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        if self.in_transaction and self._conn is not None:
            self._conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        text = translate(sql, bool(params))
        if text is None:
            return _NoRows()
        if text == "BEGIN":
            self.begin()
            return _NoRows()
        if self.in_transaction or text in ("COMMIT", "ROLLBACK") or _reads(text):
            if text == "ROLLBACK":
                self.rollback()
                return _NoRows()
            return self.raw.execute(text, params or None)
        self.begin()  # a change on its own: fenced in a transaction of its own
        try:
            cur = self.raw.execute(text, params or None)
            self.raw.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        text = translate(sql, True)
        assert text is not None
        own = not self.in_transaction
        if own:
            self.begin()
        try:
            with self.raw.cursor() as cur:
                cur.executemany(text, rows)
            if own:
                self.raw.execute("COMMIT")
        except BaseException:
            if own:
                self.rollback()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _reads(text: str) -> bool:
    return text.lstrip()[:6].upper() == "SELECT"


class _Query:
    """`await reader.execute(…)` or `async with reader.execute(…) as cur`, as aiosqlite."""

    def __init__(self, reader: AsyncReader, sql: str, params: Sequence[Any]) -> None:
        self._reader, self._sql, self._params = reader, sql, params
        self._cur: psycopg.AsyncCursor | None = None

    def __await__(self) -> Any:
        return self._reader._run(self._sql, self._params).__await__()

    async def __aenter__(self) -> psycopg.AsyncCursor:
        self._cur = await self._reader._run(self._sql, self._params)
        return self._cur

    async def __aexit__(self, *exc: object) -> None:
        if self._cur is not None:
            await self._cur.close()


class AsyncReader:
    """The look-up connection of the HTTP edge (autocommit), reopened after a failure.

    It is not fenced, so in the server it only reads: a change sent here is refused
    (`writes=False`); changes go through `Store.write`, fenced on the lease. The command
    line's accounts (`pgstore.open_accounts`, beside a running server) may write.
    """

    def __init__(self, dsn: str, *, writes: bool = False) -> None:
        self.dsn = dsn
        self.writes = writes
        self._conn: psycopg.AsyncConnection | None = None

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await psycopg.AsyncConnection.connect(
                self.dsn,
                autocommit=True,
                **KEEPALIVES,  # type: ignore[arg-type]
            )
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Query:
        return _Query(self, sql, params)

    async def _run(self, sql: str, params: Sequence[Any]) -> psycopg.AsyncCursor:
        text = translate(sql, bool(params))
        if text is None or text == "BEGIN" or not (self.writes or _reads(text)):
            raise ValueError(f"not a look-up: {sql[:40]!r}")
        conn = await self._connection()
        return await conn.execute(text, params or None)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
