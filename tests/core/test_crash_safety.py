"""A writer killed with SIGKILL while issuing loses no acknowledged ticket."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from queue_server.core.engine import Engine
from queue_server.core.store import Store
from queue_server.domain import commands as c
from tests.support import ROOT
from tests.support.siteconfig import small_site


def run_and_kill(db: Path, acks_wanted: int) -> list[tuple[int, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.crash_worker", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    acked = []
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                _, tid, number = line.split()
                acked.append((int(tid), number))
            if len(acked) >= acks_wanted:
                break
        os.kill(proc.pid, signal.SIGKILL)
        acked += [
            (int(t), n)
            for _, t, n in (line.split() for line in proc.stdout if line.startswith("ACK "))
        ]
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acked


async def test_sigkill_while_issuing_keeps_every_acknowledged_ticket(tmp_path):
    db = tmp_path / "crash.db"
    acked = run_and_kill(db, acks_wanted=400)
    assert len(acked) >= 400
    issued = (
        "SELECT ticket_id, json_extract(data, '$.number') FROM events WHERE type = 'ticket_issued'"
    )
    with sqlite3.connect(db) as conn:  # the event log is what must be durable
        stored = dict(conn.execute(issued))
        numbers = [n for _, n in conn.execute(issued)]
    for tid, number in acked:
        assert stored.get(tid) == number, f"acknowledged ticket {number} lost or changed"
    assert len(numbers) == len(set(numbers))

    engine = Engine(small_site(), await Store.open(db), enforce_hours=False)
    await engine.start()
    with sqlite3.connect(db) as conn:  # the tickets table caught up with the log at start
        assert dict(conn.execute("SELECT id, number FROM tickets")) == stored
    try:
        for service, prefix in (("khai-sinh", "A"), ("ket-hon", "B")):
            seqs = sorted(int(n[1:]) for n in numbers if n.startswith(prefix))
            assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
            out = await engine.submit(
                c.IssueTicket(actor="k", service=service, public_id=engine.new_public_id())
            )
            assert out.ticket["number"] == f"{prefix}{len(seqs) + 1:03d}"
    finally:
        await engine.stop()
        await engine.store.close()
