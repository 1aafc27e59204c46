"""The benchmark's full-size rollups are written straight from synthetic tickets
(`bench/province_rollups.py`); here, on a few site-days, the rows written that way
equal those the real fold (`apply_events`) makes from the same tickets as event logs."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bench import province_rollups as synth
from queue_server.central.schema import migrate
from queue_server.domain.report import satisfied_ratings
from tests.support.servers import sample_site

FIRST = dt.date(2026, 3, 2)


async def test_rollups_written_directly_equal_the_fold_of_the_same_events(pg_dsn, tmp_path):
    config = sample_site(tmp_path)
    sites = ["xa-a", "xa-b", "tinh"]
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate(conn)
        for site in sites:
            await conn.execute(
                "INSERT INTO sites (id, name, province, token_hash, satisfied, timezone) "
                "VALUES ($1, $1, 'Bình Dương', '', $2, $3)",
                site,
                sorted(satisfied_ratings(config)),
                config.site.timezone,
            )
        tickets = await synth.make_tickets(conn, config, sites, FIRST, 3, 150)
        assert tickets > 300
        await synth.write_rollups(conn, FIRST, FIRST + dt.timedelta(days=2))
        direct = {t: await synth.rollup_rows(conn, t) for t in synth.ROLLUPS}
        for table in synth.ROLLUPS:
            await conn.execute(f"DELETE FROM {table}")

        await synth.write_events(conn)
        for site in sites:
            async with conn.transaction():
                while await conn.fetchval("SELECT apply_events($1, 5000)", site):
                    pass
        folded = {t: await synth.rollup_rows(conn, t) for t in synth.ROLLUPS}
    finally:
        await conn.close()
    for table in synth.ROLLUPS:
        assert direct[table], table
        assert synth.same_rows(direct[table], folded[table]) is None, (
            table,
            synth.same_rows(direct[table], folded[table]),
        )
    # what the rows show: no-shows, expired tickets, procedures and ratings happened
    service = direct["fig_service"]
    assert sum(r["no_show"] for r in service) and sum(r["expired"] for r in service)
    assert sum(r["rated"] for r in service) > sum(r["satisfied"] for r in service) > 0
