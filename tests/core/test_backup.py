"""Backups of the live database: consistent while the server writes, checked, rotated."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import uuid

from queue_server.core.store import Store, backup
from tests.support import ROOT
from tests.support.servers import KIOSK_TOKEN, peer, running_server
from tests.support.waiting import until

BIRTH = "khai-sinh-khai-tu"


async def test_a_backup_taken_while_tickets_are_issued_is_whole_and_consistent(tmp_path):
    db = tmp_path / "q.db"
    async with running_server(db) as (base, _server):
        kiosks = [await peer(base, "kiosk", KIOSK_TOKEN) for _ in range(4)]
        acknowledged: list[str] = []
        stop = asyncio.Event()

        async def keep_issuing(kiosk) -> None:
            while not stop.is_set():
                answer = await kiosk.request("issue", service=BIRTH, request_id=str(uuid.uuid4()))
                acknowledged.append(answer["ticket"]["number"])

        issuing = [asyncio.create_task(keep_issuing(k)) for k in kiosks]
        await until(lambda: len(acknowledged) >= 100, what="100 tickets acknowledged")
        before = len(acknowledged)
        copy = await asyncio.to_thread(backup, db, tmp_path / "backups")
        stop.set()
        await asyncio.gather(*issuing)
        for kiosk in kiosks:
            await kiosk.close()

    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        numbers = [
            data
            for (data,) in conn.execute(
                "SELECT json_extract(data, '$.number') FROM events WHERE type = 'ticket_issued' "
                "ORDER BY id"
            )
        ]
    assert len(numbers) >= before  # everything acknowledged before the copy began
    assert numbers == [f"D{n:03d}" for n in range(1, len(numbers) + 1)]  # no gap, no tear
    store = await Store.open(copy)  # and the server can start from it
    try:
        events, next_id = await store.load_day()
        assert sum(e.type == "ticket_issued" for e in events) == len(numbers)
        assert next_id == len(numbers) + 1
    finally:
        await store.close()


def test_only_the_newest_copies_stay_and_the_command_says_where(tmp_path):
    db = tmp_path / "q.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    made = [backup(db, tmp_path / "b", keep=2, now=1_780_000_000 + 60 * i) for i in range(3)]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [made[1].name, made[2].name]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server",
            "backup",
            "--db",
            str(db),
            "--to",
            str(tmp_path / "b"),
            "--keep",
            "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("backup written: ")
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server",
            "backup",
            "--db",
            str(tmp_path / "none.db"),
            "--to",
            str(tmp_path / "b"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "no database at" in missing.stderr
    assert not (tmp_path / "none.db").exists()
