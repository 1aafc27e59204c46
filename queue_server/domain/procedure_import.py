"""The procedure catalogue file: JSON text in, a `Catalogue` out, or every problem named
by line and column.

The format (`xephang-procedures/1`, documented in docs/procedures.md) is one JSON
object::

    {"format": "xephang-procedures/1",
     "procedures": [
       {"code": "1.001193", "name": "Đăng ký khai sinh", "name_en": "Birth registration",
        "sector": "Hộ tịch", "service": "khai-sinh-khai-tu",
        "documents": [{"name": "Tờ khai đăng ký khai sinh", "name_en": "Birth registration
                       form", "originals": 1, "copies": 0, "note": ""}],
        "processing_days": 0, "fees": "Miễn phí", "fees_en": "Free",
        "legal_basis": "Luật Hộ tịch 2014", "where": "…", "where_en": "…",
        "online_url": "https://dichvucong.gov.vn/…", "keywords": ["giấy khai sinh"]}]}

JSON because a procedure holds a list of documents, each with its own counts: a CSV
would need a second file or a syntax inside a cell. A JSON syntax error comes with its
line and column from the parser; every other problem (a missing or misspelt key, a
wrong type, a service the site does not have, a code twice) with the line and column
of the value (or of the object that lacks the key), all of them at once, so an
administrator fixes the file in one go. Pure: the caller reads the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from queue_server.domain.procedures import Catalogue, Document, Procedure
from vntext import nfc

FORMAT = "xephang-procedures/1"
CODE = re.compile(r"[0-9]{1,2}\.[0-9]{6}")
URL = re.compile(r"https?://[^\s/]+(/\S*)?")
MAX_PROBLEMS = 50

PROCEDURE_KEYS = {
    "code": "text",
    "name": "text",
    "name_en": "text",
    "sector": "text",
    "service": "text",
    "documents": "list",
    "processing_days": "count",
    "fees": "text?",
    "fees_en": "text?",
    "legal_basis": "text?",
    "where": "text?",
    "where_en": "text?",
    "online_url": "text?",
    "keywords": "list?",
}
DOCUMENT_KEYS = {
    "name": "text",
    "name_en": "text",
    "originals": "count?",
    "copies": "count?",
    "note": "text?",
}


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str


class CatalogueError(ValueError):
    """Every problem of a catalogue file, each as `source:line:column: message`."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source, self.problems = source, problems
        super().__init__("\n".join(f"{source}:{p.line}:{p.column}: {p.message}" for p in problems))


Path_ = tuple[str | int, ...]


def parse_catalogue(
    text: str, source: str = "<procedures>", services: Collection[str] | None = None
) -> Catalogue:
    """The catalogue in `text`; `services` (the site's service ids) checks each
    procedure's `service`. Raises `CatalogueError` naming every problem found."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(exc.lineno, exc.colno, f"not JSON: {exc.msg}")
        raise CatalogueError(source, [problem]) from None
    at = _positions(text)
    checker = _Checker(text, at)
    procedures: list[Procedure] = []
    if not isinstance(data, dict):
        checker.fail((), "the file must be one JSON object with 'format' and 'procedures'")
    else:
        if data.get("format") != FORMAT:
            where: Path_ = ("format",) if "format" in data else ()
            checker.fail(where, f"'format' must be {FORMAT!r}")
        for key in data:
            if key not in ("format", "procedures"):
                checker.fail((key,), f"unknown key {key!r} (only 'format' and 'procedures')")
        items = data.get("procedures")
        if not isinstance(items, list):
            where = ("procedures",) if "procedures" in data else ()
            checker.fail(where, "'procedures' must be a list")
            items = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            p = _procedure(checker, ("procedures", i), item, services)
            if p is None:
                continue
            if p.code in seen:
                line, _ = checker.line_col(("procedures", seen[p.code], "code"))
                message = f"code {p.code} is already used on line {line}"
                checker.fail(("procedures", i, "code"), message)
                continue
            seen[p.code] = i
            procedures.append(p)
    if checker.problems:
        raise CatalogueError(source, checker.problems[:MAX_PROBLEMS])
    return Catalogue(procedures)


class _Checker:
    def __init__(self, text: str, at: dict[Path_, int]) -> None:
        self.text, self.at = text, at
        self.problems: list[Problem] = []

    def line_col(self, path: Path_) -> tuple[int, int]:
        while path not in self.at and path:
            path = path[:-1]  # a missing key: the object that lacks it
        offset = self.at.get(path, 0)
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def fail(self, path: Path_, message: str) -> None:
        line, column = self.line_col(path)
        self.problems.append(Problem(line, column, message))

    def fields(self, path: Path_, item: Any, spec: dict[str, str], what: str) -> dict | None:
        """The object's values by key, checked against `spec`; None if any is wrong."""
        if not isinstance(item, dict):
            self.fail(path, f"{what} must be an object {{…}}")
            return None
        before = len(self.problems)
        for key in item:
            if key not in spec:
                known = ", ".join(spec)
                self.fail((*path, key, "#key"), f"unknown key {key!r} in {what} (known: {known})")
        out: dict[str, Any] = {}
        for key, kind in spec.items():
            optional = kind.endswith("?")
            kind = kind.rstrip("?")
            if key not in item:
                if not optional:
                    self.fail(path, f"{what} lacks {key!r}")
                continue
            value, where = item[key], (*path, key)
            if kind == "text":
                if not isinstance(value, str) or (not optional and not value.strip()):
                    self.fail(where, f"{key!r} must be text{'' if optional else ', not empty'}")
                    continue
                value = nfc(" ".join(value.split()))
            elif kind == "count":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
                    message = f"{key!r} must be a whole number from 0 to 3650, not {value!r}"
                    self.fail(where, message)
                    continue
            elif not isinstance(value, list):
                self.fail(where, f"{key!r} must be a list […]")
                continue
            out[key] = value
        return out if len(self.problems) == before else None


def _procedure(
    c: _Checker, path: Path_, item: Any, services: Collection[str] | None
) -> Procedure | None:
    f = c.fields(path, item, PROCEDURE_KEYS, "a procedure")
    if f is None:
        return None
    ok = True
    if not CODE.fullmatch(f["code"]):
        c.fail((*path, "code"), f"code {f['code']!r} must look like 1.001234 (national database)")
        ok = False
    if services is not None and f["service"] not in services:
        c.fail((*path, "service"), f"service {f['service']!r} is not one of the site's services")
        ok = False
    url = f.get("online_url", "")
    if url and not URL.fullmatch(url):
        c.fail((*path, "online_url"), f"online_url {url!r} must be an http(s) address")
        ok = False
    documents = []
    for j, raw in enumerate(f["documents"]):
        d = c.fields((*path, "documents", j), raw, DOCUMENT_KEYS, "a document")
        if d is None:
            ok = False
            continue
        documents.append(
            Document(
                name=d["name"],
                name_en=d["name_en"],
                originals=d.get("originals", 0),
                copies=d.get("copies", 1),
                note=d.get("note", ""),
            )
        )
    keywords = []
    for j, word in enumerate(f.get("keywords", [])):
        if not isinstance(word, str) or not word.strip():
            c.fail((*path, "keywords", j), "a keyword must be text, not empty")
            ok = False
        else:
            keywords.append(nfc(" ".join(word.split())))
    if not ok:
        return None
    return Procedure(
        code=f["code"],
        name=f["name"],
        name_en=f["name_en"],
        sector=f["sector"],
        service=f["service"],
        documents=tuple(documents),
        processing_days=f["processing_days"],
        fees=f.get("fees", ""),
        legal_basis=f.get("legal_basis", ""),
        where=f.get("where", ""),
        online_url=url,
        keywords=tuple(keywords),
        fees_en=f.get("fees_en", ""),
        where_en=f.get("where_en", ""),
    )


# -- where each value starts: a second, position-keeping walk over valid JSON -------

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


def _positions(text: str) -> dict[Path_, int]:
    """Path of every value (keys as str, indexes as int) → its offset in `text`; a
    key's own offset under (*path, key, "#key"). `text` is already known to be JSON."""
    at: dict[Path_, int] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    def value(i: int, path: Path_) -> int:
        i = skip(i)
        at[path] = i
        ch = text[i]
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                key_at = skip(i)
                key, i = scanstring(text, key_at + 1)
                at[(*path, key, "#key")] = key_at
                i = skip(i) + 1  # the colon
                i = skip(value(i, (*path, key)))
                if text[i] == "}":
                    return i + 1
                i += 1  # the comma
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip(value(i, (*path, n)))
                n += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        if ch == '"':
            return scanstring(text, i + 1)[1]
        match = _SCALAR.match(text, i)
        return match.end() if match else i + 1

    value(0, ())
    return at
