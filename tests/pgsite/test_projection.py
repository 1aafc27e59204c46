"""The tickets table's thread on PostgreSQL (`core/pgprojection.py`): slices written in
order, a failed one tried again under the newer rows, nothing retried once fenced. (The
table catching up with the log, on a real database: test_store_parity.py.)"""

from __future__ import annotations

from queue_server.core.pgprojection import Projector
from queue_server.core.pgstore import Fenced


def test_a_failed_slice_is_written_again_with_the_next_under_its_newer_rows():
    calls: list[list[tuple]] = []

    def write(rows: list[tuple]) -> None:
        calls.append(sorted(rows))
        if len(calls) == 1:
            raise OSError("the database restarted")

    projector = Projector(write, Fenced)
    try:
        projector.put([(1, "waiting"), (2, "waiting")])
        projector.put([(2, "called"), (3, "waiting")])
        projector.drain()
        assert calls == [
            [(1, "waiting"), (2, "waiting")],
            [(1, "waiting"), (2, "called"), (3, "waiting")],
        ]
        projector.drain()  # nothing left to write
        assert len(calls) == 2
    finally:
        projector.close()


def test_a_fenced_instance_drops_its_rows():
    calls: list[list[tuple]] = []

    def write(rows: list[tuple]) -> None:
        calls.append(rows)
        raise Fenced("another instance took over")

    projector = Projector(write, Fenced)
    try:
        projector.put([(1, "waiting")])
        projector.drain()
        projector.put([(2, "waiting")])
        projector.drain()
        assert calls == [[(1, "waiting")], [(2, "waiting")]]  # (1) was not tried again
    finally:
        projector.close()
