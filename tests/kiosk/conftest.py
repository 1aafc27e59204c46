"""The kiosk's tests leave their last reference cycles (the model and its client, a Qt
connection) to be dropped when the test's fixtures are torn down, after `run_scenario`
has already collected and given automatic collection back. Left to chance, the next
automatic collection may run in a worker thread of a later test (aiosqlite, the
printer's I/O) and free Qt objects there, which crashed the run in `processEvents`
(issue 16: seen with kiosk tests, then real-server tests, then the printer tests, in one
process). So each kiosk test ends with a collection here, in the GUI thread."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_in_the_gui_thread() -> Iterator[None]:
    yield  # torn down after the test's own fixtures (set up first, so finished last)
    gc.collect()
