"""Every text a citizen reads or hears follows docs/glossary.toml: one register (Ông/Bà,
công dân), one accent style (huỷ, hoá), one word for each thing (Tạm dừng)."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT
from vntext import nfc

GLOSSARY = tomllib.loads((ROOT / "docs" / "glossary.toml").read_text(encoding="utf-8"))
# Where the words citizens see and hear live (and the staff's, who speak to them).
PYTHON = [
    "kiosk",
    "counter_display",
    "printer",
    "announce",
    "queue_protocol/errors.py",
    "queue_server/outbox/catalogue.py",
    "queue_server/web",
    "queue_server/ws",
    "queue_server/domain",
]
FILES = [
    ("queue_server/web/texts", "*.json"),
    ("queue_server/web/templates", "*.html"),
    ("queue_server/web/static", "*.js"),
]


def _python_texts(path: Path) -> Iterator[str]:
    """String constants of a module, docstrings left out (they are for developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


def _toml_texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _toml_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _toml_texts(item)


def texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every text checked."""
    for entry in PYTHON:
        base = ROOT / entry
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            for text in _python_texts(path):
                yield str(path.relative_to(ROOT)), text
    for folder, pattern in FILES:
        for path in sorted((ROOT / folder).glob(pattern)):
            raw = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                for key, text in json.loads(raw).items():
                    yield f"{path.relative_to(ROOT)}:{key}", text
            else:
                yield str(path.relative_to(ROOT)), raw
    sample = ROOT / "assets" / "config" / "binh-duong.toml"
    for text in _toml_texts(tomllib.loads(sample.read_text(encoding="utf-8"))):
        yield str(sample.relative_to(ROOT)), text
    manifest = ROOT / "assets" / "voice" / "vi" / "manifest.toml"
    for token in tomllib.loads(manifest.read_text(encoding="utf-8"))["clips"]:
        yield str(manifest.relative_to(ROOT)), token


ALL = list(texts())
_FORBIDDEN = [
    (word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE))
    for word in GLOSSARY["register"]["forbidden"]
]
# old style: the tone on the first vowel of an open oa/oe (hóa) or uy after a consonant
# other than q (thủy; "quý" is the same in both styles)
_OLD_ACCENT = re.compile(r"(?<!\w)\w*?(?:[òóỏõọ][ae]|(?<=[^\Wq])[ùúủũụ]y)(?!\w)", re.IGNORECASE)


def test_the_texts_are_found():
    where = {w.split(":")[0] for w, _ in ALL}
    assert len(ALL) > 1000
    for expected in (
        "kiosk/text.py",
        "counter_display/console.py",
        "printer/ticket.py",
        "queue_protocol/errors.py",
        "queue_server/outbox/catalogue.py",
        "queue_server/web/texts/vi.json",
        "assets/voice/vi/manifest.toml",
    ):
        assert expected in where


def test_one_register_for_the_citizen():
    wrong = [
        (where, word, text)
        for where, text in ALL
        for word, pattern in _FORBIDDEN
        if pattern.search(nfc(text))
    ]
    assert wrong == [], "say Ông/Bà (or công dân in the hall)"


def test_one_accent_style():
    allowed = GLOSSARY["accent"]["allow"]
    wrong = []
    for where, text in ALL:
        text = nfc(text)
        for name in allowed:
            text = text.replace(name, "")
        wrong += [(where, m.group(0)) for m in _OLD_ACCENT.finditer(text)]
    assert wrong == [], "new style: huỷ, hoá, xoá, thuỷ, khoẻ (docs/glossary.toml)"


def test_one_word_for_each_thing():
    wrong = [
        (where, other, preferred)
        for where, text in ALL
        for preferred, others in GLOSSARY["terms"].items()
        for other in others
        if nfc(other).casefold() in nfc(text).casefold()
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Cảm ơn bạn đã chờ", "register"),
        ("Kính chào Quý khách", "register"),
        ("Lịch hẹn đã bị hủy", "accent"),
        ("Văn hóa", "accent"),
        ("Tạm ngưng phục vụ", "terms"),
    ],
)
def test_the_rules_catch_what_they_name(text, rule):
    if rule == "register":
        assert any(p.search(text) for _, p in _FORBIDDEN)
    elif rule == "accent":
        assert _OLD_ACCENT.search(nfc(text))
    else:
        assert any(o.casefold() in text.casefold() for os in GLOSSARY["terms"].values() for o in os)
    for fine in ("Ông/Bà", "huỷ", "hoá", "quý", "Tạm dừng", "xoay", "hoan", "khuya"):
        assert not _OLD_ACCENT.search(nfc(fine)) and not any(p.search(fine) for _, p in _FORBIDDEN)
