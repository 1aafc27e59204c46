"""Stopping the server process: every stop signal ends it cleanly, however many come."""

from __future__ import annotations

import signal
import subprocess
import time

from tests.support.servers import ServerProcess


def test_repeated_stop_signals_during_shutdown_still_end_the_process(tmp_path):
    """A supervisor (systemd, run.sh's trap) may send TERM again while the server is
    already stopping; that must not cut the clean-up short and leave the process hanging
    on the database threads."""
    server = ServerProcess(tmp_path / "q.db")
    server.start()
    proc = server.proc
    assert proc is not None
    try:
        deadline = time.monotonic() + 2
        while proc.poll() is None and time.monotonic() < deadline:  # a burst of TERMs
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.002)
        assert proc.wait(timeout=20) == 0
    except subprocess.TimeoutExpired:
        raise AssertionError("the server hung after repeated TERM signals") from None
    finally:
        server.kill()
