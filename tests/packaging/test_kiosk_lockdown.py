"""The kiosk lock-down (scripts/kiosk-lockdown.sh and scripts/kiosk/): its shell scripts
pass shellcheck, and its systemd units, filled in as the script installs them, pass
`systemd-analyze verify` as user units (issue 20)."""

import os
import shutil
import subprocess

import pytest

from tests.support import ROOT

SCRIPTS = [ROOT / "scripts/kiosk-lockdown.sh", *sorted((ROOT / "scripts/kiosk").glob("*.sh"))]
UNITS = sorted((ROOT / "scripts/kiosk").glob("*.service")) + sorted(
    (ROOT / "scripts/kiosk").glob("*.timer")
)


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `bash scripts/setup.sh test` installs it"
    return path


def test_the_lockdown_scripts_pass_shellcheck():
    run = subprocess.run(
        [tool("shellcheck"), "--severity=style", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for script in SCRIPTS:
        assert os.access(script, os.X_OK), f"{script.name} is not executable"


def install_units(target) -> list[str]:
    """The units as kiosk-lockdown.sh writes them: @APP_DIR@ is the checkout."""
    names = []
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace("@APP_DIR@", str(ROOT))
        assert "@" not in text.replace("%i", "").replace("xephang-screen@", ""), unit.name
        (target / unit.name).write_text(text, encoding="utf-8")
        names.append(unit.name)
    return names


@pytest.mark.parametrize("mode", ["--user", "--system"])
def test_the_units_pass_systemd_analyze_verify(tmp_path, mode):
    names = install_units(tmp_path)
    assert "xephang-kiosk.service" in names and "xephang-screen-off.timer" in names
    run = subprocess.run(
        [tool("systemd-analyze"), mode, "verify", "--man=no", *names],
        cwd=tmp_path,
        env={**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and not run.stderr.strip(), run.stdout + run.stderr


def test_the_kiosk_unit_restarts_with_a_limit_and_the_session_has_no_way_out():
    unit = (ROOT / "scripts/kiosk/xephang-kiosk.service").read_text(encoding="utf-8")
    for line in ("Restart=always", "RestartSec=5", "StartLimitBurst=10"):
        assert line in unit, line
    session = (ROOT / "scripts/kiosk/session.sh").read_text(encoding="utf-8")
    command = next(line for line in session.splitlines() if line.startswith("exec cage"))
    assert " -s " not in command, "cage -s would let Ctrl+Alt+Fn reach a text console"
