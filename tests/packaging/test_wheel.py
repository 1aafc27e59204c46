"""The wheel works outside a checkout.

The project is built (`python -m build --wheel`, from a copy of the source tree so the
working tree gets no `build/`), installed into a fresh virtual environment in a temporary
directory, and run from there with the repository nowhere on the path:

- the wheel holds every data file the code reads (fonts, voice clips, the sample site,
  the web pages, the kiosk's sample printer file) and the LICENSE;
- a server host (`[server]`) gets neither Qt nor the USB/serial printer libraries, and the
  kiosk and display extras none of the server's;
- `xephang-server --help` runs; then `xephang-printer` (the virtual printer) and
  `xephang-server` (the sample site shipped in the package) run, and the installed kiosk
  model (the kiosk without its screen) takes a ticket that comes out of the virtual
  printer as a PNG.

pip installs from its cache or the package index (the first run on a machine downloads
PySide6); with the wheels at hand the whole module takes 25–40 s (build 3 s, fresh
venv 4 s, `[server]` 12 s, `+kiosk` 8 s, server and ticket 3 s).
"""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PIL import Image

from tests.support.servers import free_port
from tests.support.waiting import answers, until_up

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "announce",
    "assets",
    "counter_display",
    "kiosk",
    "printer",
    "qtcommon",
    "queue_protocol",
    "queue_server",
    "vntext",
)
SCRIPTS = (
    "xephang-server",
    "xephang-kiosk",
    "xephang-console",
    "xephang-counter",
    "xephang-hall",
    "xephang-rating",
    "xephang-printer",
)
# Top-level entries of the checkout that the build does not need.
NOT_COPIED = {
    ".git",
    ".venv",
    "var",
    "build",
    "dist",
    "tests",
    "docs",
    "bench",
    "scripts",
    ".ci",
    ".hypothesis",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
}
# A server host may drive a GSM modem on a serial port (pyserial), never a USB printer.
QT_OR_USB = {
    "pyside6",
    "pyside6-essentials",
    "pyside6-addons",
    "shiboken6",
    "qasync",
    "python-escpos",
    "pyusb",
}
SERVER_ONLY = {"aiosqlite", "prometheus-client", "uvloop"}
KIOSK_TOKEN = "kiosk-1-demo-token-change-me"

pytestmark = pytest.mark.timeout(240)


def run(
    cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


def outside_env() -> dict[str, str]:
    """The environment of a shell on a host where the package is installed: no trace of
    this checkout or of the test run's virtual environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def copy_source(dst: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}
        if Path(folder) == ROOT:
            skip |= {n for n in names if n in NOT_COPIED}
        return skip

    shutil.copytree(ROOT, dst, ignore=ignore)


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def requirement_names(metadata: str) -> dict[str, set[str]]:
    """{extra ("" for the base): names of the distributions it requires} from METADATA."""
    message = email.parser.Parser().parsestr(metadata)
    extras = [""] + (message.get_all("Provides-Extra") or [])
    names: dict[str, set[str]] = {extra: set() for extra in extras}
    for line in message.get_all("Requires-Dist") or []:
        req = Requirement(line)
        for extra in extras:
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                names[extra].add(req.name.lower())
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    break  # a base requirement, whatever the extra
    return names


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wheel")
    assert ROOT not in path.parents and path != ROOT
    return path


@pytest.fixture(scope="module")
def wheel(work: Path) -> Path:
    src = work / "src"
    copy_source(src)
    run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", src],
        cwd=work,
        env=outside_env(),
    )
    (built,) = (work / "dist").glob("xep_hang-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(work: Path, wheel: Path) -> Iterator[dict[str, object]]:
    """A fresh virtual environment with the wheel and the `server` extra: a server host.
    Yields its bin folder, environment and what `pip list` showed right after."""
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", work / "venv"], cwd=work, env=outside_env())
    bindir = work / "venv" / "bin"
    env = outside_env()
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    start = time.monotonic()
    run([bindir / "python", "-m", "pip", "install", "-q", f"{wheel}[server]"], cwd=work, env=env)
    listed = run(
        [bindir / "python", "-m", "pip", "list", "--format=freeze"], cwd=work, env=env
    ).stdout
    yield {
        "bin": bindir,
        "env": env,
        "server_install_s": time.monotonic() - start,
        "server_packages": {
            line.split("==")[0].lower().replace("_", "-")
            for line in listed.splitlines()
            if "==" in line
        },
    }


def test_the_wheel_holds_every_data_file_and_the_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        metadata = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        entry_points = whl.read(
            next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        ).decode()
    in_checkout = {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        if (ROOT / package).is_dir()
        for p in (ROOT / package).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert in_checkout - names == set()
    for expected in (
        "assets/config/binh-duong.toml",
        "assets/fonts/NotoSans-Regular.ttf",
        "assets/fonts/web/NotoSans-Regular.vi.woff2",
        "assets/fonts/OFL-NotoSans.txt",
        "assets/voice/vi/manifest.toml",
        "assets/voice/vi/words/mootj.wav",
        "queue_server/web/templates/page.html",
        "queue_server/web/static/site.css",
        "kiosk/printer-virtual.toml",
    ):
        assert expected in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert b"License-Expression: MIT" in metadata
    for script in SCRIPTS:
        assert f"{script} = " in entry_points


def test_extras_keep_the_hosts_apart(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        meta = whl.read(next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA")))
    needs = requirement_names(meta.decode())
    assert {"server", "kiosk", "displays", "dev"} <= set(needs)
    assert (needs[""] | needs["server"]) & QT_OR_USB == set()
    assert (needs[""] | needs["kiosk"] | needs["displays"]) & SERVER_ONLY == set()
    assert "pytest" not in needs[""] | needs["server"] | needs["kiosk"] | needs["displays"]
    assert needs["server"] | needs["kiosk"] | needs["displays"] <= needs["dev"]
    assert {"pytest", "playwright", "build"} <= needs["dev"]


def test_a_server_host_gets_no_qt_and_no_usb(venv: dict) -> None:
    installed = venv["server_packages"]
    assert {"xep-hang", "aiohttp", "aiosqlite"} <= installed
    assert installed & QT_OR_USB == set(), installed & QT_OR_USB
    cwd = venv["bin"].parent  # outside the repository
    out = run([venv["bin"] / "xephang-server", "--help"], cwd=cwd, env=venv["env"]).stdout
    assert "--config" in out and "--db" in out
    out = run(
        [venv["bin"] / "python", "-m", "queue_server", "--help"], cwd=cwd, env=venv["env"]
    ).stdout
    assert "--config" in out


PRINT_ONE_TICKET = """
import asyncio, dataclasses, json, sys
from pathlib import Path

import kiosk, printer, queue_protocol
from kiosk.config import load_kiosk_file
from kiosk.model import KioskModel
from printer.device import TicketPrinter
from queue_protocol.client import QueueClient

server_port, printer_port, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

async def main():
    # the sample printer file shipped in the kiosk package, pointed at this test's port
    config, settings = load_kiosk_file(Path(kiosk.__file__).parent / "printer-virtual.toml")
    config = dataclasses.replace(config, port=printer_port)
    base = f"http://127.0.0.1:{server_port}"
    client = QueueClient(f"ws://127.0.0.1:{server_port}/ws", role="kiosk", token=token)
    model = KioskModel(client, TicketPrinter(config), settings, base)
    await model.start()
    try:
        for _ in range(300):
            if model.in_service:
                break
            await asyncio.sleep(0.05)
        else:
            raise SystemExit("kiosk not in service: " + model.out_of_service_reason())
        service = next(s for s in model.services.values() if s.open)
        await model.take_ticket(service.id)
        if model.ticket is None:
            raise SystemExit(f"no ticket: {model.notice}")
        print(json.dumps({"number": model.ticket.number, "service": service.id,
                          "modules": [m.__file__ for m in (kiosk, printer, queue_protocol)]}))
    finally:
        await model.stop()

asyncio.run(main())
"""


def test_the_installed_package_prints_a_ticket(work: Path, wheel: Path, venv: dict) -> None:
    bindir, env = venv["bin"], venv["env"]
    start = time.monotonic()
    run(
        [bindir / "python", "-m", "pip", "install", "-q", f"{wheel}[server,kiosk]"],
        cwd=work,
        env=env,
    )
    kiosk_install_s = time.monotonic() - start
    cwd = work / "host"  # a working directory with nothing of the checkout in it
    cwd.mkdir()
    sample = run(
        [bindir / "python", "-c", "import assets; print(assets.SAMPLE_CONFIG)"], cwd=cwd, env=env
    ).stdout.strip()
    assert Path(sample).is_file() and work / "venv" in Path(sample).parents
    for script in SCRIPTS:  # every command starts (and `python -m` is still there)
        assert "usage:" in run([bindir / script, "--help"], cwd=cwd, env=env).stdout
    run([bindir / "python", "-m", "kiosk", "--help"], cwd=cwd, env=env)

    out = work / "printed"
    printer_port, server_port = free_port(), free_port()
    procs: list[subprocess.Popen] = []
    logs = {name: (work / f"{name}.log").open("w") for name in ("printer", "server")}
    try:
        procs.append(
            subprocess.Popen(
                [
                    bindir / "xephang-printer",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(printer_port),
                    "--out",
                    str(out),
                ],
                cwd=cwd,
                env=env,
                stdout=logs["printer"],
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    bindir / "xephang-server",
                    "--config",
                    sample,
                    "--db",
                    str(work / "q.db"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(server_port),
                    "--ignore-hours",
                ],
                cwd=cwd,
                env=env,
                stdout=logs["server"],
                stderr=subprocess.STDOUT,
            )
        )
        until_up(lambda: accepts(printer_port), "virtual printer", procs)
        until_up(lambda: answers(f"http://127.0.0.1:{server_port}/healthz"), "/healthz", procs)
        script = work / "print_one_ticket.py"
        script.write_text(PRINT_ONE_TICKET, encoding="utf-8")
        printed = run(
            [bindir / "python", script, server_port, printer_port, KIOSK_TOKEN],
            cwd=cwd,
            env=env,
            timeout=60,
        ).stdout
        until_up(lambda: any(out.glob("job-*.png")), "printed job", procs, timeout=10)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs.values():
            log.close()

    assert all(str(work / "venv") in m for m in last_json(printed)["modules"])
    (job,) = sorted(out.glob("job-*.png"))
    with Image.open(job) as page:  # what the virtual printer decoded from the ESC/POS bytes
        page.load()
        assert page.width == 576 and page.height > 300
        ink = page.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
        assert ink is not None, "the printed page is blank"
    print(
        f"\nserver-host install {venv['server_install_s']:.1f} s, "
        f"+kiosk extra {kiosk_install_s:.1f} s; ticket {last_json(printed)['number']}"
    )
