"""One throw-away PostgreSQL cluster for the whole test session (initdb costs seconds);
each test gets its own database on it."""

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


@pytest.fixture
async def central(pg_dsn):
    from tests.support.province import CentralServer

    server = CentralServer(pg_dsn)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
