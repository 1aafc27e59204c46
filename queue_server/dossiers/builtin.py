"""The built-in dossier store: the `dossiers` table of the queue database.

Filled by the counter (an officer receiving a dossier: `put`) and by CSV import
(`csv_import.py`). Every slip printed for a dossier is audited in `dossier_prints`
(`record_print`: who, where, when, and whether it was a reprint).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable

from queue_server.core.store import Store
from queue_server.domain.dossiers import Dossier, DossierStatus

COLUMNS = (
    "code",
    "procedure_code",
    "procedure_name",
    "citizen_name",
    "phone",
    "status",
    "received_on",
    "due_on",
    "unit",
    "note",
    "documents",
    "officer",
    "counter",
    "ticket_id",
    "updated_at",
)
_UPSERT = (
    f"INSERT INTO dossiers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    f"ON CONFLICT(code) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
)


def _row(d: Dossier) -> tuple:
    return (
        d.code,
        d.procedure_code,
        d.procedure_name,
        d.citizen_name,
        d.phone,
        d.status.value,
        d.received_on.isoformat(),
        d.due_on.isoformat(),
        d.unit,
        d.note,
        json.dumps(list(d.documents), ensure_ascii=False),
        d.officer,
        d.counter,
        d.ticket_id,
        d.updated_at,
    )


def _dossier(row: tuple) -> Dossier:
    v = dict(zip(COLUMNS, row, strict=True))
    return Dossier(
        code=v["code"],
        procedure_code=v["procedure_code"],
        procedure_name=v["procedure_name"],
        citizen_name=v["citizen_name"],
        phone=v["phone"],
        status=DossierStatus(v["status"]),
        received_on=dt.date.fromisoformat(v["received_on"]),
        due_on=dt.date.fromisoformat(v["due_on"]),
        unit=v["unit"],
        note=v["note"],
        documents=tuple(json.loads(v["documents"])),
        officer=v["officer"],
        counter=v["counter"],
        ticket_id=v["ticket_id"],
        updated_at=v["updated_at"],
    )


class BuiltinDossiers:
    """`DossierLookup` over the queue database, plus what the counter writes."""

    def __init__(self, store_of: Callable[[], Store]) -> None:
        self._store_of = store_of  # the server's store exists once its context is open

    @property
    def store(self) -> Store:
        return self._store_of()

    async def find(self, code: str) -> Dossier | None:
        async with self.store.reader.execute(
            f"SELECT {', '.join(COLUMNS)} FROM dossiers WHERE code = ?", (code,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _dossier(tuple(row))

    async def put(self, dossiers: Iterable[Dossier]) -> int:
        """Insert or replace, all in one transaction (a CSV file loads whole or not at all)."""
        rows = [_row(d) for d in dossiers]
        return await self.store.write(lambda conn: _transaction(conn, _UPSERT, rows))

    async def receive(self, prefix: str, make: Callable[[str], Dossier]) -> Dossier:
        """Store a dossier the counter received, under the next free code
        `prefix-0001`, `prefix-0002`… (numbered in the writer's transaction: no duplicates)."""
        return await self.store.write(lambda conn: _receive(conn, prefix, make))

    async def record_print(
        self, code: str, kind: str, officer: str, counter: int | None, at: float
    ) -> bool:
        """Audit one printed slip; True when the same kind was printed before (a reprint)."""
        return await self.store.write(lambda conn: _audit(conn, code, kind, officer, counter, at))

    async def prints(self, code: str) -> list[dict]:
        async with self.store.reader.execute(
            "SELECT kind, officer, counter, reprint, at FROM dossier_prints WHERE code = ? "
            "ORDER BY id",
            (code,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            {"kind": k, "officer": o, "counter": c, "reprint": bool(r), "at": a}
            for k, o, c, r, a in rows
        ]

    async def close(self) -> None:
        """The store belongs to the server's context, which closes it."""


def _transaction(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)


def _receive(conn: sqlite3.Connection, prefix: str, make: Callable[[str], Dossier]) -> Dossier:
    conn.execute("BEGIN IMMEDIATE")
    try:
        count = conn.execute(
            "SELECT COUNT(*) FROM dossiers WHERE code LIKE ? || '-%'", (prefix,)
        ).fetchone()[0]
        dossier = make(f"{prefix}-{count + 1:04d}")
        conn.execute(_UPSERT.split(" ON CONFLICT")[0], _row(dossier))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return dossier


def _audit(
    conn: sqlite3.Connection, code: str, kind: str, officer: str, counter: int | None, at: float
) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = conn.execute(
            "SELECT COUNT(*) FROM dossier_prints WHERE code = ? AND kind = ?", (code, kind)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO dossier_prints (code, kind, officer, counter, reprint, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (code, kind, officer, counter, int(before > 0), at),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return before > 0
