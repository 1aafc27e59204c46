"""The Qt runner: a scenario on a qasync loop, as the apps run; and screenshots."""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from qtcommon.garbage import GuiThreadGarbage
from tests.support import SHOTS

T = TypeVar("T")


def run_scenario(scenario: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run `scenario` on a fresh qasync loop (Qt timers and painting keep working).

    The widgets it made are freed here, in the GUI thread, also when it fails (the
    failure's frames are cleared), so no later test collects them from another thread
    (see qtcommon.garbage).
    """
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create the QApplication first (the qapp fixture)"
    garbage = GuiThreadGarbage()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(scenario, timeout))
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        garbage.close()


def save_shot(widget: QWidget, name: str, tmp_path: Path) -> Path:
    """Grab the widget into docs/screenshots when XEPHANG_SCREENSHOTS=1 (else into
    `tmp_path`); a flat screen stays small."""
    target = SHOTS if os.environ.get("XEPHANG_SCREENSHOTS") == "1" else tmp_path
    path = target / name
    assert widget.grab().save(str(path))
    assert path.stat().st_size < 300_000
    return path
