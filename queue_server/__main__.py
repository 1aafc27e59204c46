"""`python -m queue_server`: run the server, or manage officers' accounts.

python -m queue_server --config FILE --db FILE [--host H] [--port P]
                       [--trusted-proxy ADDRESS ...]
python -m queue_server user add NAME --role officer [--full-name "Nguyễn Thị Hoa"]
                       --db FILE   (password on stdin)
python -m queue_server user disable NAME --db FILE
python -m queue_server user list --db FILE
python -m queue_server backup --db FILE --to DIR [--keep 14]
python -m queue_server ship --db FILE --config FILE --central URL --site ID --token-file F
python -m queue_server central --pg DSN [--host H] [--port P]   (and `central site|leader add`)
python -m queue_server dossiers import FILE.csv --db FILE   (the built-in dossier store)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import getpass
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import assets
from queue_server.core import tls  # noqa: F401  (first: aiohttp without the CA bundle read)

# isort: split
from queue_server.app import CONTEXT_KEY, create_app, serve
from queue_server.core.accounts import ROLES, Accounts
from queue_server.core.eventloop import loop_name, run
from queue_server.core.siteconfig import load_config
from queue_server.core.store import Store, backup
from queue_server.core.storekind import SchemaTooNewError, pgstore_wanted
from queue_server.domain.config import ConfigError, SiteConfig
from queue_server.dossiers.builtin import BuiltinDossiers
from queue_server.dossiers.config_file import load_dossier_config
from queue_server.dossiers.csv_import import CsvError, parse_dossiers_csv
from queue_server.replication import cli as shipper_cli
from queue_server.web.proxy import parse_networks
from queue_server.web.voicecheck import series_warning, voice_style_problem

DEFAULT_CONFIG = str(assets.SAMPLE_CONFIG)  # the sample site, wherever installed
DEFAULT_DB = "var/queue.db"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(
        level=logging.INFO, force=True, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    refusal = _not_on_postgres(argv)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    if argv[:1] == ["user"]:
        return _user(argv[1:])
    if argv[:1] == ["backup"]:
        return _backup(argv[1:])
    if argv[:1] == ["ship"]:
        return shipper_cli.main(argv[1:], DEFAULT_CONFIG, DEFAULT_DB)
    if argv[:1] == ["central"]:  # imported here: a site needs no PostgreSQL driver
        from queue_server.central import cli as central_cli

        return central_cli.main(argv[1:], serve)
    if argv[:2] == ["dossiers", "import"]:
        return _import_dossiers(argv[2:])
    parser = argparse.ArgumentParser(
        prog="python -m queue_server", description="Xếp hàng queue server"
    )
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="site configuration (TOML)")
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help="SQLite database file, or postgresql://… (an active instance and standbys)",
    )
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
        dossiers = load_dossier_config(args.config, config)
        proxies = parse_networks(args.trusted_proxy)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    problem = None if pgstore_wanted(args.db) else _unwritable(args.db)
    if problem is not None:  # one line, not a traceback looping under Restart=always
        print(problem, file=sys.stderr)
        return 2
    voice = voice_style_problem(config.hall.voice)
    if voice is not None:  # the web hall would read numbers half in silence
        print(f"error: {config.source}: hall.voice: {voice[0]}", file=sys.stderr)
        return 2
    warn_series(config)
    app = create_app(
        config,
        args.db,
        enforce_hours=not args.ignore_hours,
        tune_gc=True,
        trusted_proxies=proxies,
        dossiers=dossiers,
    )
    logging.getLogger("queue_server").info("event loop: %s", loop_name())
    # PostgreSQL: an instance that may no longer write stops serving at once (its
    # supervisor starts it again, as a standby).
    app[CONTEXT_KEY].lost_observers.append(_stop_serving)
    try:
        run(serve(app, args.host, args.port))
    except SchemaTooNewError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


# What the command line cannot do yet on a PostgreSQL database (issue 19), and why.
_NOT_ON_POSTGRES = {
    "backup": "backup on PostgreSQL is not supported: use pg_dump, or the managed "
    "service's backups",
    "ship": "shipping a PostgreSQL database's log to the province is not supported yet",
    "dossiers": "dossiers import on PostgreSQL is not supported yet: import into a SQLite "
    "file, or through the server",
}


def _not_on_postgres(argv: list[str]) -> str | None:
    """One line refusing a subcommand given a postgresql:// `--db` it cannot serve."""
    command = argv[0] if argv else ""
    if command not in _NOT_ON_POSTGRES:
        return None
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--db" and i + 1 < len(argv) else arg.removeprefix("--db=")
        if (arg == "--db" or arg.startswith("--db=")) and pgstore_wanted(value):
            return f"error: {_NOT_ON_POSTGRES[command]}"
    return None


# An instance that lost its PostgreSQL lock exits within this time even if its clean
# stop hangs (a writer blocked on a connection to a database it can no longer reach).
LOST_EXIT_SECONDS = 10.0


def _stop_serving(_reason: str) -> None:
    """This instance may no longer write: stop serving now (the port closes first, so
    clients and a load balancer turn to the standby), and exit (code 3) if the clean
    stop takes longer than `LOST_EXIT_SECONDS`."""
    os.kill(os.getpid(), signal.SIGTERM)
    timer = threading.Timer(LOST_EXIT_SECONDS, os._exit, (3,))
    timer.daemon = True
    timer.start()


def warn_series(config: SiteConfig, voice_dir: str | None = None) -> None:
    """Log, at start, series the hall would read alike (D015 / V015). Here, not in
    `create_app`: the app stays free of the announcer (tests/server/test_idle_imports.py);
    the command line pays its few pure-Python modules once."""
    warning = series_warning(config, voice_dir)
    if warning is not None:
        logging.getLogger("queue_server").warning("%s", warning)


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
    problem = None if pgstore_wanted(args.db) else _unwritable(args.db)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        print(asyncio.run(_accounts(args, password)))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


async def _accounts(args: argparse.Namespace, password: str) -> str:
    """Do what `python -m queue_server user …` asked; what to print."""
    if pgstore_wanted(args.db):  # beside a running server: no lock, no lease needed
        from queue_server.core.pgstore import open_accounts

        accounts = await open_accounts(args.db)
    else:
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


def _import_dossiers(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queue_server dossiers import",
        description="load dossiers from a CSV file into the built-in store (all or nothing)",
    )
    parser.add_argument("csv", help="UTF-8 CSV, columns as in queue_server/dossiers/csv_import.py")
    parser.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    try:
        text = Path(args.csv).read_text(encoding="utf-8")
        dossiers = parse_dossiers_csv(text, args.csv, time.time())
    except (OSError, UnicodeDecodeError, CsvError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    async def load() -> int:
        store = await Store.open(args.db)
        try:
            return await BuiltinDossiers(lambda: store).put(dossiers)
        finally:
            await store.close()

    print(f"{asyncio.run(load())} dossiers loaded into {args.db}")
    return 0


def _unwritable(path: str) -> str | None:
    """Why the database at `path` cannot be written, as one line to print, or None if
    it can: its folder created if need be, the file opened, a write lock taken and let go."""
    problem = _write_problem(path)
    return None if problem is None else f"error: cannot open the database {path}: {problem}"


def _write_problem(path: str) -> str | None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
    except FileExistsError as err:  # mkdir met a file where a folder should be
        return f"{err.filename} is a file, not a folder"
    except OSError as err:
        return f"{err.strerror or err} ({err.filename or Path(path).parent})"
    except sqlite3.Error as err:
        folder = Path(path).parent
        if Path(path).is_dir():
            return f"{err}: it is a folder"
        if not os.access(folder, os.W_OK):
            return f"{err}: the folder {folder} is not writable"
        return str(err)
    return None


if __name__ == "__main__":
    sys.exit(main())
