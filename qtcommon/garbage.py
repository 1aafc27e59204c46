"""Garbage collection in the GUI thread only.

Python collects reference cycles in whichever thread happens to allocate. A cycle that
holds a QWidget (a model's listener is a window's bound method; a tile's click handler
refers to the tile) collected in a worker thread (the printer's I/O thread, aiohttp's
resolver, aiosqlite) deletes the widget off the GUI thread and crashes Qt. So while Qt
runs, automatic collection is off and a GUI-thread timer collects instead.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QTimer


class GuiThreadGarbage:
    """Automatic collection off, a GUI-thread timer collecting, until `close`."""

    def __init__(self, every_ms: int = 5000) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(gc.collect)
        self.timer.start(every_ms)

    def close(self) -> None:
        """Collect what is left, here in the GUI thread, and give collection back."""
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()
