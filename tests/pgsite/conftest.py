"""One throw-away PostgreSQL cluster for these tests (initdb costs seconds); each test
gets its own database on it; `db` runs a test on a SQLite file and on PostgreSQL."""

import pytest

from tests.support.postgres import pg_cluster


@pytest.fixture(scope="session")
def pg():
    with pg_cluster() as cluster:
        yield cluster


@pytest.fixture
async def pg_dsn(pg):
    from tests.support.province import fresh_database

    async with fresh_database(pg) as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    """Where the store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "q.db"
        return
    from tests.support.province import fresh_database

    async with fresh_database(request.getfixturevalue("pg")) as dsn:
        yield dsn
