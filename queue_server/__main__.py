"""`python -m queue_server`: run the server, or manage officers' accounts.

    python -m queue_server --config FILE --db FILE [--host H] [--port P]
                           [--trusted-proxy ADDRESS ...]
    python -m queue_server user add NAME --role officer --db FILE   (password on stdin)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path

from aiohttp import web

from .app import create_app
from .auth import ROLES, Accounts
from .config import ConfigError, load_config
from .eventloop import loop_name, new_event_loop
from .proxy import parse_networks
from .store import Store

DEFAULT_CONFIG = "assets/config/binh-duong.toml"
DEFAULT_DB = "var/queue.db"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if argv[:1] == ["user"]:
        return _user(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m queue_server",
                                     description="Xếp hàng queue server")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="site configuration (TOML)")
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite database file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ignore-hours", action="store_true",
                        help="issue tickets outside opening hours (demo, tests)")
    parser.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                        help="a reverse proxy (address or network, repeatable) whose "
                             "X-Forwarded-For names the client")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        proxies = parse_networks(args.trusted_proxy)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _ensure_parent(args.db)
    app = create_app(config, args.db, enforce_hours=not args.ignore_hours, tune_gc=True,
                     trusted_proxies=proxies)
    logging.getLogger("queue_server").info("event loop: %s", loop_name())
    web.run_app(app, host=args.host, port=args.port, print=None,
                access_log=None, handle_signals=True, loop=new_event_loop())
    return 0


def _user(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_server user")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="create an account or reset its password and role")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass(f"Mật khẩu cho {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    _ensure_parent(args.db)
    try:
        asyncio.run(_add_user(args.db, args.name, args.role, password))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"user {args.name} ({args.role}) saved")
    return 0


async def _add_user(db: str, name: str, role: str, password: str) -> None:
    store = await Store.open(db)  # migrates a new database
    await store.close()
    accounts = await Accounts.open(db)
    try:
        await accounts.add_user(name, role, password)
    finally:
        await accounts.close()


def _ensure_parent(path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())
