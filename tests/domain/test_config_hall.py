"""Issue 15's settings in the one validator: `[hall]` notice and voice style, a
counter's zone, and every failure's message in Vietnamese as well as English."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest

import queue_server.domain.config as config_module
from queue_server.domain.config import ConfigError, HallConfig, parse_config
from tests.support.siteconfig import SMALL_SITE, small_site

LONG_NOTICE = (
    "Từ ngày 01/7, Trung tâm tiếp nhận hồ sơ đất đai vào buổi sáng thứ Bảy; công dân "
    "vui lòng mang theo căn cước công dân bản chính và chuẩn bị sẵn bản sao giấy tờ."
)


def refused(**overrides) -> ConfigError:
    data = copy.deepcopy(SMALL_SITE) | overrides
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "site.toml")
    return caught.value


def test_the_hall_section_is_optional_and_read_when_given():
    assert small_site().hall == HallConfig(notice="", notice_en="", voice="bac")
    hall = small_site(hall={"notice": f"  {LONG_NOTICE}\n ", "notice_en": "Land", "voice": "nam"})
    assert hall.hall == HallConfig(notice=LONG_NOTICE, notice_en="Land", voice="nam")


def test_a_counter_names_its_zone_in_both_languages():
    counters = copy.deepcopy(SMALL_SITE["counters"])
    counters[0] |= {"zone": "Khu A", "zone_en": "Zone A"}
    counters[1] |= {"zone": "Tầng 2"}
    config = small_site(counters=counters)
    assert (config.counters[1].zone, config.counters[1].zone_en) == ("Khu A", "Zone A")
    assert (config.counters[2].zone, config.counters[2].zone_en) == ("Tầng 2", "Tầng 2")
    assert config.counters[3].zone == ""


@pytest.mark.parametrize(
    ("overrides", "key", "vi"),
    [
        ({"hall": {"voice": "trung"}}, "hall.voice", "'trung' phải là bac (giọng Bắc) hoặc nam"),
        ({"hall": {"notice": "x" * 301}}, "hall.notice", "dài 301 ký tự; tối đa 300 ký tự"),
        ({"hall": {"notice_en": "Welcome"}}, "hall.notice", "chưa điền: dòng tiếng Việt"),
        ({"hall": {"notice": 5}}, "hall.notice", "phải là chữ"),
    ],
)
def test_bad_hall_settings_are_refused_naming_the_field(overrides, key, vi):
    err = refused(**overrides)
    assert err.key == key
    assert err.problem_vi.startswith(vi), err.problem_vi
    assert err.problem != err.problem_vi  # English stays for /en/admin and the logs


def test_a_zone_longer_than_a_row_holds_is_refused():
    counters = copy.deepcopy(SMALL_SITE["counters"])
    counters[2]["zone"] = "Khu tiếp nhận và trả kết quả hồ sơ đất đai, tầng hai"
    err = refused(counters=counters)
    assert (err.key, err.problem_vi) == ("counters[2].zone", "dài 52 ký tự; tối đa 40 ký tự")


@pytest.mark.parametrize(
    ("overrides", "key", "vi"),
    [
        (
            {"services": [{"id": "x", "sector": "ho-tich", "name": "X", "prefix": "a1"}]},
            "services[0].prefix",
            "'a1' phải là một hoặc hai chữ in hoa A-Z",
        ),
        ({"site": {"name": "T", "hours": [["17:00", "07:30"]]}}, "site.hours[0]", "giờ kết thúc"),
        ({"queue": {"service_time_window": "năm"}}, "queue.service_time_window", "phải là số"),
        ({"search": {"synonyms": {"sổ đỏ": 3}}}, "search.synonyms.sổ đỏ", "phải là từ ngữ"),
        ({"outcomes": []}, "outcomes", "cần ít nhất một mục"),
    ],
)
def test_the_validators_failures_speak_vietnamese(overrides, key, vi):
    err = refused(**overrides)
    assert err.key == key
    assert err.problem_vi.startswith(vi), err.problem_vi
    assert str(err).startswith(f"site.toml: {key}: ")  # the start-up line stays English


def test_every_failure_of_the_validator_carries_a_vietnamese_message():
    """`_Reader.fail` takes `vi=` as a required keyword; this names any call without one
    (a `**kwargs` or a wrapper could hide it from mypy)."""
    tree = ast.parse(Path(config_module.__file__).read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "fail"
    ]
    assert len(calls) > 50
    missing = [c.lineno for c in calls if not any(k.arg == "vi" for k in c.keywords)]
    assert missing == []
