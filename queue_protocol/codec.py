"""JSON in and out for the wire and the event log, with orjson (C, several times faster).

Output is compact UTF-8 (no \\u escapes for Vietnamese), as the protocol documents.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # a few maps are keyed by counter number

JSONDecodeError = orjson.JSONDecodeError  # a ValueError
loads = orjson.loads  # str or bytes → Python objects


def dumps(obj: Any) -> bytes:
    """UTF-8 bytes, ready to go on the wire."""
    return orjson.dumps(obj, option=_OPTIONS)


def dumps_text(obj: Any) -> str:
    return orjson.dumps(obj, option=_OPTIONS).decode()
