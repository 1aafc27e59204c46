"""The procedure catalogue file: the shipped sample reads, and each kind of mistake is
named with its line and column (all of them at once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets import SAMPLE_CONFIG
from queue_server.core.siteconfig import load_config
from queue_server.domain.config import ConfigError
from queue_server.domain.procedure_import import CatalogueError, parse_catalogue

SERVICES = {"khai-sinh-khai-tu", "ket-hon"}

GOOD = """{
  "format": "xephang-procedures/1",
  "procedures": [
    {
      "code": "1.001193",
      "name": "Đăng ký   khai sinh",
      "name_en": "Birth registration",
      "sector": "Hộ tịch",
      "service": "khai-sinh-khai-tu",
      "documents": [
        {"name": "Tờ khai đăng ký khai sinh", "name_en": "Form", "originals": 1, "copies": 0},
        {"name": "Giấy chứng sinh", "name_en": "Hospital birth certificate"}
      ],
      "processing_days": 0,
      "fees": "Miễn phí",
      "online_url": "https://dichvucong.gov.vn/x?ma=1.001193",
      "keywords": ["giấy khai sinh"]
    },
    {
      "code": "1.000894",
      "name": "Đăng ký kết hôn",
      "name_en": "Marriage registration",
      "sector": "Hộ tịch",
      "service": "ket-hon",
      "documents": [],
      "processing_days": 3
    }
  ]
}
"""


def test_the_sample_catalogue_reads_with_the_sample_site() -> None:
    config = load_config(SAMPLE_CONFIG)
    procedures = config.procedures
    assert len(procedures) >= 40
    assert {p.service for p in procedures.values()} == set(config.services)
    for p in procedures.values():
        assert p.documents, p.code
        assert p.name_en and all(d.name_en for d in p.documents), p.code
        assert p.fees and p.fees_en and p.where and p.legal_basis, p.code


def test_a_good_file() -> None:
    catalogue = parse_catalogue(GOOD, "good.json", SERVICES)
    assert list(catalogue) == ["1.001193", "1.000894"]
    birth = catalogue["1.001193"]
    assert birth.name == "Đăng ký khai sinh"  # runs of spaces made one
    assert birth.documents[0].originals == 1 and birth.documents[0].copies == 0
    assert birth.documents[1].copies == 1  # the record's default: one copy
    assert birth.keywords == ("giấy khai sinh",)
    assert catalogue["1.000894"].processing_days == 3
    assert catalogue.for_service("ket-hon") == [catalogue["1.000894"]]


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text, "bad.json", SERVICES)
    assert str(info.value).startswith("bad.json:")
    return [(p.line, p.column, p.message) for p in info.value.problems]


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def test_not_json_names_the_parser_position() -> None:
    [(line, column, message)] = problems(edit('"sector": "Hộ tịch",', '"sector": "Hộ tịch"'))
    assert (line, column) == (9, 7) and "not JSON" in message


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "words"),
    [
        ('"xephang-procedures/1"', '"v2"', 2, 13, "'format' must be"),
        ('"processing_days": 0', '"procesing_days": 0', 14, 7, "unknown key 'procesing_days'"),
        ('"processing_days": 3', '"processing_days": "3 ngày"', 26, 26, "whole number"),
        ('"processing_days": 0', '"processing_days": -1', 14, 26, "whole number"),
        ('"1.001193"', '"1001193"', 5, 15, "must look like 1.001234"),
        ('"service": "ket-hon"', '"service": "ket-hon-2"', 24, 18, "'ket-hon-2' is not one"),
        ('"https://dichvucong', '"ftp://dichvucong', 16, 21, "http(s)"),
        ('"name_en": "Form", ', "", 11, 9, "a document lacks 'name_en'"),
        ('"originals": 1,', '"originals": true,', 11, 79, "'originals' must be a whole"),
        ('"Birth registration"', '""', 7, 18, "'name_en' must be text, not empty"),
        ('["giấy khai sinh"]', '["giấy khai sinh", 7]', 17, 38, "a keyword must be text"),
        ('"documents": [],', '"documents": {},', 25, 20, "'documents' must be a list"),
        ('"code": "1.000894"', '"code": "1.001193"', 20, 15, "already used on line 5"),
    ],
)
def test_each_mistake_is_named_with_line_and_column(
    old: str, new: str, line: int, column: int, words: str
) -> None:
    found = problems(edit(old, new))
    assert len(found) == (2 if "procesing" in new else 1), found  # misspelt: also "lacks"
    assert found[0][:2] == (line, column), found
    assert words in found[0][2]


def test_a_missing_key_points_at_its_object_and_every_problem_is_told() -> None:
    text = edit('      "sector": "Hộ tịch",\n', "").replace('"3 ngày"', "x")
    text = text.replace('"processing_days": 3', '"processing_days": "ba"')
    found = problems(text)
    assert [(line, column) for line, column, _ in found] == [(4, 5), (25, 26)]
    assert "a procedure lacks 'sector'" in found[0][2]


def test_a_site_whose_catalogue_is_bad_does_not_start(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    site.write_text(text.replace("binh-duong-procedures.json", "procedures.json"), "utf-8")
    with pytest.raises(ConfigError, match="procedures.catalogue"):
        load_config(site)  # the file is not there
    sample = json.loads((SAMPLE_CONFIG.parent / "binh-duong-procedures.json").read_text("utf-8"))
    sample["procedures"][3]["service"] = "khai-sinh"
    (tmp_path / "procedures.json").write_text(json.dumps(sample, indent=1), "utf-8")
    with pytest.raises(CatalogueError, match=r"procedures\.json:\d+:\d+: service 'khai-sinh'"):
        load_config(site)
