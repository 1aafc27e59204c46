"""Ways to write a batch of rows on PostgreSQL (issue 19): prints JSON, never passes or fails.

On a throw-away PostgreSQL cluster (Debian's binaries, `fsync = on`, as bench_pg), one
connection, no server and no load generator: the median milliseconds of one whole
transaction (BEGIN … COMMIT, sent and answered) writing N event rows or N ticket rows

- `copy`: `COPY … FROM STDIN` (the event log until issue 19's second pass; no upserts);
- `values_chunks`: multi-row `INSERT … VALUES … ON CONFLICT` in chunks of 256/64/16/4/1
  rows, one statement each (SQLite's `_Insert.run`, the PostgreSQL upserts until then);
- `json_one_query`: what `PgStore._transaction` sends now — one query string: BEGIN, the
  rows as one JSON parameter of `INSERT … SELECT … FROM json_populate_recordset`
  (`pgstore._insert`), COMMIT.

Run: .venv/bin/python -m bench.bench_pg_rows [--rows 64,1000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import psycopg

from queue_server.core import pgschema, pgstore
from queue_server.core.store import _INSERT_EVENT, _UPSERT_TICKET, _Insert
from tests.support.postgres import pg_cluster


def event_rows(n: int, first: int) -> list[tuple]:
    return [
        (
            "2026-12-03",
            1_764_770_000.0 + i,
            "ticket_issued",
            "kiosk-1",
            None,
            first + i,
            json.dumps(
                {
                    "type": "ticket_issued",
                    "ticket_id": first + i,
                    "number": f"A{i:03d}",
                    "service": "svc1",
                    "public_id": f"p{first + i:010d}",
                    "request_id": f"r-{first + i}",
                }
            ),
        )
        for i in range(n)
    ]


def ticket_rows(n: int, first: int) -> list[tuple]:
    return [
        (first + i, "2026-12-03", f"p{first + i:010d}", f"A{first + i:06d}", first + i, "svc1")
        + (None, f"r-{first + i}", 1_764_770_000.0, "kiosk-1", "waiting")
        + (None, None, None, None, 0, 0, None, None)
        for i in range(n)
    ]


def copy(conn: psycopg.Connection, insert: _Insert, rows: list[tuple]) -> None:
    conn.execute("BEGIN")
    with conn.cursor().copy(f"COPY {insert.table} ({', '.join(insert.columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    conn.execute("COMMIT")


def values_chunks(conn: psycopg.Connection, insert: _Insert, rows: list[tuple]) -> None:
    conn.execute("BEGIN")
    i = 0
    for size in insert.CHUNKS:
        while len(rows) - i >= size:
            sql = insert.sql(size).replace("?", "%s")
            conn.execute(sql, [v for row in rows[i : i + size] for v in row])
            i += size
    conn.execute("COMMIT")


def json_one_query(conn: psycopg.Connection, insert: _Insert, rows: list[tuple]) -> None:
    sql, params = pgstore._insert(insert, rows)
    statement = psycopg.ClientCursor(conn).mogrify(sql, params)
    conn.execute(f"BEGIN;\n{statement};\nCOMMIT")


WAYS: dict[str, Callable[[psycopg.Connection, _Insert, list[tuple]], None]] = {
    "copy": copy,
    "values_chunks": values_chunks,
    "json_one_query": json_one_query,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="64,1000", help="rows per transaction")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    out: dict = {"load_average_at_start": os.getloadavg(), "median_ms": {}}
    with pg_cluster() as cluster, psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        pgschema.migrate(conn)
        first = 1
        for n in (int(r) for r in args.rows.split(",")):
            for table, insert, make, ways in (
                ("events", _INSERT_EVENT, event_rows, WAYS),
                ("tickets", _UPSERT_TICKET, ticket_rows, {k: WAYS[k] for k in WAYS if k != "copy"}),
            ):
                figures: dict[str, object] = {}
                for name, way in ways.items():
                    times = []
                    for _ in range(args.repeat):
                        rows = make(n, first)
                        first += n
                        t0 = time.perf_counter()
                        way(conn, insert, rows)
                        times.append(time.perf_counter() - t0)
                    figures[name] = round(statistics.median(times) * 1000, 2)
                medians = {k: v for k, v in figures.items() if isinstance(v, float)}
                base = medians["json_one_query"]
                figures["ratios_to_json_one_query"] = {
                    k: round(v / base, 2) for k, v in medians.items() if k != "json_one_query"
                }
                out["median_ms"][f"{table}_{n}_rows"] = figures
    out["load_average_at_end"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
