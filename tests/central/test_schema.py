"""The province database's numbered migrations, on a real PostgreSQL: applied once, in
order, again harmlessly; a database from a newer version refused."""

from __future__ import annotations

import asyncpg
import pytest

from queue_server.central.schema import MIGRATIONS, migrate


async def test_migrations_apply_once_and_refuse_a_newer_database(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await migrate(conn) == len(MIGRATIONS)
        assert await migrate(conn) == len(MIGRATIONS)  # a restart: nothing to do
        versions = await conn.fetch("SELECT version FROM schema_version ORDER BY version")
        assert [r["version"] for r in versions] == list(range(1, len(MIGRATIONS) + 1))
        assert await conn.fetchval("SELECT count(*) FROM pg_proc WHERE proname = 'apply_events'")
        await conn.execute("INSERT INTO schema_version VALUES ($1)", len(MIGRATIONS) + 1)
        with pytest.raises(RuntimeError, match="newer version"):
            await migrate(conn)
    finally:
        await conn.close()
