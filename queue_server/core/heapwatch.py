"""A debugging aid: what the server's memory is made of, written as JSON lines.

Off unless the environment asks for it (`XEPHANG_HEAPWATCH=<file>`; every
`XEPHANG_HEAPWATCH_SECONDS`, 10 by default). Each line has the process's RSS (and its
anonymous part by what holds it: glibc's main heap, its thread arenas, thread stacks,
the rest), glibc's malloc figures (`mallinfo2`: bytes in use, free but kept, mapped;
and each arena's), SQLite's own (its page caches apart: part of glibc's bytes in
use), pymalloc's
allocated blocks, the collector's generations and frozen count, and the object types
whose number changed most since the first line. With `XEPHANG_HEAPWATCH_TRACE=1` it
also starts `tracemalloc` and lists the source lines whose allocations grew most
since the first line. Growth is counted from `XEPHANG_HEAPWATCH_AFTER` seconds on
(0 by default), e.g. once a benchmark's warm-up is over. The soak benchmark turns
it on with `--heapwatch` (issue 18).
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import gc
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from queue_server.core import heap

TOP = 15


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_figures() -> dict[str, int]:
    """glibc's view: bytes handed out (`in_use`), free but kept (`free`), mmapped; {} elsewhere."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return {}
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return {"in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


_HEAP = re.compile(r'<heap nr="(\d+)">(.*?)</heap>', re.S)
_FIGURE = re.compile(r'<(total|system) type="(fast|rest|current)" (?:count="\d+" )?size="(\d+)"/>')


def malloc_arenas() -> list[dict[str, int]]:
    """glibc's arenas one by one (`malloc_info`): the main one first, then one per set of
    threads that got its own — bytes taken from the system (`system`) and free in it
    (`free`: fast bins and the rest); [] elsewhere."""
    try:
        libc = ctypes.CDLL(None)
        open_memstream, malloc_info = libc.open_memstream, libc.malloc_info
    except (OSError, AttributeError):
        return []
    open_memstream.restype = ctypes.c_void_p
    malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.free.argtypes = [ctypes.c_void_p]
    buffer, size = ctypes.c_void_p(), ctypes.c_size_t()
    stream = open_memstream(ctypes.byref(buffer), ctypes.byref(size))
    if not stream:
        return []
    malloc_info(0, stream)
    libc.fclose(stream)
    try:
        text = ctypes.string_at(buffer.value or 0, size.value).decode(errors="replace")
    finally:
        libc.free(buffer)
    arenas = []
    for _, body in _HEAP.findall(text):
        figures = {"system": 0, "free": 0}
        for kind, _, value in _FIGURE.findall(body):
            figures["system" if kind == "system" else "free"] += int(value)
        arenas.append(figures)
    return arenas


def pymalloc_arenas() -> dict[str, int]:
    """pymalloc's arenas now and at most, read from `sys._debugmallocstats` (which only
    writes to the C stderr, so it is caught there); {} if unreadable."""
    figures: dict[str, int] = {}
    with tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(caught.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        for line in caught.read().decode(errors="replace").splitlines():
            for label, key in (
                ("# arenas allocated current", "arenas"),
                ("# arenas highwater mark", "arenas_most"),
                ("# bytes in allocated blocks", "in_blocks"),
            ):
                if line.startswith(label):
                    figures[key] = int(line.rsplit("=", 1)[1].replace(",", ""))
    return figures


SQLITE_STATUS_PAGECACHE_OVERFLOW = 2  # sqlite3_status64: page caches' bytes from malloc


def sqlite_page_caches() -> int | None:
    """Of `sqlite_memory`, the bytes the page caches of every connection hold; None if
    there is no system libsqlite3."""
    try:
        status = ctypes.CDLL("libsqlite3.so.0").sqlite3_status64
    except (OSError, AttributeError):
        return None
    now, most = ctypes.c_int64(), ctypes.c_int64()
    status(SQLITE_STATUS_PAGECACHE_OVERFLOW, ctypes.byref(now), ctypes.byref(most), 0)
    return int(now.value)


def sqlite_memory() -> int | None:
    """Bytes SQLite has allocated in this process (page caches of every connection,
    statements), asked of the system's libsqlite3 (the one Python's `sqlite3` links to
    on Debian; a copy of its own would say 0); None if there is none."""
    try:
        used = ctypes.CDLL("libsqlite3.so.0").sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    used.restype = ctypes.c_int64
    return int(used())


def resident() -> dict[str, int]:
    """The resident set split as the kernel counts it: anonymous (heaps, arenas, stacks)
    and file-backed (code and libraries as their pages are first used), in bytes."""
    figures = {}
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile", "RssShmem"):
            figures[name[3:].lower()] = int(value.split()[0]) * 1024
    return figures


GLIBC_HEAP = 64 << 20  # a thread arena's heap: reserved at this alignment, used from its start


def anonymous_maps() -> dict[str, int]:
    """Resident anonymous memory by what holds it (`/proc/self/smaps`), in bytes: glibc's
    main heap (`brk`), its thread arenas' heaps (a mapping at a 64 MiB boundary, the
    rest of the 64 MiB reserved behind it), thread stacks (8 MiB behind a guard page),
    and the rest (pymalloc's 1 MiB arenas, glibc's own maps of big blocks, libraries'
    data); with the number of thread heaps and stacks. {} if unreadable."""
    try:
        text = Path("/proc/self/smaps").read_text()
    except OSError:
        return {}
    maps: list[tuple[int, int, str, str, int]] = []  # start, end, perms, name, resident
    for line in text.splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            maps.append((start, end, head[1], head[5] if len(head) > 5 else "", 0))
        elif head and head[0] == "Rss:" and maps:
            start, end, perms, name, _ = maps[-1]
            maps[-1] = (start, end, perms, name, int(head[1]) * 1024)
    out = dict.fromkeys(("brk", "thread_heaps", "stacks", "other"), 0)
    out |= {"thread_heap_count": 0, "stack_count": 0}
    for i, (start, end, perms, name, resident) in enumerate(maps):
        after = maps[i + 1] if i + 1 < len(maps) else None
        before = maps[i - 1] if i else None
        if name == "[heap]":
            out["brk"] += resident
        elif name or not perms.startswith("rw"):
            continue
        elif (
            start % GLIBC_HEAP == 0
            and after is not None
            and after[0] == end
            and after[2].startswith("---")
            and after[1] == start + GLIBC_HEAP
        ):
            out["thread_heaps"] += resident
            out["thread_heap_count"] += 1
        elif (
            end - start == 8 << 20
            and before is not None
            and before[1] == start
            and before[2].startswith("---")
        ):
            out["stacks"] += resident
            out["stack_count"] += 1
        else:
            out["other"] += resident
    return out


def rss() -> int:
    try:
        fields = Path("/proc/self/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def type_counts() -> collections.Counter[str]:
    """Objects the collector tracks, by type, the frozen ones included (re-frozen after)."""
    frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    if frozen:
        gc.freeze()
    return counts


def snapshot_line(
    start: float, first: collections.Counter[str], counts: collections.Counter[str]
) -> dict[str, Any]:
    delta = counts.copy()
    delta.subtract(first)
    return {
        "t": round(time.monotonic() - start, 1),
        "rss": rss(),
        "resident": resident(),
        "anonymous": anonymous_maps(),
        "malloc": malloc_figures(),
        "malloc_arenas": malloc_arenas(),
        "sqlite": sqlite_memory(),
        "sqlite_page_caches": sqlite_page_caches(),
        "pymalloc_blocks": sys.getallocatedblocks(),
        "pymalloc": pymalloc_arenas(),
        "gc_count": gc.get_count(),
        "frozen": gc.get_freeze_count(),
        "last_sweeps_ms": [round(cost * 1000, 1) for cost, _ in heap.sweeps],
        "blocks_after_sweeps": [blocks for _, blocks in heap.sweeps],
        "objects": sum(counts.values()),
        "types_grown": delta.most_common(TOP),
    }


async def watch(path: Path, every: float, trace: bool, after: float = 0.0) -> None:
    """Write a line each `every` seconds; growth is counted from `after` seconds on."""
    import tracemalloc  # only here: the serving process does without

    if trace:
        tracemalloc.start(1)
    start = time.monotonic()
    await asyncio.sleep(after)
    first = type_counts()
    base = tracemalloc.take_snapshot() if trace else None
    with path.open("a", encoding="utf-8") as out:
        while True:
            await asyncio.sleep(every)
            line = snapshot_line(start, first, type_counts())
            if base is not None:
                stats = tracemalloc.take_snapshot().compare_to(base, "lineno")[:TOP]
                line["traced_grown"] = [
                    [str(s.traceback), s.size_diff, s.count_diff] for s in stats
                ]
            out.write(json.dumps(line) + "\n")
            out.flush()


def start_from_env() -> asyncio.Task | None:
    """The watcher's task if `XEPHANG_HEAPWATCH` names a file, else None."""
    target = os.environ.get("XEPHANG_HEAPWATCH")
    if not target:
        return None
    every = float(os.environ.get("XEPHANG_HEAPWATCH_SECONDS", "10"))
    trace = os.environ.get("XEPHANG_HEAPWATCH_TRACE") == "1"
    after = float(os.environ.get("XEPHANG_HEAPWATCH_AFTER", "0"))
    return asyncio.create_task(watch(Path(target), every, trace, after), name="heapwatch")
