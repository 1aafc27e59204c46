"""The installed PySide6 keeps Python's reference count of None: 6.12.0 drops one on
every call of a method that returns nothing, so a kiosk aborts ("none_dealloc:
deallocating None") after a few thousand label updates on CPython 3.11. Run in a child
process, so a broken PySide6 fails this test instead of aborting the test run."""

import os
import subprocess
import sys

import pytest

PROBE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("x")
before = sys.getrefcount(None)
for _ in range(2000):
    label.setText("y")
    label.setVisible(True)
print(sys.getrefcount(None) - before)
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from 3.12")
def test_calling_qt_methods_keeps_none_alive():
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert abs(int(run.stdout.split()[-1])) < 100, "PySide6 drops references to None"
