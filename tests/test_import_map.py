"""The package map of docs/architecture.md, enforced: who may import whom, no cycles.

Every import statement of the shipped packages is read (type-only imports and
imports inside functions included) and checked against `MAY_IMPORT`; the pure
domain may import no I/O; and no two modules import each other, even through others.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# room → the rooms of this project it may import (its own room always).
MAY_IMPORT: dict[str, set[str]] = {
    "vntext": set(),
    "assets": set(),
    "queue_protocol": {"vntext"},
    "announce": {"assets", "vntext"},
    "printer": {"assets", "vntext"},
    "qtcommon": set(),
    "kiosk": {"queue_protocol", "announce", "printer", "qtcommon", "assets", "vntext"},
    "counter_display": {"queue_protocol", "announce", "printer", "qtcommon", "assets", "vntext"},
    "queue_server.domain": {"queue_protocol.errors", "vntext"},
    "queue_server.core": {"queue_server.domain", "queue_protocol", "vntext"},
    "queue_server.outbox": {
        "queue_server.core",
        "queue_server.domain",
        "queue_server.dossiers",
        "queue_protocol",
        "vntext",
    },
    "queue_server.dossiers": {
        "queue_server.core",
        "queue_server.domain",
        "queue_protocol",
        "vntext",
    },
    "queue_server.ws": {
        "queue_server.core",
        "queue_server.domain",
        "queue_server.dossiers",
        "queue_server.outbox",
        "queue_protocol",
        "vntext",
    },
    "queue_server.web": {
        "queue_server.core",
        "queue_server.domain",
        "queue_server.dossiers",
        "queue_server.outbox",
        "queue_protocol",
        "announce",
        "assets",
        "vntext",
    },
    "queue_server.replication": {"queue_server.core", "queue_server.domain", "queue_protocol"},
    "queue_server.central": {
        "queue_server.core",
        "queue_server.domain",
        "queue_server.web.responses",
        "queue_protocol",
    },
    "queue_server.app": {
        "queue_server.core",
        "queue_server.domain",
        "queue_server.dossiers",
        "queue_server.outbox",
        "queue_server.ws",
        "queue_server.web",
        "queue_protocol",
        "assets",
    },
    "queue_server.__main__": {
        "queue_server.app",
        "queue_server.central",
        "queue_server.replication",
        "queue_server.core",
        "queue_server.domain",
        "queue_server.dossiers",
        "queue_server.web",
        "assets",
    },
}
ROOMS = sorted(MAY_IMPORT, key=len, reverse=True)
# What the pure domain may import besides the rooms above: no sockets, files, threads,
# clocks or databases (time is passed in).
DOMAIN_STDLIB = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "heapq",
    "itertools",
    "math",
    "re",
    "statistics",
    "tomllib",
    "typing",
    "zoneinfo",
    "bisect",
    "operator",
    "unicodedata",
    "json",  # text in, values out, like tomllib (the procedure catalogue file)
}


def room_of(module: str) -> str | None:
    for room in ROOMS:
        if module == room or module.startswith(room + "."):
            return room
    if module == "queue_server" or module.startswith("queue_server."):
        return "queue_server"  # a module straight in queue_server/ that has no room
    return None


def modules() -> dict[str, Path]:
    found = {}
    for top in {room.split(".")[0] for room in MAY_IMPORT}:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, absolute ('from x import y' counts y if a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


MODULES = modules()
GRAPH = {
    name: {m for m in imports(name, path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def test_every_module_is_in_a_room():
    assert [
        name for name in MODULES if room_of(name) == "queue_server" and name != "queue_server"
    ] == []


def test_each_room_imports_only_what_the_map_allows():
    wrong = []
    for name, path in MODULES.items():
        room = room_of(name)
        for target in imports(name, path):
            other = room_of(target)
            if other is None or other == room or target == "queue_server":
                continue
            allowed = MAY_IMPORT[room]
            if not any(target == a or target.startswith(a + ".") or other == a for a in allowed):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_clients_never_import_the_server():
    for name, path in MODULES.items():
        if room_of(name) in ("kiosk", "counter_display", "queue_protocol", "printer", "announce"):
            assert not any(t.startswith("queue_server") for t in imports(name, path)), name


def test_the_domain_does_no_io():
    stdlib = sys.stdlib_module_names
    wrong = []
    for name, path in MODULES.items():
        if room_of(name) != "queue_server.domain":
            continue
        for target in imports(name, path):
            top = target.split(".")[0]
            if top in stdlib and top not in DOMAIN_STDLIB:
                wrong.append(f"{name} imports {target}")
            if top not in stdlib and room_of(target) is None and top != "__future__":
                wrong.append(f"{name} imports the library {target}")
    assert wrong == []


def test_no_import_cycles():
    """Tarjan's strongly connected components over the module graph: each of size one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_map_test_sees_a_forbidden_import(tmp_path):
    """The checker itself: a client importing the server is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from queue_server.core.store import Store\n")
    targets = imports("kiosk.bad", bad)
    assert (
        "queue_server.core.store" in targets
        and room_of("queue_server.core.store") not in MAY_IMPORT["kiosk"]
    )
