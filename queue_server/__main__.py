"""`python -m queue_server`: run the server, or manage officers' accounts.

python -m queue_server --config FILE --db FILE [--host H] [--port P]
                       [--trusted-proxy ADDRESS ...]
python -m queue_server user add NAME --role officer [--full-name "Nguyễn Thị Hoa"]
                       --db FILE   (password on stdin)
python -m queue_server user disable NAME --db FILE
python -m queue_server user list --db FILE
python -m queue_server backup --db FILE --to DIR [--keep 14]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import sqlite3
import sys
from pathlib import Path

from aiohttp import web

import assets
from queue_server.app import create_app
from queue_server.core.accounts import ROLES, Accounts
from queue_server.core.eventloop import loop_name, new_event_loop
from queue_server.core.siteconfig import load_config
from queue_server.core.store import Store, backup
from queue_server.domain.config import ConfigError
from queue_server.web.proxy import parse_networks

DEFAULT_CONFIG = str(assets.SAMPLE_CONFIG)  # the sample site, wherever installed
DEFAULT_DB = "var/queue.db"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(
        level=logging.INFO, force=True, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if argv[:1] == ["user"]:
        return _user(argv[1:])
    if argv[:1] == ["backup"]:
        return _backup(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m queue_server", description="Xếp hàng queue server"
    )
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="site configuration (TOML)")
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite database file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--ignore-hours",
        action="store_true",
        help="issue tickets outside opening hours (demo, tests)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a reverse proxy (address or network, repeatable) whose "
        "X-Forwarded-For names the client",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        proxies = parse_networks(args.trusted_proxy)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _ensure_parent(args.db)
    app = create_app(
        config, args.db, enforce_hours=not args.ignore_hours, tune_gc=True, trusted_proxies=proxies
    )
    logging.getLogger("queue_server").info("event loop: %s", loop_name())
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
        handle_signals=True,
        loop=new_event_loop(),
    )
    return 0


def _user(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_server user")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser(
        "add", help="create an account, or reset its password and role (and enable it again)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--full-name",
        default="",
        metavar="NAME",
        help='shown on the counter screens, e.g. "Nguyễn Thị Hoa"',
    )
    disable = sub.add_parser("disable", help="an account that may no longer sign in")
    disable.add_argument("name")
    listing = sub.add_parser("list", help="every account, its role and last sign-in")
    for command in (add, disable, listing):
        command.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    password = ""
    if args.action == "add":
        if sys.stdin.isatty():
            password = getpass.getpass(f"Mật khẩu cho {args.name}: ")
        else:
            password = sys.stdin.readline().rstrip("\n")
    _ensure_parent(args.db)
    try:
        print(asyncio.run(_accounts(args, password)))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


async def _accounts(args: argparse.Namespace, password: str) -> str:
    """Do what `python -m queue_server user …` asked; what to print."""
    store = await Store.open(args.db)  # migrates a new database
    await store.close()
    accounts = await Accounts.open(args.db)
    try:
        if args.action == "add":
            await accounts.add_user(args.name, args.role, password, full_name=args.full_name)
            return f"user {args.name} ({args.role}) saved"
        if args.action == "disable":
            await accounts.disable_user(args.name)
            return f"user {args.name} disabled; its sessions ended"
        lines = []
        for user in await accounts.users():
            last = user.last_login
            when = (
                "never"
                if last is None
                else dt.datetime.fromtimestamp(last).strftime("%Y-%m-%d %H:%M")
            )
            state = "disabled" if user.disabled else "active"
            lines.append(
                f"{user.username:<16} {user.role:<10} {state:<8} last sign-in "
                f"{when:<16}  {user.full_name}"
            )
        return "\n".join(lines) or "no accounts"
    finally:
        await accounts.close()


def _backup(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queue_server backup",
        description="copy the database safely, also while the server runs",
    )
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--to", required=True, metavar="DIR", help="where the copies go")
    parser.add_argument("--keep", type=int, default=14, help="newest copies to keep")
    args = parser.parse_args(argv)
    try:
        target = backup(args.db, args.to, keep=max(1, args.keep))
    except (OSError, RuntimeError, sqlite3.Error) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"backup written: {target}")
    return 0


def _ensure_parent(path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())
