"""A centre on PostgreSQL (issue 19), on the session's throw-away cluster (`pg`,
`pg_dsn`: tests/conftest.py); `db` runs a test on a SQLite file and on PostgreSQL."""

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    """Where the store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "q.db"
        return
    from tests.support.province import fresh_database

    async with fresh_database(request.getfixturevalue("pg")) as dsn:
        yield dsn
