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


async def test_an_older_database_is_folded_again_for_procedures_and_percentiles(pg_dsn):
    """A province database at schema 3 (no procedure rollup, no histograms): migrating
    empties the rollups and sets every site back to fold its stored log again."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("CREATE TABLE schema_version (version int NOT NULL)")
        for number, script in enumerate(MIGRATIONS[:3], start=1):
            await conn.execute(script)
            await conn.execute("INSERT INTO schema_version VALUES ($1)", number)
        await conn.execute(
            "INSERT INTO sites (id, name, province, token_hash, acked, applied) "
            "VALUES ('xa', 'xa', 'Bình Dương', '', 40, 40)"
        )
        await conn.execute(
            "INSERT INTO fig_service (day, site_id, service, issued) "
            "VALUES ('2026-03-02', 'xa', 'ket-hon', 7)"
        )
        assert await migrate(conn) == len(MIGRATIONS)
        assert await conn.fetchval("SELECT applied FROM sites WHERE id = 'xa'") == 0
        assert await conn.fetchval("SELECT count(*) FROM fig_service") == 0
    finally:
        await conn.close()
