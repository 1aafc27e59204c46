"""Lazy, well-behaved access to python-escpos.

`escpos.capabilities` calls `logging.basicConfig()` at import time, which would add a
stderr handler to the host application's root logger; we import it here and put the root
logger back the way it was.
"""

from __future__ import annotations

import copy
import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_lock = threading.Lock()


@contextmanager
def root_logger_kept() -> Iterator[None]:
    """Undo `basicConfig()` side effects (escpos also calls the module-level `logging.info`,
    which configures the root logger when the host app has not)."""
    with _lock:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            yield
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)


def module(name: str = "escpos.printer") -> ModuleType:
    """Import an escpos module without letting it touch the root logger."""
    with root_logger_kept():
        return importlib.import_module(name)


def profile(name: str, width: int) -> Any:
    """A private copy of the named profile that knows the paper width.

    With an "Unknown" width, `Escpos.image()` print()s a warning to stdout on every call.
    """
    prof = module("escpos.capabilities").get_profile(name)
    prof.profile_data = copy.deepcopy(prof.profile_data)
    prof.profile_data.setdefault("media", {})["width"] = {"mm": "Unknown", "pixels": width}
    return prof


def profile_width(name: str) -> int | None:
    """The paper width in dots the named profile declares, if it declares one."""
    data = module("escpos.capabilities").get_profile(name).profile_data
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def with_profile(printer: Any, profile_name: str, width: int) -> Any:
    printer.profile = profile(profile_name, width)
    return printer


def dummy(profile_name: str, width: int) -> Any:
    return with_profile(module().Dummy(profile=profile_name), profile_name, width)
