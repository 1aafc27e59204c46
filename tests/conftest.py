"""Shared test set-up: Qt runs offscreen so tests work on a machine without a display;
the fixtures more than one folder uses."""

import os

import pytest

from printer.virtual import VirtualPrinter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
async def server(tmp_path):
    """The real queue server of the sample site, in this process; `server.stop()` and
    `server.start()` restart it on the same port."""
    # Imported here: the tests of the clients and the printer do not need the server.
    from tests.support.servers import InProcessServer

    async with InProcessServer(tmp_path / "q.db") as running:
        yield running


@pytest.fixture
async def vp(tmp_path):
    """A virtual ESC/POS printer on loopback, 80 mm, keeping its jobs in tmp_path/prints."""
    async with VirtualPrinter(out_dir=tmp_path / "prints", width=576) as printer:
        yield printer


@pytest.fixture(scope="session")
def pg():
    """One throw-away PostgreSQL cluster for the whole session (initdb costs seconds):
    the province tests and a centre's on PostgreSQL (issues 17, 19) share it."""
    from tests.support.postgres import pg_cluster

    with pg_cluster() as cluster:
        yield cluster


@pytest.fixture
async def pg_dsn(pg):
    """A fresh database of its own on the session's cluster, dropped afterwards."""
    from tests.support.province import fresh_database

    async with fresh_database(pg) as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    """Where the store lives, for a test that runs on both (issue 19): a SQLite file, or a
    fresh PostgreSQL database on the session's cluster."""
    if request.param == "sqlite":
        yield tmp_path / "q.db"
        return
    from tests.support.province import fresh_database

    async with fresh_database(request.getfixturevalue("pg")) as dsn:
        yield dsn
