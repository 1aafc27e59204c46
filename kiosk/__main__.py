"""python -m kiosk --server URL[,URL] --token DEVICE_TOKEN --printer PRINTER_CONFIG [--windowed]

Runs the touchscreen kiosk full screen: Qt renders, asyncio (through qasync) talks to
the queue server and to the printer.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from kiosk.config import load_kiosk_file
from printer.errors import ConfigError
from queue_protocol.urls import server_url_lists

log = logging.getLogger("kiosk")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--server",
        default=None,
        help="queue server, e.g. http://127.0.0.1:8765 (or ws://…/ws), or the active server "
        "and its standby, http://10.0.0.5:8765,http://10.0.0.6:8765 (default: [kiosk] servers "
        "of the --printer file)",
    )
    parser.add_argument("--token", required=True, help="this kiosk's device token")
    parser.add_argument(
        "--printer",
        required=True,
        type=Path,
        help="TOML file with a [printer] table (and optional [kiosk])",
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        help="a window instead of full screen (for trying it out)",
    )
    parser.add_argument(
        "--size",
        default="1080x1920",
        help="window size with --windowed, WIDTHxHEIGHT (default 1080x1920)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def quiet_escpos(record: logging.LogRecord) -> bool:
    """python-escpos logs every connection at INFO on the root logger: once per status poll."""
    return record.levelno > logging.INFO or "escpos" not in record.pathname


def server_setting(flag: str | None, servers: tuple[str, ...]) -> str:
    """The server addresses to use: `--server`, else the file's `[kiosk] servers`."""
    if flag:
        return flag
    if not servers:
        raise ValueError('give --server URL, or servers = ["http://host:port", …] in [kiosk]')
    return ",".join(servers)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(quiet_escpos)
    try:
        printer_config, settings = load_kiosk_file(args.printer)
        http_bases, ws_urls = server_url_lists(server_setting(args.server, settings.servers))
        width, _, height = args.size.partition("x")
        size = (int(width), int(height))
    except (ConfigError, ValueError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2

    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from kiosk.model import KioskModel
    from kiosk.style import load_fonts
    from kiosk.window import KioskWindow
    from printer.device import TicketPrinter
    from qtcommon.garbage import GuiThreadGarbage
    from queue_protocol.client import QueueClient

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing ends `run` below, which cleans up first
    load_fonts(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    garbage = GuiThreadGarbage()
    client = QueueClient(ws_urls, role="kiosk", token=args.token)
    model = KioskModel(client, TicketPrinter(printer_config), settings, http_bases)
    window = KioskWindow(model)
    if args.windowed:
        window.resize(*size)
        window.show()
    else:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)  # a finger needs no arrow
        window.showFullScreen()

    done = asyncio.Event()
    window.closed.connect(done.set)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)

    async def run() -> None:
        await model.start()
        log.info(
            "kiosk started: server %s, printer %s", ", ".join(http_bases), printer_config.connection
        )
        try:
            await done.wait()
        finally:
            await model.stop()

    try:
        with loop:
            loop.run_until_complete(run())
    finally:
        garbage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
