"""The four apps as an operator starts them: `python -m counter_display.…` connects to the
server, and Ctrl+C (SIGINT) closes it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from tests.support import ROOT
from tests.support.qt import run_scenario
from tests.support.servers import DISPLAY_TOKEN, RATING_TOKEN, running_server
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(90)


def connected(server, role: str) -> int:
    return sum(1 for conn in server.hub.connections if conn.role == role)


async def read_until(proc: asyncio.subprocess.Process, marker: bytes) -> bytes:
    """The app's log up to the line with `marker` (or to its end, if it died first)."""
    seen = b""
    while marker not in seen:
        line = await proc.stderr.readline()
        if not line:
            break
        seen += line
    return seen


@pytest.mark.parametrize(
    ("module", "args", "role"),
    [
        (
            "counter_display.hall",
            ["--token", DISPLAY_TOKEN, "--no-voice", "--counters", "1,2"],
            "display",
        ),
        ("counter_display.counter", ["--token", DISPLAY_TOKEN, "--counter", "5"], "display"),
        ("counter_display.rating", ["--token", RATING_TOKEN, "--counter", "5"], "rating"),
        ("counter_display.console", ["--counter", "5"], None),
    ],
)
def test_app_starts_connects_and_stops_on_ctrl_c(qtbot, tmp_path, module, args, role):
    async def scenario():
        async with running_server(tmp_path / "q.db") as (base, server):
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                module,
                "--server",
                base,
                "--size",
                "800x600",
                *args,
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                # Every app logs "running" once its loop runs and takes Ctrl+C.
                started = await asyncio.wait_for(read_until(proc, b"running; Ctrl+C stops"), 40)
                if role is not None:
                    await until(
                        lambda: connected(server, role) == 1 or proc.returncode is not None,
                        timeout=40,
                        what=f"{module} connected",
                    )
                assert proc.returncode is None, (started + await proc.stderr.read()).decode()
                proc.send_signal(signal.SIGINT)
                _, rest = await asyncio.wait_for(proc.communicate(), 30)
                err = started + rest
                assert proc.returncode == 0, err.decode()
                assert b"Traceback" not in err, err.decode()
                if role is not None:
                    await until(lambda: connected(server, role) == 0, what="disconnected")
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    run_scenario(scenario())
