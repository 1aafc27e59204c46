"""Faults of a centre on PostgreSQL (issue 19): an instance that lost the lock without
knowing (fencing), a database of a newer schema, two instances started at once. (The
database restarting mid-storm: tests/pgsite/test_failover.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys

import psycopg
import pytest

from queue_protocol.errors import QueueError
from queue_server.core import pgschema
from queue_server.core.engine import Engine
from queue_server.core.pgstore import Fenced
from queue_server.domain import commands as c
from tests.support import ROOT
from tests.support.clock import FakeClock
from tests.support.failover import Instance
from tests.support.siteconfig import WEDNESDAY_9AM, small_site
from tests.support.stores import close_store, issued, open_store
from tests.support.waiting import until


def issue(engine, request_id=None, service="khai-sinh"):
    return engine.submit(
        c.IssueTicket(
            actor="kiosk-1",
            service=service,
            public_id=engine.new_public_id(),
            request_id=request_id,
        )
    )


async def test_an_instance_that_lost_the_lock_without_knowing_writes_nothing(pg_dsn):
    old = Engine(small_site(), await open_store(pg_dsn), clock=FakeClock(WEDNESDAY_9AM))
    await old.start()
    new = None
    try:
        assert [(await issue(old)).ticket["number"] for _ in range(3)] == ["A001", "A002", "A003"]
        # A partition: the database ends the old instance's lock session; the old
        # instance has not noticed (its store is not told), and the standby takes over.
        await old.store.leadership.release()
        new = Engine(small_site(), await open_store(pg_dsn), clock=FakeClock(WEDNESDAY_9AM))
        await new.start()
        assert new.store.lease == old.store.lease + 1
        with pytest.raises(QueueError, match="unavailable"):
            await issue(old, "late-on-the-old-one")
        assert old.store.fenced is not None
        with pytest.raises(Fenced):  # the writers beside the log are fenced too
            await old.store.write(
                lambda conn: conn.execute(
                    "INSERT INTO audit (at, actor, action) VALUES (?, ?, ?)", (0.0, "x", "y")
                )
            )
        assert (await issue(new)).ticket["number"] == "A004"
    finally:
        await old.stop()
        await close_store(old.store)
        if new is not None:
            await new.stop()
            await close_store(new.store)
    assert [n for _, n, _ in issued(pg_dsn)] == ["A001", "A002", "A003", "A004"]
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM audit WHERE actor = 'x'").fetchone() == (0,)


async def test_a_database_of_a_newer_schema_is_refused_with_one_line(pg_dsn, tmp_path):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE site_schema_version (version int NOT NULL)")
        conn.execute("INSERT INTO site_schema_version VALUES (99)")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "queue_server", "--db", pg_dsn, "--port", "0", "--ignore-hours"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: the database is from a newer version (schema 99; this server knows "
        f"{len(pgschema.MIGRATIONS)}): upgrade this server first"
    )


async def test_two_instances_started_at_once_one_serves_the_other_stands_by(pg_dsn, tmp_path):
    a, b = Instance(pg_dsn, tmp_path, "a"), Instance(pg_dsn, tmp_path, "b")
    a.start(wait=False)
    b.start(wait=False)
    try:
        await until(lambda: a.serving() or b.serving(), timeout=30, what="one instance to serve")
        active, standby = (a, b) if a.serving() else (b, a)
        await until(lambda: "waiting for its lock" in standby.text(), what="the other to stand by")
        assert not standby.serving() and standby.proc.poll() is None
        with psycopg.connect(pg_dsn) as conn:
            versions = conn.execute("SELECT version FROM site_schema_version ORDER BY 1")
            assert versions.fetchall() == [(n,) for n in range(1, len(pgschema.MIGRATIONS) + 1)]
            assert conn.execute("SELECT epoch FROM lease").fetchone() == (1,)
        assert active.health()["role"] == "active"
        active.stop()  # a clean stop lets the lock go: the standby takes over at once
        await until(standby.serving, timeout=30, what="the standby to serve")
        assert standby.health()["role"] == "active"
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute("SELECT epoch FROM lease").fetchone() == (2,)
    finally:
        a.kill()
        b.kill()


async def test_a_deposed_instance_changes_no_account(pg_dsn):
    """The accounts' changes beside the log (a role, a session ended from /quan-tri) are
    fenced as the batches are: refused with `unavailable`, nothing written."""
    from queue_server.core.accounts import Accounts

    store = await open_store(pg_dsn)
    accounts = Accounts(store.reader, writer=store.write)  # as the server makes them
    try:
        await accounts.add_user("an", "officer", "mat-khau-du-dai", actor="test")
        await accounts.login("an", "mat-khau-du-dai")
        (session,) = await accounts.session_list()
        # Another instance takes over (its takeover moves the lease's epoch); this one
        # has not heard of it.
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("UPDATE lease SET epoch = epoch + 1")
        with pytest.raises(QueueError, match="unavailable"):
            await accounts.update_user("an", role="admin", full_name="Lê Văn An", actor="x")
        with pytest.raises(QueueError, match="unavailable"):
            await accounts.end_session_by_id(session["id"], actor="x")
        with psycopg.connect(pg_dsn) as conn:  # nothing written
            assert conn.execute("SELECT role, full_name FROM users").fetchall() == [("officer", "")]
            assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
            assert conn.execute("SELECT count(*) FROM audit WHERE actor = 'x'").fetchone() == (0,)
        with pytest.raises(ValueError, match="not a look-up"):  # nor through the reader
            await store.reader.execute("UPDATE users SET role = 'admin'")
    finally:
        await close_store(store)


async def test_the_tickets_table_of_an_instance_that_lost_the_lock_is_not_written(pg_dsn):
    """The tickets table behind the log is written on a thread of its own, its lease check
    just before its commit (`core/pgprojection.py`): refused too once another took over."""
    old = Engine(small_site(), await open_store(pg_dsn), clock=FakeClock(WEDNESDAY_9AM))
    await old.start()
    new = None
    try:
        await issue(old)
        await old.store.sync_tickets([])  # the table has caught up: counter NULL
        await old.store.leadership.release()  # a partition, unnoticed by the old instance
        new = Engine(small_site(), await open_store(pg_dsn), clock=FakeClock(WEDNESDAY_9AM))
        await new.start()
        (ticket,) = old.state.tickets.values()
        await old.store.sync_tickets([dataclasses.replace(ticket, counter=7)])
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute("SELECT number, counter FROM tickets").fetchall() == [
                ("A001", None)
            ]
        assert old.store.fenced is not None
    finally:
        await old.stop()
        await close_store(old.store)
        if new is not None:
            await new.stop()
            await close_store(new.store)
