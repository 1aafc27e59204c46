"""`python -m queue_server central …`: the province server and its accounts.

python -m queue_server central --pg DSN [--host H] [--port P]
python -m queue_server central site add ID --name NAME --province P [--district D] --pg DSN
                       (prints the site's token, once)
python -m queue_server central leader add NAME --scope province:P|district:D|site:ID
                       [--full-name "…"] --pg DSN   (password on stdin)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
from aiohttp import web

from queue_server.central import accounts
from queue_server.central.app import create_central_app
from queue_server.central.schema import migrate
from queue_server.core import heap
from queue_server.core.eventloop import run

DEFAULT_PORT = 8800


def main(
    argv: list[str], serve: Callable[[web.Application, str, int], Coroutine[Any, Any, None]]
) -> int:
    """`serve`: the site server's start and stop (`queue_server.app.serve`)."""
    if argv[:1] in (["site"], ["leader"]):
        return _accounts(argv)
    parser = argparse.ArgumentParser(
        prog="python -m queue_server central", description="Xếp hàng province server"
    )
    parser.add_argument("--pg", required=True, metavar="DSN", help="postgresql://…")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    heap.limit_malloc_arenas()  # a process of its own, no thread yet: as a site's server
    run(serve(create_central_app(args.pg), args.host, args.port))
    return 0


def _accounts(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_server central")
    kinds = parser.add_subparsers(dest="kind", required=True)
    site = kinds.add_parser("site").add_subparsers(dest="action", required=True)
    add_site = site.add_parser("add", help="register a site, or give it a new token")
    add_site.add_argument("id")
    add_site.add_argument("--name", required=True)
    add_site.add_argument("--province", required=True)
    add_site.add_argument("--district", default="")
    leader = kinds.add_parser("leader").add_subparsers(dest="action", required=True)
    add_leader = leader.add_parser("add", help="a leader's account, or a new password")
    add_leader.add_argument("name")
    add_leader.add_argument("--scope", required=True, metavar="KIND:VALUE")
    add_leader.add_argument("--full-name", default="")
    for command in (add_site, add_leader):
        command.add_argument("--pg", required=True, metavar="DSN")
    args = parser.parse_args(argv)
    password = ""
    if args.kind == "leader":
        kind, _, value = args.scope.partition(":")
        if kind not in accounts.SCOPES or not value:
            print("error: --scope province:NAME, district:NAME or site:ID", file=sys.stderr)
            return 2
        prompt = f"Mật khẩu cho {args.name}: "
        password = (
            getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        )
    try:
        print(asyncio.run(_account(args, password)))
    except (ValueError, OSError, asyncpg.PostgresError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


async def _account(args: argparse.Namespace, password: str) -> str:
    conn = await asyncpg.connect(args.pg)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(args.pg, min_size=1, max_size=1)
    try:
        if args.kind == "site":
            return await accounts.add_site(pool, args.id, args.name, args.province, args.district)
        kind, _, value = args.scope.partition(":")
        await accounts.add_leader(pool, args.name, password, kind, value, args.full_name)
        return f"leader {args.name} ({kind}: {value}) saved"
    finally:
        await pool.close()
