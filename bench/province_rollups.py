"""The province's rollups at full size without folding 70 million events: synthetic
tickets made in PostgreSQL, and the rollup rows they make written directly.

`make_tickets` fills `synth_tickets` with one row per ticket of every site-day: its
service, the procedure of the dossier it came with (60 % of the served), its counter
and officer, when it was issued, called and ended, how it ended (served, no-show 3 %,
expired uncalled 1 %) and its rating (70 % of the served). The variation is drawn
per site (3,000 ± 500 tickets a day, 8–32 counters, a mean wait of 5–25 minutes, a
mean service of 4½–10½ minutes), per day (± 100 tickets) and per ticket (a skewed
service mix, arrivals peaking late morning, exponential waits capped at 4 hours and
service times), seeded (`setseed`): the same arguments and the same query plan make
the same tickets (a different plan hands the random numbers out in another order: the
benchmark's runs differ by ~0.2 % in tickets).

Two ways from the same tickets to the rollups:

- `write_rollups`: INSERT … SELECT … GROUP BY from `synth_tickets` straight into every
  rollup and histogram the fold maintains (`fig_service`, `fig_staff`, `fig_hour`,
  `fig_procedure`, `hist_*`), for a range of days — what the benchmark does at full size;
- `write_events`: the tickets as the site's event log (`day_started`,
  `counter_opened`, `ticket_issued`, `ticket_called`, `dossier_received`,
  `ticket_finished` / `ticket_no_show`, `ticket_rated`, `ticket_expired`, in time
  order, the fields `to_dict` gives them) into `events`, to be folded by the real
  `apply_events`.

`tests/central/test_province_rollups.py` checks, on a few site-days, that the two give
the same rows (sums of seconds to 1e-6: added in another order); the benchmark runs
the same check on a small size before it builds the full one.

What the synthetic tickets leave out: transfers, holds, recalls, voided tickets,
bookings (`fig_booking` stays empty) — the report reads the same rollup rows either
way; its cost depends on how many rows there are, which these make as the fold does.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import asyncpg

from queue_server.domain.config import SiteConfig
from queue_server.domain.province import BUCKETS
from queue_server.domain.report import satisfied_ratings

OPENING_HOUR = 7.5  # local time: the first ticket; counters open a minute before
ROLLUPS = (
    "fig_service",
    "fig_staff",
    "fig_hour",
    "fig_procedure",
    "hist_service",
    "hist_staff",
    "hist_hour",
    "hist_procedure",
)

SETUP = """
DROP TABLE IF EXISTS synth_sites, synth_days, synth_services, synth_procs, synth_tickets;
CREATE UNLOGGED TABLE synth_sites (
    site_id text PRIMARY KEY, n int NOT NULL, tickets int NOT NULL, counters int NOT NULL,
    wait_mean float8 NOT NULL, service_mean float8 NOT NULL);
CREATE UNLOGGED TABLE synth_days (day date PRIMARY KEY, n int NOT NULL, opens float8 NOT NULL);
CREATE UNLOGGED TABLE synth_services (k int PRIMARY KEY, service text NOT NULL, procs int NOT NULL);
CREATE UNLOGGED TABLE synth_procs (service text, k int, code text, PRIMARY KEY (service, k));
CREATE UNLOGGED TABLE synth_tickets (
    site_id text NOT NULL, day date NOT NULL, ticket_id bigint NOT NULL, service text NOT NULL,
    procedure text, counter int, officer text, issued_at float8 NOT NULL,
    called_at float8, ended_at float8 NOT NULL, outcome text NOT NULL, rating text,
    happy boolean NOT NULL DEFAULT false, tz_hour smallint NOT NULL,
    wait float8,  -- from the issue to the call, as the fold computes it; None: never called
    spent float8);  -- from the call to the finish; None: not served
"""

# One statement per day range: random() seeded once before it (setseed), so the same
# arguments give the same tickets.
TICKETS = """
INSERT INTO synth_tickets
SELECT site_id, day, ticket_id, service, procedure, counter, officer, issued_at, called_at,
    ended_at, outcome, rating, false, tz_hour,
    CASE WHEN called_at IS NOT NULL THEN greatest(0, called_at - issued_at) END,
    CASE WHEN outcome = 'finished' THEN greatest(0, ended_at - called_at) END
FROM (
    SELECT x.site_id, x.day, x.ticket_id, x.service,
        CASE WHEN x.outcome = 'finished' AND x.r_proc < 0.6 THEN p.code END AS procedure,
        CASE WHEN x.outcome <> 'expired' THEN x.counter END AS counter,
        CASE WHEN x.outcome <> 'expired' THEN 'cb' || lpad(x.counter::text, 2, '0') END
            AS officer,
        x.issued_at,
        CASE WHEN x.outcome <> 'expired' THEN x.called_at END AS called_at,
        CASE x.outcome WHEN 'finished' THEN x.called_at + x.spent
            WHEN 'no_show' THEN x.called_at + 60 ELSE x.opens + 12 * 3600 END AS ended_at,
        x.outcome,
        CASE WHEN x.outcome = 'finished' AND x.r_rate < 0.7 THEN
            ($3::text[])[1 + floor(x.r_score * cardinality($3::text[]))::int] END AS rating,
        extract(hour FROM to_timestamp(x.issued_at) AT TIME ZONE $4)::smallint AS tz_hour
    FROM (
        SELECT b.*, sv.service, sv.procs,
            b.issued_at + least(4 * 3600, -ln(1 - b.r_wait) * b.wait_mean) AS called_at,
            30 + -ln(1 - b.r_spent) * b.service_mean AS spent,
            CASE WHEN b.r_end < 0.01 THEN 'expired' WHEN b.r_end < 0.04 THEN 'no_show'
                ELSE 'finished' END AS outcome
        FROM (
            SELECT s.site_id, d.day, d.opens, s.wait_mean, s.service_mean,
                d.n::bigint * 100000 + g.i AS ticket_id,
                1 + floor(random() * s.counters)::int AS counter,
                d.opens + 9 * 3600 * (random() + random() + random()) / 3 AS issued_at,
                random() AS r_wait, random() AS r_spent, random() AS r_end,
                random() AS r_proc, random() AS r_which, random() AS r_rate,
                random() AS r_score, floor(power(random(), 1.8) * $5)::int AS k
            FROM synth_sites s
            CROSS JOIN synth_days d
            CROSS JOIN LATERAL generate_series(
                1, s.tickets + floor((random() - 0.5) * s.tickets / 15)::int) AS g(i)
            WHERE d.day BETWEEN $1 AND $2
        ) b
        JOIN synth_services sv ON sv.k = b.k
    ) x
    LEFT JOIN synth_procs p ON p.service = x.service AND p.k = floor(x.r_which * x.procs)::int
) t
"""

# The rollups from the tickets: each figure as `apply_events` counts it (see
# central/schema.py): waits end at the call, services at the finish, a no-show is not
# service, hours are the local hour of the issue (the ticket joined its queue then).
ROLLUP_SQL = {
    "fig_service": """
INSERT INTO fig_service (day, site_id, service, issued, served, no_show, voided, expired,
    transferred, waits, wait_sum, wait_max, within_15, within_30, services, service_sum,
    service_max, rated, satisfied)
SELECT day, site_id, service, count(*), count(*) FILTER (WHERE outcome = 'finished'),
    count(*) FILTER (WHERE outcome = 'no_show'), 0, count(*) FILTER (WHERE outcome = 'expired'),
    0, count(wait), coalesce(sum(wait), 0), max(wait), count(*) FILTER (WHERE wait <= 900),
    count(*) FILTER (WHERE wait <= 1800), count(spent), coalesce(sum(spent), 0), max(spent),
    count(rating), count(*) FILTER (WHERE happy)
FROM synth_tickets WHERE day BETWEEN $1 AND $2 GROUP BY day, site_id, service
""",
    "fig_staff": """
INSERT INTO fig_staff (day, site_id, counter, officer, served, no_show, transferred,
    services, service_sum, service_max, rated, satisfied)
SELECT day, site_id, counter, officer, count(*) FILTER (WHERE outcome = 'finished'),
    count(*) FILTER (WHERE outcome = 'no_show'), 0, count(spent), coalesce(sum(spent), 0),
    max(spent), count(rating), count(*) FILTER (WHERE happy)
FROM synth_tickets WHERE day BETWEEN $1 AND $2 AND counter IS NOT NULL
GROUP BY day, site_id, counter, officer
""",
    "fig_hour": """
INSERT INTO fig_hour (day, site_id, hour, issued, waits, wait_sum, wait_max, within_15,
    within_30)
SELECT day, site_id, tz_hour, count(*), count(wait), coalesce(sum(wait), 0), max(wait),
    count(*) FILTER (WHERE wait <= 900), count(*) FILTER (WHERE wait <= 1800)
FROM synth_tickets WHERE day BETWEEN $1 AND $2 GROUP BY day, site_id, tz_hour
""",
    "fig_procedure": """
INSERT INTO fig_procedure (day, site_id, procedure, served, no_show, transferred, services,
    service_sum, service_max, rated, satisfied)
SELECT day, site_id, procedure, count(*), 0, 0, count(spent), coalesce(sum(spent), 0),
    max(spent), count(rating), count(*) FILTER (WHERE happy)
FROM synth_tickets WHERE day BETWEEN $1 AND $2 AND procedure IS NOT NULL
GROUP BY day, site_id, procedure
""",
}

_HISTOGRAM_SOURCES = {  # table → (its keys in synth_tickets, [(prefix, the time counted)])
    "hist_service": ("service", [("w", "wait"), ("s", "spent")]),
    "hist_staff": ("counter, officer", [("s", "spent")]),
    "hist_hour": ("tz_hour", [("w", "wait")]),
    "hist_procedure": ("procedure", [("s", "spent")]),
}


def _histogram_sql(table: str) -> str:
    """Count per group and bucket, then pivot into the table's bucket columns."""
    keys, kinds = _HISTOGRAM_SOURCES[table]
    narrow = " UNION ALL ".join(
        f"SELECT day, site_id, {keys}, '{prefix}' AS kind, bucket_of({time}) AS bucket, "
        f"count(*) AS n FROM synth_tickets WHERE day BETWEEN $1 AND $2 AND {time} IS NOT NULL "
        f"AND ({keys.split(',')[0]}) IS NOT NULL GROUP BY day, site_id, {keys}, bucket"
        for prefix, time in kinds
    )
    columns = [f"{p}{n}" for p, _ in kinds for n in range(len(BUCKETS))]
    pivot = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE kind = '{c[0]}' AND bucket = {c[1:]}), 0)" for c in columns
    )
    stored_keys = keys.replace("tz_hour", "hour")
    return (
        f"INSERT INTO {table} (day, site_id, {stored_keys}, {', '.join(columns)}) "
        f"SELECT day, site_id, {keys}, {pivot} FROM ({narrow}) x GROUP BY day, site_id, {keys}"
    )


ROLLUP_SQL.update({table: _histogram_sql(table) for table in _HISTOGRAM_SOURCES})

# The same tickets as the sites' event logs, in time order (ties: by ticket, then in
# the order the events of one ticket happen).
EVENTS = """
INSERT INTO events (site_id, id, day, at, type, data)
SELECT site_id, row_number() OVER (PARTITION BY site_id ORDER BY at, ticket_id, step),
    day, at, type, data || jsonb_build_object('type', type, 'at', at)
FROM (
    SELECT s.site_id, d.day, d.opens - 60 AS at, -1 AS ticket_id, 0 AS step,
        'day_started' AS type, jsonb_build_object('actor', 'system', 'day', d.day::text,
        'next_ticket_id', d.n * 100000 + 1) AS data
    FROM synth_sites s CROSS JOIN synth_days d
    UNION ALL
    SELECT s.site_id, d.day, d.opens - 30, c, 1, 'counter_opened',
        jsonb_build_object('actor', 'cb' || lpad(c::text, 2, '0'), 'counter', c,
        'officer', 'cb' || lpad(c::text, 2, '0'), 'officer_name', 'Cán bộ ' || c)
    FROM synth_sites s CROSS JOIN synth_days d CROSS JOIN generate_series(1, s.counters) c
    UNION ALL
    SELECT site_id, day, issued_at, ticket_id, 2, 'ticket_issued',
        jsonb_build_object('actor', 'kiosk', 'ticket_id', ticket_id,
        'public_id', 'p' || ticket_id, 'number', ticket_id::text, 'seq', 1,
        'service', service, 'priority', null, 'request_id', null, 'effective_at', null,
        'booking', null)
    FROM synth_tickets
    UNION ALL
    SELECT site_id, day, called_at, ticket_id, 3, 'ticket_called',
        jsonb_build_object('actor', officer, 'ticket_id', ticket_id, 'counter', counter,
        'recall', false)
    FROM synth_tickets WHERE called_at IS NOT NULL
    UNION ALL
    SELECT site_id, day, called_at + 1e-3, ticket_id, 4, 'dossier_received',
        jsonb_build_object('actor', officer, 'counter', counter, 'ticket_id', ticket_id,
        'procedure', procedure, 'dossier', 'HS' || ticket_id)
    FROM synth_tickets WHERE procedure IS NOT NULL
    UNION ALL
    SELECT site_id, day, ended_at, ticket_id, 5,
        CASE outcome WHEN 'finished' THEN 'ticket_finished' WHEN 'no_show'
            THEN 'ticket_no_show' ELSE 'ticket_expired' END,
        CASE outcome WHEN 'finished' THEN jsonb_build_object('actor', officer,
                'ticket_id', ticket_id, 'counter', counter, 'outcome', 'done')
            WHEN 'no_show' THEN jsonb_build_object('actor', officer, 'ticket_id', ticket_id,
                'counter', counter)
            ELSE jsonb_build_object('actor', 'system', 'ticket_id', ticket_id) END
    FROM synth_tickets
    UNION ALL
    SELECT site_id, day, ended_at + 5, ticket_id, 6, 'ticket_rated',
        jsonb_build_object('actor', 'pad', 'ticket_id', ticket_id, 'counter', counter,
        'rating', rating)
    FROM synth_tickets WHERE rating IS NOT NULL
) e
"""


def opening(day: dt.date, tz_offset_hours: float = 7.0) -> float:
    """The epoch seconds of `OPENING_HOUR` local time on `day` (Viet Nam: UTC+7, no DST)."""
    midnight = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
    return midnight + (OPENING_HOUR - tz_offset_hours) * 3600


async def make_tickets(
    conn: asyncpg.Connection,
    config: SiteConfig,
    sites: list[str],
    first: dt.date,
    days: int,
    tickets: int,
    seed: float = 0.17,
) -> int:
    """Fill `synth_tickets` (made anew) for `sites` × `days` days from `first`; how many."""
    await prepare(conn, config, sites, first, days, tickets, seed)
    return await add_tickets(conn, config, first, first + dt.timedelta(days=days - 1))


async def prepare(
    conn: asyncpg.Connection,
    config: SiteConfig,
    sites: list[str],
    first: dt.date,
    days: int,
    tickets: int,
    seed: float = 0.17,
) -> None:
    """The tables, the sites' sizes (drawn), the days, the services and procedures."""
    await conn.execute(SETUP)
    await conn.execute("SELECT setseed($1)", seed)
    await conn.executemany(
        "INSERT INTO synth_sites VALUES ($1, $2, round($3 * (5 + 2 * random()) / 6)::int, "
        "8 + floor(random() * 25)::int, 300 + random() * 1200, 240 + random() * 360)",
        [(site, n, tickets) for n, site in enumerate(sites)],
    )
    await conn.executemany(
        "INSERT INTO synth_days VALUES ($1, $2, $3)",
        [
            (first + dt.timedelta(days=n), n, opening(first + dt.timedelta(days=n)))
            for n in range(days)
        ],
    )
    services = list(config.services)
    await conn.executemany(
        "INSERT INTO synth_services VALUES ($1, $2, $3)",
        [(k, s, len(config.procedures.for_service(s))) for k, s in enumerate(services)],
    )
    await conn.executemany(
        "INSERT INTO synth_procs VALUES ($1, $2, $3)",
        [(s, k, p.code) for s in services for k, p in enumerate(config.procedures.for_service(s))],
    )


async def add_tickets(
    conn: asyncpg.Connection, config: SiteConfig, first: dt.date, last: dt.date
) -> int:
    """Add the tickets of every site on `first`…`last` to `synth_tickets`; how many."""
    scale = [choice.id for choice in config.rating_scale]
    await conn.execute(TICKETS, first, last, scale, config.site.timezone, len(config.services))
    await conn.execute(
        "UPDATE synth_tickets SET happy = true WHERE day BETWEEN $1 AND $2 "
        "AND rating = ANY ($3::text[])",
        first,
        last,
        sorted(satisfied_ratings(config)),
    )
    await conn.execute("ANALYZE synth_tickets")
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM synth_tickets WHERE day BETWEEN $1 AND $2", first, last
        )
    )


async def events_represented(conn: asyncpg.Connection) -> int:
    """How many events the logs of the tickets now in `synth_tickets` hold (as
    `write_events` writes them: a day's start and counters' openings, then per ticket
    its issue, call, dossier, end and rating)."""
    return int(
        await conn.fetchval(
            "SELECT (SELECT count(DISTINCT day) FROM synth_tickets) "
            "* (SELECT count(*) + sum(counters) FROM synth_sites) + count(*) "
            "+ count(called_at) + count(procedure) + count(*) + count(rating) "
            "FROM synth_tickets"
        )
    )


async def write_rollups(conn: asyncpg.Connection, first: dt.date, last: dt.date) -> None:
    """The rollup and histogram rows of the tickets of `first`…`last`, written directly."""
    for table in ROLLUPS:
        await conn.execute(ROLLUP_SQL[table], first, last)


async def write_events(conn: asyncpg.Connection) -> None:
    """Every site's log of the tickets into `events`; `sites.acked` moved to its end."""
    await conn.execute(EVENTS)
    await conn.execute(
        "UPDATE sites s SET acked = e.last FROM (SELECT site_id, max(id) AS last FROM events "
        "GROUP BY site_id) e WHERE s.id = e.site_id"
    )


async def rollup_rows(conn: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    """Every row of a rollup, in key order."""
    rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")
    return sorted((dict(r) for r in rows), key=lambda r: [str(v) for v in r.values()])


def same_rows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str | None:
    """None when the rows are equal (sums of seconds to 1e-6); else what differs."""
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    for x, y in zip(a, b, strict=True):
        for k in x:
            u, v = x[k], y[k]
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-6):
                    return f"{k}: {u} against {v} in {x}"
            elif u != v:
                return f"{k}: {u!r} against {v!r} in {x}"
    return None
