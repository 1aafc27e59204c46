"""The province database (PostgreSQL): numbered migrations, in the style of the site's
`core/store.py` — a list of SQL scripts, applied in order, the number reached kept in
the database (`schema_version`), each in one transaction.

What is stored:

- `sites`: every centre of the province, its token's hash, its place (province,
  district), its names and rating scale as it last sent them (`meta`), and where its
  log stands: `acked` (the last event stored), `applied` (the last one folded into the
  rollups), `head` (the site's newest event, as it last said), its clock's skew.
- `events`: the sites' event logs, as they were written at the site, keyed by
  (site id, event id): a retry can never store an event twice.
- working state the rollups need (`ticket_state`, `counter_state`, `alert_state`,
  `booking_state`, `officers`): where each ticket waits, who is at which counter.
- the rollups, kept up to date as events arrive by `apply_events` (PL/pgSQL, in
  the database, one event at a time in log order; a slice's deltas are gathered in
  temporary tables and added to the rollups once per slice, `flush_rollups`):
  `fig_service` (site, day, service), `fig_staff` (site, day, counter, officer),
  `fig_hour` (site, day, hour), `fig_booking` (site, day). Sums, counts and maxima
  only: the report adds them up.
  Counts are `integer` (one site's day): `sum(integer)` adds in 64 bits, several times
  faster than `sum(bigint)`, which adds in `numeric`.

`apply_events` follows the definitions of `queue_server/domain/report.py` line by
line (the comments there name them); `tests/central/test_province_report.py` checks
the two give the same figures for the same logs.
"""

from __future__ import annotations

import asyncpg

from queue_server.domain.province import BUCKETS

# The histograms (issue 17): one row per rollup group, with a column per bucket of
# `domain/province.BUCKETS` — w0… for waits, s0… for services — so a period's
# histogram of a group is plain sums, as the rollups' figures are (a row per bucket
# would make the report read some fifty times more rows).
_HISTOGRAMS = {  # table → (its key columns, the kinds it counts)
    "hist_service": ("service text NOT NULL", ("w", "s")),
    "hist_staff": ("counter integer NOT NULL, officer text NOT NULL", ("s",)),
    "hist_hour": ("hour smallint NOT NULL", ("w",)),
    "hist_procedure": ("procedure text NOT NULL", ("s",)),
}


def _bucket_columns(kinds: tuple[str, ...]) -> list[str]:
    return [f"{k}{n}" for k in kinds for n in range(len(BUCKETS))]


def _histogram_tables() -> str:
    out = []
    for table, (keys, kinds) in _HISTOGRAMS.items():
        names = ", ".join(k.split()[0] for k in keys.split(", "))
        columns = ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in _bucket_columns(kinds))
        out.append(
            f"CREATE TABLE {table} (day date NOT NULL, site_id text NOT NULL, {keys}, "
            f"{columns}, PRIMARY KEY (day, site_id, {names}));"
        )
    return "\n".join(out)


def _histogram_flush() -> str:
    """Each delta table (`d_hist_*`: a row per wait or service) pivoted into its
    histogram's bucket columns and added to the stored rows."""
    out = []
    for table, (keys, kinds) in _HISTOGRAMS.items():
        key = "day, site_id, " + ", ".join(k.split()[0] for k in keys.split(", "))
        columns = _bucket_columns(kinds)
        pivot = ", ".join(
            f"coalesce(sum({c[0]}) FILTER (WHERE bucket = {c[1:]}), 0)" for c in columns
        )
        add = ", ".join(f"{c} = f.{c} + excluded.{c}" for c in columns)
        out.append(
            f"INSERT INTO {table} AS f ({key}, {', '.join(columns)}) "
            f"SELECT {key}, {pivot} FROM pg_temp.d_{table} GROUP BY {key} "
            f"ON CONFLICT ({key}) DO UPDATE SET {add}; DELETE FROM pg_temp.d_{table};"
        )
    return "\n".join(out)


_HISTOGRAM_TABLES = _histogram_tables()
_HISTOGRAM_FLUSH = _histogram_flush()

MIGRATIONS: list[str] = [
    # 1: sites, their event logs, leaders' accounts
    """
    CREATE TABLE sites (
        id text PRIMARY KEY,
        name text NOT NULL,
        province text NOT NULL,
        district text NOT NULL DEFAULT '',
        token_hash text NOT NULL,
        timezone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
        meta jsonb NOT NULL DEFAULT '{}',
        satisfied text[] NOT NULL DEFAULT '{}',
        acked bigint NOT NULL DEFAULT 0,
        acked_at double precision,
        applied bigint NOT NULL DEFAULT 0,
        head bigint NOT NULL DEFAULT 0,
        head_at double precision,
        last_seen double precision,
        skew_seconds double precision,
        day date
    );
    CREATE TABLE events (
        site_id text NOT NULL REFERENCES sites(id),
        id bigint NOT NULL,
        day date NOT NULL,
        at double precision NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (site_id, id)
    );
    CREATE TABLE leaders (
        username text PRIMARY KEY,
        password_hash text NOT NULL,
        full_name text NOT NULL DEFAULT '',
        scope text NOT NULL CHECK (scope IN ('province', 'district', 'site')),
        scope_value text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at double precision NOT NULL
    );
    CREATE TABLE leader_sessions (
        token_hash text PRIMARY KEY,
        username text NOT NULL REFERENCES leaders(username),
        expires_at double precision NOT NULL
    );
    """,
    # 2: the working state the rollups need, and the rollups
    """
    CREATE TABLE ticket_state (
        site_id text NOT NULL,
        ticket_id bigint NOT NULL,
        day date NOT NULL,
        current_service text NOT NULL,
        queued_at double precision,
        called_at double precision,
        counter integer,
        officer text,
        PRIMARY KEY (site_id, ticket_id)
    );
    CREATE INDEX ticket_state_waiting ON ticket_state (site_id, day)
        WHERE queued_at IS NOT NULL;
    CREATE TABLE counter_state (
        site_id text NOT NULL,
        counter integer NOT NULL,
        officer text NOT NULL,
        PRIMARY KEY (site_id, counter)
    );
    CREATE TABLE alert_state (
        site_id text NOT NULL,
        day date NOT NULL,
        alert_id bigint NOT NULL,
        kind text NOT NULL,
        PRIMARY KEY (site_id, day, alert_id)
    );
    CREATE TABLE booking_state (
        site_id text NOT NULL,
        code text NOT NULL,
        day date NOT NULL,
        status text NOT NULL,
        late boolean NOT NULL DEFAULT false,
        PRIMARY KEY (site_id, code)
    );
    CREATE TABLE officers (
        site_id text NOT NULL,
        username text NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (site_id, username)
    );
    CREATE TABLE fig_service (
        day date NOT NULL,
        site_id text NOT NULL,
        service text NOT NULL,
        issued integer NOT NULL DEFAULT 0,
        served integer NOT NULL DEFAULT 0,
        no_show integer NOT NULL DEFAULT 0,
        voided integer NOT NULL DEFAULT 0,
        expired integer NOT NULL DEFAULT 0,
        transferred integer NOT NULL DEFAULT 0,
        waits integer NOT NULL DEFAULT 0,
        wait_sum double precision NOT NULL DEFAULT 0,
        wait_max double precision,
        within_15 integer NOT NULL DEFAULT 0,
        within_30 integer NOT NULL DEFAULT 0,
        services integer NOT NULL DEFAULT 0,
        service_sum double precision NOT NULL DEFAULT 0,
        service_max double precision,
        rated integer NOT NULL DEFAULT 0,
        satisfied integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, site_id, service)
    );
    CREATE TABLE fig_staff (
        day date NOT NULL,
        site_id text NOT NULL,
        counter integer NOT NULL,
        officer text NOT NULL,  -- '' when nobody was signed in
        served integer NOT NULL DEFAULT 0,
        no_show integer NOT NULL DEFAULT 0,
        transferred integer NOT NULL DEFAULT 0,
        services integer NOT NULL DEFAULT 0,
        service_sum double precision NOT NULL DEFAULT 0,
        service_max double precision,
        rated integer NOT NULL DEFAULT 0,
        satisfied integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, site_id, counter, officer)
    );
    CREATE TABLE fig_hour (
        day date NOT NULL,
        site_id text NOT NULL,
        hour smallint NOT NULL,
        issued integer NOT NULL DEFAULT 0,
        waits integer NOT NULL DEFAULT 0,
        wait_sum double precision NOT NULL DEFAULT 0,
        wait_max double precision,
        within_15 integer NOT NULL DEFAULT 0,
        within_30 integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, site_id, hour)
    );
    CREATE TABLE fig_booking (
        day date NOT NULL,
        site_id text NOT NULL,
        made integer NOT NULL DEFAULT 0,
        checked_in integer NOT NULL DEFAULT 0,
        late integer NOT NULL DEFAULT 0,
        cancelled integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, site_id)
    );
    """,
    # 3: the rollups' maintenance: one function per rollup, and the fold of the log (all
    # PL/pgSQL: their statements' plans are kept for the session, where an SQL function's
    # INSERT would be planned again at every call)
    """
    CREATE FUNCTION bump_service(
        p_site text, p_day date, p_service text,
        p_issued int DEFAULT 0, p_served int DEFAULT 0, p_no_show int DEFAULT 0,
        p_voided int DEFAULT 0, p_expired int DEFAULT 0, p_transferred int DEFAULT 0,
        p_wait double precision DEFAULT NULL, p_spent double precision DEFAULT NULL,
        p_rated int DEFAULT 0, p_satisfied int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO pg_temp.d_service (day, site_id, service, issued, served, no_show,
            voided, expired, transferred, waits, wait_sum, wait_max, within_15, within_30,
            services, service_sum, service_max, rated, satisfied)
        VALUES (p_day, p_site, p_service, p_issued, p_served, p_no_show, p_voided,
            p_expired, p_transferred, (p_wait IS NOT NULL)::int, coalesce(p_wait, 0),
            p_wait, coalesce((p_wait <= 900)::int, 0), coalesce((p_wait <= 1800)::int, 0),
            (p_spent IS NOT NULL)::int, coalesce(p_spent, 0), p_spent, p_rated, p_satisfied);
    END;
    $$;

    CREATE FUNCTION bump_staff(
        p_site text, p_day date, p_counter int, p_officer text,
        p_served int DEFAULT 0, p_no_show int DEFAULT 0, p_transferred int DEFAULT 0,
        p_spent double precision DEFAULT NULL, p_rated int DEFAULT 0, p_satisfied int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO pg_temp.d_staff (day, site_id, counter, officer, served, no_show,
            transferred, services, service_sum, service_max, rated, satisfied)
        SELECT p_day, p_site, p_counter, coalesce(p_officer, ''), p_served, p_no_show,
            p_transferred, (p_spent IS NOT NULL)::int, coalesce(p_spent, 0), p_spent,
            p_rated, p_satisfied
        WHERE p_counter IS NOT NULL;  -- the report's staff groups need a counter
    END;
    $$;

    CREATE FUNCTION bump_hour(
        p_site text, p_day date, p_tz text, p_at double precision,
        p_issued int DEFAULT 0, p_wait double precision DEFAULT NULL
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO pg_temp.d_hour (day, site_id, hour, issued, waits, wait_sum, wait_max,
            within_15, within_30)
        VALUES (p_day, p_site,
            extract(hour FROM to_timestamp(p_at) AT TIME ZONE p_tz)::smallint,
            p_issued, (p_wait IS NOT NULL)::int, coalesce(p_wait, 0), p_wait,
            coalesce((p_wait <= 900)::int, 0), coalesce((p_wait <= 1800)::int, 0));
    END;
    $$;

    CREATE FUNCTION bump_booking(
        p_site text, p_day date, p_made int DEFAULT 0, p_checked_in int DEFAULT 0,
        p_late int DEFAULT 0, p_cancelled int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO fig_booking AS f (day, site_id, made, checked_in, late, cancelled)
        VALUES (p_day, p_site, p_made, p_checked_in, p_late, p_cancelled)
        ON CONFLICT (day, site_id) DO UPDATE SET
            made = f.made + excluded.made,
            checked_in = f.checked_in + excluded.checked_in,
            late = f.late + excluded.late,
            cancelled = f.cancelled + excluded.cancelled;
    END;
    $$;

    -- The slice's rollup deltas, added to the rollups at once: one upsert per rollup row
    -- and slice, not one per event (a row updated thousands of times in one
    -- transaction leaves as many versions to walk through).
    CREATE FUNCTION flush_rollups() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO fig_service AS f (day, site_id, service, issued, served, no_show, voided,
            expired, transferred, waits, wait_sum, wait_max, within_15, within_30, services,
            service_sum, service_max, rated, satisfied)
        SELECT day, site_id, service, sum(issued), sum(served), sum(no_show), sum(voided),
            sum(expired), sum(transferred), sum(waits), sum(wait_sum), max(wait_max),
            sum(within_15), sum(within_30), sum(services), sum(service_sum), max(service_max),
            sum(rated), sum(satisfied) FROM pg_temp.d_service
        GROUP BY day, site_id, service
        ON CONFLICT (day, site_id, service) DO UPDATE SET
            issued = f.issued + excluded.issued,
            served = f.served + excluded.served,
            no_show = f.no_show + excluded.no_show,
            voided = f.voided + excluded.voided,
            expired = f.expired + excluded.expired,
            transferred = f.transferred + excluded.transferred,
            waits = f.waits + excluded.waits,
            wait_sum = f.wait_sum + excluded.wait_sum,
            wait_max = greatest(f.wait_max, excluded.wait_max),
            within_15 = f.within_15 + excluded.within_15,
            within_30 = f.within_30 + excluded.within_30,
            services = f.services + excluded.services,
            service_sum = f.service_sum + excluded.service_sum,
            service_max = greatest(f.service_max, excluded.service_max),
            rated = f.rated + excluded.rated,
            satisfied = f.satisfied + excluded.satisfied;
        DELETE FROM pg_temp.d_service;
        INSERT INTO fig_staff AS f (day, site_id, counter, officer, served, no_show,
            transferred, services, service_sum, service_max, rated, satisfied)
        SELECT day, site_id, counter, officer, sum(served), sum(no_show), sum(transferred),
            sum(services), sum(service_sum), max(service_max), sum(rated), sum(satisfied) FROM
            pg_temp.d_staff
        GROUP BY day, site_id, counter, officer
        ON CONFLICT (day, site_id, counter, officer) DO UPDATE SET
            served = f.served + excluded.served,
            no_show = f.no_show + excluded.no_show,
            transferred = f.transferred + excluded.transferred,
            services = f.services + excluded.services,
            service_sum = f.service_sum + excluded.service_sum,
            service_max = greatest(f.service_max, excluded.service_max),
            rated = f.rated + excluded.rated,
            satisfied = f.satisfied + excluded.satisfied;
        DELETE FROM pg_temp.d_staff;
        INSERT INTO fig_hour AS f (day, site_id, hour, issued, waits, wait_sum, wait_max,
            within_15, within_30)
        SELECT day, site_id, hour, sum(issued), sum(waits), sum(wait_sum), max(wait_max),
            sum(within_15), sum(within_30) FROM pg_temp.d_hour
        GROUP BY day, site_id, hour
        ON CONFLICT (day, site_id, hour) DO UPDATE SET
            issued = f.issued + excluded.issued,
            waits = f.waits + excluded.waits,
            wait_sum = f.wait_sum + excluded.wait_sum,
            wait_max = greatest(f.wait_max, excluded.wait_max),
            within_15 = f.within_15 + excluded.within_15,
            within_30 = f.within_30 + excluded.within_30;
        DELETE FROM pg_temp.d_hour;
    END;
    $$;

    -- Fold at most p_limit of the site's stored events not yet folded, in log order,
    -- into the working state and the rollups; the number folded. Runs in the caller's
    -- transaction, which also moves `sites.applied`: each event is folded exactly once.
    CREATE FUNCTION apply_events(p_site text, p_limit int) RETURNS int
    LANGUAGE plpgsql AS $$
    DECLARE
        s sites%ROWTYPE;
        ev record;
        d jsonb;
        t ticket_state%ROWTYPE;
        n int := 0;
        last_id bigint;
        waited double precision;
        spent double precision;
        happy int;
        b booking_state%ROWTYPE;
    BEGIN
        IF to_regclass('pg_temp.d_service') IS NULL THEN  -- once per session
            CREATE TEMP TABLE d_service (LIKE fig_service);
            CREATE TEMP TABLE d_staff (LIKE fig_staff);
            CREATE TEMP TABLE d_hour (LIKE fig_hour);
        END IF;
        SELECT * INTO s FROM sites WHERE id = p_site FOR UPDATE;
        FOR ev IN
            SELECT id, at, type, data FROM events
            WHERE site_id = p_site AND id > s.applied AND id <= s.acked
            ORDER BY id LIMIT p_limit
        LOOP
            n := n + 1;
            last_id := ev.id;
            d := ev.data;
            IF ev.type = 'day_started' THEN
                s.day := (d->>'day')::date;
                DELETE FROM counter_state WHERE site_id = p_site;
                -- tickets of earlier days no longer change
                DELETE FROM ticket_state WHERE site_id = p_site AND day < s.day - 1;
            ELSIF ev.type = 'counter_opened' THEN
                INSERT INTO counter_state VALUES (p_site, (d->>'counter')::int, d->>'officer')
                ON CONFLICT (site_id, counter) DO UPDATE SET officer = excluded.officer;
                IF coalesce(d->>'officer_name', '') <> '' THEN
                    INSERT INTO officers VALUES (p_site, d->>'officer', d->>'officer_name')
                    ON CONFLICT (site_id, username) DO UPDATE SET name = excluded.name;
                END IF;
            ELSIF ev.type = 'counter_closed' THEN
                DELETE FROM counter_state
                WHERE site_id = p_site AND counter = (d->>'counter')::int;
            ELSIF ev.type = 'ticket_issued' THEN
                -- waits from joining the queue: the issue, or a booked slot not yet come
                INSERT INTO ticket_state (site_id, ticket_id, day, current_service, queued_at)
                VALUES (p_site, (d->>'ticket_id')::bigint, s.day, d->>'service',
                    greatest(ev.at, coalesce((d->>'effective_at')::double precision, ev.at)))
                ON CONFLICT (site_id, ticket_id) DO NOTHING;
                PERFORM bump_service(p_site, s.day, d->>'service', p_issued => 1);
                PERFORM bump_hour(p_site, s.day, s.timezone, ev.at, p_issued => 1);
            ELSIF ev.type IN ('ticket_called', 'ticket_finished', 'ticket_transferred',
                    'ticket_no_show', 'ticket_voided', 'ticket_expired', 'ticket_rated') THEN
                SELECT * INTO t FROM ticket_state
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint;
                CONTINUE WHEN NOT FOUND;
                IF ev.type = 'ticket_called' THEN
                    CONTINUE WHEN (d->>'recall')::boolean;  -- a recall is not a new call
                    t.counter := (d->>'counter')::int;
                    SELECT officer INTO t.officer FROM counter_state
                    WHERE site_id = p_site AND counter = t.counter;
                    IF NOT FOUND THEN t.officer := NULL; END IF;
                    IF t.queued_at IS NOT NULL THEN
                        waited := greatest(0, ev.at - t.queued_at);
                        PERFORM bump_service(p_site, t.day, t.current_service,
                            p_wait => waited);
                        PERFORM bump_hour(p_site, t.day, s.timezone, t.queued_at,
                            p_wait => waited);
                    END IF;
                    t.queued_at := NULL;
                    t.called_at := ev.at;
                ELSIF ev.type IN ('ticket_finished', 'ticket_transferred') THEN
                    -- service: from the call to the finish or the transfer that ends it
                    spent := CASE WHEN t.called_at IS NULL THEN NULL
                        ELSE greatest(0, ev.at - t.called_at) END;
                    IF ev.type = 'ticket_finished' THEN
                        PERFORM bump_service(p_site, t.day, t.current_service,
                            p_served => 1, p_spent => spent);
                        PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                            p_served => 1, p_spent => spent);
                    ELSE
                        PERFORM bump_service(p_site, t.day, d->>'from_service',
                            p_transferred => 1, p_spent => spent);
                        PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                            p_transferred => 1, p_spent => spent);
                        t.current_service := d->>'to_service';
                        t.queued_at := ev.at;  -- a transfer joins the new queue
                    END IF;
                    t.called_at := NULL;
                ELSIF ev.type = 'ticket_no_show' THEN
                    t.called_at := NULL;  -- a no-show is not service
                    PERFORM bump_service(p_site, t.day, t.current_service, p_no_show => 1);
                    PERFORM bump_staff(p_site, t.day, t.counter, t.officer, p_no_show => 1);
                ELSIF ev.type = 'ticket_voided' THEN
                    t.queued_at := NULL; t.called_at := NULL;
                    PERFORM bump_service(p_site, t.day, t.current_service, p_voided => 1);
                ELSIF ev.type = 'ticket_expired' THEN
                    t.queued_at := NULL; t.called_at := NULL;
                    PERFORM bump_service(p_site, t.day, t.current_service, p_expired => 1);
                ELSE  -- ticket_rated
                    happy := ((d->>'rating') = ANY (s.satisfied))::int;
                    PERFORM bump_service(p_site, t.day, t.current_service,
                        p_rated => 1, p_satisfied => happy);
                    PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                        p_rated => 1, p_satisfied => happy);
                END IF;
                UPDATE ticket_state SET current_service = t.current_service,
                    queued_at = t.queued_at, called_at = t.called_at, counter = t.counter,
                    officer = t.officer
                WHERE site_id = p_site AND ticket_id = t.ticket_id;
            ELSIF ev.type = 'booking_made' THEN
                INSERT INTO booking_state (site_id, code, day, status)
                VALUES (p_site, d->>'code', (d->>'day')::date, 'active')
                ON CONFLICT (site_id, code) DO NOTHING;
                IF FOUND THEN
                    PERFORM bump_booking(p_site, (d->>'day')::date, p_made => 1);
                END IF;
            ELSIF ev.type IN ('booking_cancelled', 'booking_checked_in',
                    'booking_reopened') THEN
                SELECT * INTO b FROM booking_state
                WHERE site_id = p_site AND code = d->>'code' FOR UPDATE;
                CONTINUE WHEN NOT FOUND;
                IF b.status = 'checked_in' THEN  -- undo what it counted in
                    PERFORM bump_booking(p_site, b.day, p_checked_in => -1,
                        p_late => -b.late::int);
                ELSIF b.status = 'cancelled' THEN
                    PERFORM bump_booking(p_site, b.day, p_cancelled => -1);
                END IF;
                IF ev.type = 'booking_cancelled' THEN
                    b.status := 'cancelled'; b.late := false;
                    PERFORM bump_booking(p_site, b.day, p_cancelled => 1);
                ELSIF ev.type = 'booking_checked_in' THEN
                    b.status := 'checked_in'; b.late := (d->>'late')::boolean;
                    PERFORM bump_booking(p_site, b.day, p_checked_in => 1,
                        p_late => b.late::int);
                ELSE
                    b.status := 'active'; b.late := false;
                END IF;
                UPDATE booking_state SET status = b.status, late = b.late
                WHERE site_id = p_site AND code = b.code;
            ELSIF ev.type = 'alert_raised' THEN
                INSERT INTO alert_state VALUES (p_site, s.day, (d->>'alert_id')::bigint,
                    d->>'kind') ON CONFLICT DO NOTHING;
            ELSIF ev.type = 'alert_cleared' THEN
                DELETE FROM alert_state WHERE site_id = p_site AND day = s.day
                    AND alert_id = (d->>'alert_id')::bigint;
            END IF;
        END LOOP;
        IF n > 0 THEN
            PERFORM flush_rollups();
            UPDATE sites SET applied = last_id, day = s.day WHERE id = p_site;
            PERFORM pg_notify('xephang_floor', p_site);
        END IF;
        RETURN n;
    END;
    $$;
    """,
    # 4: issue 17 — by procedure, and percentiles from histograms
    """
    -- issue 17: the procedure rollup and the histograms (percentiles)
    ALTER TABLE ticket_state ADD COLUMN procedures text[] NOT NULL DEFAULT '{}';
    -- parked at its counter since (a hold is not service time, as at the site)
    ALTER TABLE ticket_state ADD COLUMN held_at double precision;
    -- the rollups of an older database are folded again from the stored logs, so every
    -- day has its procedures and histograms (the server folds at start: applied < acked)
    TRUNCATE fig_service, fig_staff, fig_hour, fig_booking, ticket_state, counter_state,
        alert_state, booking_state;
    UPDATE sites SET applied = 0;
    CREATE TABLE fig_procedure (
        day date NOT NULL,
        site_id text NOT NULL,
        procedure text NOT NULL,
        served integer NOT NULL DEFAULT 0,
        no_show integer NOT NULL DEFAULT 0,
        transferred integer NOT NULL DEFAULT 0,
        services integer NOT NULL DEFAULT 0,
        service_sum double precision NOT NULL DEFAULT 0,
        service_max double precision,
        rated integer NOT NULL DEFAULT 0,
        satisfied integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, site_id, procedure)
    );
    -- The bucket of a time (domain/province.bucket_of): whole minutes up to an hour,
    -- 5 minutes up to two hours, a quarter of an hour up to four, then one bucket.
    CREATE FUNCTION bucket_of(p double precision) RETURNS smallint
    LANGUAGE sql IMMUTABLE AS $$
        SELECT (CASE WHEN p < 3600 THEN floor(greatest(p, 0) / 60)
            WHEN p < 7200 THEN 60 + floor((p - 3600) / 300)
            WHEN p < 14400 THEN 72 + floor((p - 7200) / 900) ELSE 80 END)::smallint
    $$;
    """
    + _HISTOGRAM_TABLES
    + """
    CREATE OR REPLACE FUNCTION bump_service(
        p_site text, p_day date, p_service text,
        p_issued int DEFAULT 0, p_served int DEFAULT 0, p_no_show int DEFAULT 0,
        p_voided int DEFAULT 0, p_expired int DEFAULT 0, p_transferred int DEFAULT 0,
        p_wait double precision DEFAULT NULL, p_spent double precision DEFAULT NULL,
        p_rated int DEFAULT 0, p_satisfied int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO pg_temp.d_service (day, site_id, service, issued, served, no_show,
            voided, expired, transferred, waits, wait_sum, wait_max, within_15, within_30,
            services, service_sum, service_max, rated, satisfied)
        VALUES (p_day, p_site, p_service, p_issued, p_served, p_no_show, p_voided,
            p_expired, p_transferred, (p_wait IS NOT NULL)::int, coalesce(p_wait, 0),
            p_wait, coalesce((p_wait <= 900)::int, 0), coalesce((p_wait <= 1800)::int, 0),
            (p_spent IS NOT NULL)::int, coalesce(p_spent, 0), p_spent, p_rated, p_satisfied);
        IF p_wait IS NOT NULL THEN
            INSERT INTO pg_temp.d_hist_service VALUES (p_day, p_site, p_service,
                bucket_of(p_wait), 1, 0);
        END IF;
        IF p_spent IS NOT NULL THEN
            INSERT INTO pg_temp.d_hist_service VALUES (p_day, p_site, p_service,
                bucket_of(p_spent), 0, 1);
        END IF;
    END;
    $$;

    CREATE OR REPLACE FUNCTION bump_staff(
        p_site text, p_day date, p_counter int, p_officer text,
        p_served int DEFAULT 0, p_no_show int DEFAULT 0, p_transferred int DEFAULT 0,
        p_spent double precision DEFAULT NULL, p_rated int DEFAULT 0, p_satisfied int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF p_counter IS NULL THEN  -- the report's staff groups need a counter
            RETURN;
        END IF;
        INSERT INTO pg_temp.d_staff (day, site_id, counter, officer, served, no_show,
            transferred, services, service_sum, service_max, rated, satisfied)
        VALUES (p_day, p_site, p_counter, coalesce(p_officer, ''), p_served, p_no_show,
            p_transferred, (p_spent IS NOT NULL)::int, coalesce(p_spent, 0), p_spent,
            p_rated, p_satisfied);
        IF p_spent IS NOT NULL THEN
            INSERT INTO pg_temp.d_hist_staff VALUES (p_day, p_site, p_counter,
                coalesce(p_officer, ''), bucket_of(p_spent), 1);
        END IF;
    END;
    $$;

    CREATE OR REPLACE FUNCTION bump_hour(
        p_site text, p_day date, p_tz text, p_at double precision,
        p_issued int DEFAULT 0, p_wait double precision DEFAULT NULL
    ) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        h smallint := extract(hour FROM to_timestamp(p_at) AT TIME ZONE p_tz)::smallint;
    BEGIN
        INSERT INTO pg_temp.d_hour (day, site_id, hour, issued, waits, wait_sum, wait_max,
            within_15, within_30)
        VALUES (p_day, p_site, h, p_issued, (p_wait IS NOT NULL)::int, coalesce(p_wait, 0),
            p_wait, coalesce((p_wait <= 900)::int, 0), coalesce((p_wait <= 1800)::int, 0));
        IF p_wait IS NOT NULL THEN
            INSERT INTO pg_temp.d_hist_hour VALUES (p_day, p_site, h, bucket_of(p_wait), 1);
        END IF;
    END;
    $$;

    -- A ticket's staff figures count for each procedure of the dossiers it came with
    -- (the site report's `procedures`).
    CREATE FUNCTION bump_procedure(
        p_site text, p_day date, p_procedures text[],
        p_served int DEFAULT 0, p_no_show int DEFAULT 0, p_transferred int DEFAULT 0,
        p_spent double precision DEFAULT NULL, p_rated int DEFAULT 0, p_satisfied int DEFAULT 0
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF cardinality(p_procedures) = 0 THEN
            RETURN;
        END IF;
        INSERT INTO pg_temp.d_procedure (day, site_id, procedure, served, no_show,
            transferred, services, service_sum, service_max, rated, satisfied)
        SELECT p_day, p_site, p, p_served, p_no_show, p_transferred,
            (p_spent IS NOT NULL)::int, coalesce(p_spent, 0), p_spent, p_rated, p_satisfied
        FROM unnest(p_procedures) AS p;
        IF p_spent IS NOT NULL THEN
            INSERT INTO pg_temp.d_hist_procedure
            SELECT p_day, p_site, p, bucket_of(p_spent), 1 FROM unnest(p_procedures) AS p;
        END IF;
    END;
    $$;

    -- The slice's procedure rows and histogram counts, added at once (as flush_rollups).
    CREATE FUNCTION flush_histograms() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO fig_procedure AS f (day, site_id, procedure, served, no_show,
            transferred, services, service_sum, service_max, rated, satisfied)
        SELECT day, site_id, procedure, sum(served), sum(no_show), sum(transferred),
            sum(services), sum(service_sum), max(service_max), sum(rated), sum(satisfied)
        FROM pg_temp.d_procedure
        GROUP BY day, site_id, procedure
        ON CONFLICT (day, site_id, procedure) DO UPDATE SET
            served = f.served + excluded.served,
            no_show = f.no_show + excluded.no_show,
            transferred = f.transferred + excluded.transferred,
            services = f.services + excluded.services,
            service_sum = f.service_sum + excluded.service_sum,
            service_max = greatest(f.service_max, excluded.service_max),
            rated = f.rated + excluded.rated,
            satisfied = f.satisfied + excluded.satisfied;
        DELETE FROM pg_temp.d_procedure;
    """
    + _HISTOGRAM_FLUSH
    + """
    END;
    $$;

    CREATE OR REPLACE FUNCTION apply_events(p_site text, p_limit int) RETURNS int
    LANGUAGE plpgsql AS $$
    DECLARE
        s sites%ROWTYPE;
        ev record;
        d jsonb;
        t ticket_state%ROWTYPE;
        n int := 0;
        last_id bigint;
        waited double precision;
        spent double precision;
        happy int;
        b booking_state%ROWTYPE;
    BEGIN
        IF to_regclass('pg_temp.d_hist_procedure') IS NULL THEN  -- once per session
            CREATE TEMP TABLE IF NOT EXISTS d_service (LIKE fig_service);
            CREATE TEMP TABLE IF NOT EXISTS d_staff (LIKE fig_staff);
            CREATE TEMP TABLE IF NOT EXISTS d_hour (LIKE fig_hour);
            CREATE TEMP TABLE d_procedure (LIKE fig_procedure INCLUDING DEFAULTS);
            -- one row per wait or service: its group, its bucket, which of the two
            CREATE TEMP TABLE d_hist_service (day date, site_id text, service text,
                bucket smallint, w int, s int);
            CREATE TEMP TABLE d_hist_staff (day date, site_id text, counter int,
                officer text, bucket smallint, s int);
            CREATE TEMP TABLE d_hist_hour (day date, site_id text, hour smallint,
                bucket smallint, w int);
            CREATE TEMP TABLE d_hist_procedure (day date, site_id text, procedure text,
                bucket smallint, s int);
        END IF;
        SELECT * INTO s FROM sites WHERE id = p_site FOR UPDATE;
        FOR ev IN
            SELECT id, at, type, data FROM events
            WHERE site_id = p_site AND id > s.applied AND id <= s.acked
            ORDER BY id LIMIT p_limit
        LOOP
            n := n + 1;
            last_id := ev.id;
            d := ev.data;
            IF ev.type = 'day_started' THEN
                s.day := (d->>'day')::date;
                DELETE FROM counter_state WHERE site_id = p_site;
                -- tickets of earlier days no longer change
                DELETE FROM ticket_state WHERE site_id = p_site AND day < s.day - 1;
            ELSIF ev.type = 'counter_opened' THEN
                INSERT INTO counter_state VALUES (p_site, (d->>'counter')::int, d->>'officer')
                ON CONFLICT (site_id, counter) DO UPDATE SET officer = excluded.officer;
                IF coalesce(d->>'officer_name', '') <> '' THEN
                    INSERT INTO officers VALUES (p_site, d->>'officer', d->>'officer_name')
                    ON CONFLICT (site_id, username) DO UPDATE SET name = excluded.name;
                END IF;
            ELSIF ev.type = 'counter_closed' THEN
                DELETE FROM counter_state
                WHERE site_id = p_site AND counter = (d->>'counter')::int;
            ELSIF ev.type = 'ticket_issued' THEN
                -- waits from joining the queue: the issue, or a booked slot not yet come
                INSERT INTO ticket_state (site_id, ticket_id, day, current_service, queued_at)
                VALUES (p_site, (d->>'ticket_id')::bigint, s.day, d->>'service',
                    greatest(ev.at, coalesce((d->>'effective_at')::double precision, ev.at)))
                ON CONFLICT (site_id, ticket_id) DO NOTHING;
                PERFORM bump_service(p_site, s.day, d->>'service', p_issued => 1);
                PERFORM bump_hour(p_site, s.day, s.timezone, ev.at, p_issued => 1);
            ELSIF ev.type IN ('ticket_called', 'ticket_finished', 'ticket_transferred',
                    'ticket_no_show', 'ticket_voided', 'ticket_expired', 'ticket_rated') THEN
                SELECT * INTO t FROM ticket_state
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint;
                CONTINUE WHEN NOT FOUND;
                IF ev.type = 'ticket_called' THEN
                    CONTINUE WHEN (d->>'recall')::boolean;  -- a recall is not a new call
                    t.counter := (d->>'counter')::int;
                    SELECT officer INTO t.officer FROM counter_state
                    WHERE site_id = p_site AND counter = t.counter;
                    IF NOT FOUND THEN t.officer := NULL; END IF;
                    IF t.queued_at IS NOT NULL THEN
                        waited := greatest(0, ev.at - t.queued_at);
                        PERFORM bump_service(p_site, t.day, t.current_service,
                            p_wait => waited);
                        PERFORM bump_hour(p_site, t.day, s.timezone, t.queued_at,
                            p_wait => waited);
                    END IF;
                    t.queued_at := NULL;
                    t.called_at := ev.at;
                ELSIF ev.type IN ('ticket_finished', 'ticket_transferred') THEN
                    -- service: from the call to the finish or the transfer that ends it
                    spent := CASE WHEN t.called_at IS NULL THEN NULL
                        ELSE greatest(0, ev.at - t.called_at) END;
                    IF ev.type = 'ticket_finished' THEN
                        PERFORM bump_service(p_site, t.day, t.current_service,
                            p_served => 1, p_spent => spent);
                        PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                            p_served => 1, p_spent => spent);
                        PERFORM bump_procedure(p_site, t.day, t.procedures,
                            p_served => 1, p_spent => spent);
                    ELSE
                        PERFORM bump_service(p_site, t.day, d->>'from_service',
                            p_transferred => 1, p_spent => spent);
                        PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                            p_transferred => 1, p_spent => spent);
                        PERFORM bump_procedure(p_site, t.day, t.procedures,
                            p_transferred => 1, p_spent => spent);
                        t.current_service := d->>'to_service';
                        t.queued_at := ev.at;  -- a transfer joins the new queue
                    END IF;
                    t.called_at := NULL;
                ELSIF ev.type = 'ticket_no_show' THEN
                    t.called_at := NULL;  -- a no-show is not service
                    PERFORM bump_service(p_site, t.day, t.current_service, p_no_show => 1);
                    PERFORM bump_staff(p_site, t.day, t.counter, t.officer, p_no_show => 1);
                    PERFORM bump_procedure(p_site, t.day, t.procedures, p_no_show => 1);
                ELSIF ev.type = 'ticket_voided' THEN
                    t.queued_at := NULL; t.called_at := NULL;
                    PERFORM bump_service(p_site, t.day, t.current_service, p_voided => 1);
                ELSIF ev.type = 'ticket_expired' THEN
                    t.queued_at := NULL; t.called_at := NULL;
                    PERFORM bump_service(p_site, t.day, t.current_service, p_expired => 1);
                ELSE  -- ticket_rated
                    happy := ((d->>'rating') = ANY (s.satisfied))::int;
                    PERFORM bump_service(p_site, t.day, t.current_service,
                        p_rated => 1, p_satisfied => happy);
                    PERFORM bump_staff(p_site, t.day, t.counter, t.officer,
                        p_rated => 1, p_satisfied => happy);
                    PERFORM bump_procedure(p_site, t.day, t.procedures,
                        p_rated => 1, p_satisfied => happy);
                END IF;
                UPDATE ticket_state SET current_service = t.current_service,
                    queued_at = t.queued_at, called_at = t.called_at, counter = t.counter,
                    officer = t.officer
                WHERE site_id = p_site AND ticket_id = t.ticket_id;
            ELSIF ev.type = 'ticket_held' THEN
                UPDATE ticket_state SET held_at = ev.at
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint;
            ELSIF ev.type = 'ticket_resumed' THEN
                -- the service time leaves the hold out
                UPDATE ticket_state SET held_at = NULL,
                    called_at = called_at + (ev.at - held_at)
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint
                    AND called_at IS NOT NULL AND held_at IS NOT NULL;
                UPDATE ticket_state SET held_at = NULL
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint;
            ELSIF ev.type = 'dossier_received' THEN
                -- the ticket's service from now on counts for the procedure too
                UPDATE ticket_state SET procedures = procedures || (d->>'procedure')
                WHERE site_id = p_site AND ticket_id = (d->>'ticket_id')::bigint
                    AND NOT (d->>'procedure') = ANY (procedures);
            ELSIF ev.type = 'booking_made' THEN
                INSERT INTO booking_state (site_id, code, day, status)
                VALUES (p_site, d->>'code', (d->>'day')::date, 'active')
                ON CONFLICT (site_id, code) DO NOTHING;
                IF FOUND THEN
                    PERFORM bump_booking(p_site, (d->>'day')::date, p_made => 1);
                END IF;
            ELSIF ev.type IN ('booking_cancelled', 'booking_checked_in',
                    'booking_reopened') THEN
                SELECT * INTO b FROM booking_state
                WHERE site_id = p_site AND code = d->>'code' FOR UPDATE;
                CONTINUE WHEN NOT FOUND;
                IF b.status = 'checked_in' THEN  -- undo what it counted in
                    PERFORM bump_booking(p_site, b.day, p_checked_in => -1,
                        p_late => -b.late::int);
                ELSIF b.status = 'cancelled' THEN
                    PERFORM bump_booking(p_site, b.day, p_cancelled => -1);
                END IF;
                IF ev.type = 'booking_cancelled' THEN
                    b.status := 'cancelled'; b.late := false;
                    PERFORM bump_booking(p_site, b.day, p_cancelled => 1);
                ELSIF ev.type = 'booking_checked_in' THEN
                    b.status := 'checked_in'; b.late := (d->>'late')::boolean;
                    PERFORM bump_booking(p_site, b.day, p_checked_in => 1,
                        p_late => b.late::int);
                ELSE
                    b.status := 'active'; b.late := false;
                END IF;
                UPDATE booking_state SET status = b.status, late = b.late
                WHERE site_id = p_site AND code = b.code;
            ELSIF ev.type = 'alert_raised' THEN
                INSERT INTO alert_state VALUES (p_site, s.day, (d->>'alert_id')::bigint,
                    d->>'kind') ON CONFLICT DO NOTHING;
            ELSIF ev.type = 'alert_cleared' THEN
                DELETE FROM alert_state WHERE site_id = p_site AND day = s.day
                    AND alert_id = (d->>'alert_id')::bigint;
            END IF;
        END LOOP;
        IF n > 0 THEN
            PERFORM flush_rollups();
            PERFORM flush_histograms();
            UPDATE sites SET applied = last_id, day = s.day WHERE id = p_site;
            PERFORM pg_notify('xephang_floor', p_site);
        END IF;
        RETURN n;
    END;
    $$;
    """,
    # 5: issue 17 — the leaders' audit
    """
    -- issue 17: sign-ins (and refusals), sign-outs and exports of the leaders
    CREATE TABLE leader_audit (
        id bigserial PRIMARY KEY,
        at double precision NOT NULL,
        username text NOT NULL,
        action text NOT NULL,  -- sign_in, sign_in_refused, sign_in_limited, sign_out, export
        address text NOT NULL DEFAULT '',
        detail jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX leader_audit_at ON leader_audit (at);
    """,
]


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the database to the newest schema; the version it is at. A database from
    a newer version is refused, as at a site."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(7171)")  # one migrator at a time
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)")
        version = await conn.fetchval("SELECT max(version) FROM schema_version") or 0
    if version > len(MIGRATIONS):
        raise RuntimeError(f"the database is from a newer version (schema {version})")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(7171)")
            done = await conn.fetchval("SELECT max(version) FROM schema_version") or 0
            if done >= number:
                continue
            await conn.execute(script)
            await conn.execute("INSERT INTO schema_version VALUES ($1)", number)
    return len(MIGRATIONS)


async def create_pool(dsn: str, size: int = 10) -> asyncpg.Pool:
    """The province server's connections. JIT compilation off: the report's queries are
    short, and compiling them cost more than it saved (hundreds of milliseconds).
    Custom plans always: a generic plan of a day range scanned whole rollups. 32 MB to
    aggregate in: the histograms' grouping (thousands of counters × 81 sums) spilled
    to disk in 4 MB."""
    return await asyncpg.create_pool(
        dsn,
        min_size=2,
        max_size=size,
        server_settings={"jit": "off", "plan_cache_mode": "force_custom_plan", "work_mem": "32MB"},
    )
