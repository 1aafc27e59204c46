"""The tickets table behind the log on PostgreSQL, written on a thread of its own (issue 19).

On SQLite the writer thread writes the tickets table itself, in slices between its
commits (`Store._project_slice`): SQLite has one writer anyway. On PostgreSQL a slice
is a round trip that held every durable commit queued meanwhile behind it (11–29 ms,
several times a second at 4,000 tickets/s), so the writer hands its slices over to this
thread, which writes them on a connection of its own while the writer goes on. The
rows are the newest state of tickets whose events are committed; a slice that fails is
tried again, merged under the newer rows, with the next one. `drain` waits until every
slice handed over has been tried (the writer's `_project`: before a call that may read
the table, and at close).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Projector:
    """A thread that writes slices of ticket rows with `write(rows)`, in order."""

    def __init__(self, write: Callable[[list[tuple]], None], refused: type[Exception]) -> None:
        self._write = write
        self._refused = refused  # this instance may no longer write: drop, do not retry
        self._jobs: queue.Queue[list[tuple] | None] = queue.Queue()
        self._failed: dict[int, tuple] = {}  # ticket id → newest row not written yet
        self._thread = threading.Thread(target=self._run, name="queue-db-projection", daemon=True)
        self._thread.start()

    def put(self, rows: list[tuple]) -> None:
        """Hand a slice over (rows keyed by ticket id in their first column)."""
        self._jobs.put(rows)

    def drain(self) -> None:
        """Return once every slice handed over, and what failed before, has been tried."""
        self._jobs.put([])  # a retry of what failed, if anything did
        self._jobs.join()

    def close(self) -> None:
        self.drain()
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            rows = self._jobs.get()
            try:
                if rows is None:
                    return
                pending = self._failed
                pending.update((row[0], row) for row in rows)
                if not pending:
                    continue
                try:
                    self._write(list(pending.values()))
                except self._refused as err:
                    log.error("tickets table not updated: %s", err)
                except Exception:  # the events are safe; try again with the next slice
                    log.exception("tickets table not updated; will retry")
                    continue
                self._failed = {}
            finally:
                self._jobs.task_done()
