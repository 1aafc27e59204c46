"""`python -m queue_server ship`: the site's shipper, a process of its own.

python -m queue_server ship --db FILE --config FILE --central URL --site ID
                            --token-file FILE   (or XEPHANG_SITE_TOKEN)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from pathlib import Path

from queue_server.core.eventloop import run
from queue_server.core.siteconfig import load_config
from queue_server.domain.config import ConfigError
from queue_server.domain.replication import site_meta
from queue_server.replication.shipper import Shipper

log = logging.getLogger("queue_server.replication")
STATUS_SECONDS = 30.0


def main(argv: list[str], default_config: str, default_db: str) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queue_server ship",
        description="ship this site's event log to the province server",
    )
    parser.add_argument("--db", default=default_db)
    parser.add_argument("--config", default=default_config)
    parser.add_argument("--central", required=True, metavar="URL", help="http://province:8800")
    parser.add_argument("--site", required=True, metavar="ID", help="the site's id there")
    parser.add_argument("--token-file", metavar="FILE", help="the site's token (one line)")
    args = parser.parse_args(argv)
    token = os.environ.get("XEPHANG_SITE_TOKEN", "")
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if not token:
        print("error: give --token-file or XEPHANG_SITE_TOKEN", file=sys.stderr)
        return 2
    try:
        meta = site_meta(load_config(args.config))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not Path(args.db).is_file():
        print(f"error: no database at {args.db}", file=sys.stderr)
        return 2
    if (problem := _not_a_site_log(args.db)) is not None:
        print(f"error: {args.db}: not a site database ({problem})", file=sys.stderr)
        return 2
    run(_ship(Shipper(args.db, args.central, args.site, token, meta)))
    return 0


def _not_a_site_log(db: str) -> str | None:
    """Why `db` holds no site event log, or None (read-only: the site server owns it)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT id, day, at, type, data FROM events LIMIT 1").fetchall()
    except sqlite3.Error as err:
        return str(err)
    return None


async def _ship(shipper: Shipper) -> None:
    task = asyncio.create_task(shipper.run())
    while not task.done():  # the lag, in the log, every half minute
        await asyncio.wait([task], timeout=STATUS_SECONDS)
        s = shipper.status
        log.info(
            "shipped up to %s of %s: lag %s events, %.0f s%s",
            s.acked,
            s.head,
            s.lag_events,
            s.lag_seconds,
            f"; refused: {s.refused}" if s.refused else "",
        )
    await task
