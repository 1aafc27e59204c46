"""`python -m queue_server central` as a process: it serves on its port (through the same
`serve` as a site's server, which stands by on PostgreSQL only for a site) and stops
cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

from queue_server.central import cli
from tests.support import ROOT
from tests.support.servers import free_port
from tests.support.waiting import answers, until_up


def test_the_province_server_serves_and_stops_on_sigterm(pg_dsn):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "queue_server", "central", "--pg", pg_dsn, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        until_up(lambda: answers(f"http://127.0.0.1:{port}/tinh"), "the province server", [proc])
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_province_server_limits_malloc_arenas_before_it_serves(monkeypatch):
    """As a site's server does (issue 18): its threads share a few glibc arenas."""
    done: list[str] = []
    monkeypatch.setattr(cli.heap, "limit_malloc_arenas", lambda: done.append("arenas"))

    def run(coroutine) -> None:  # instead of serving: what happened before it
        coroutine.close()
        done.append("serve")

    monkeypatch.setattr(cli, "run", run)
    monkeypatch.setattr(cli, "create_central_app", lambda dsn: None)

    async def serve(app, host, port) -> None:
        raise AssertionError("not reached")

    assert cli.main(["--pg", "postgresql://nowhere/x"], serve) == 0
    assert done == ["arenas", "serve"]
