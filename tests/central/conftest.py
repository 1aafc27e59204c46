"""The province server on the session's throw-away PostgreSQL cluster (`pg`, `pg_dsn`:
tests/conftest.py); each test gets its own database on it."""

import pytest


@pytest.fixture
async def central(pg_dsn):
    from tests.support.province import CentralServer

    server = CentralServer(pg_dsn)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
