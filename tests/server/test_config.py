"""Site configuration: the sample loads; every broken file is named by file and key."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from queue_server.core.siteconfig import load_config
from queue_server.domain.config import ConfigError, parse_config
from tests.support import ROOT
from tests.support.servers import SAMPLE_CONFIG
from tests.support.siteconfig import SMALL_SITE


def test_the_bình_dương_sample_is_realistic():
    config = load_config(SAMPLE_CONFIG)
    assert len(config.services) >= 15 and len(config.counters) >= 30
    sectors = {s.name for s in config.sectors.values()}
    assert {
        "Đất đai",
        "Xây dựng",
        "Hộ tịch",
        "Tư pháp",
        "Đăng ký kinh doanh",
        "Thuế",
        "Lao động – Thương binh và Xã hội",
        "Giao thông vận tải",
    } <= sectors
    assert config.site.timezone == "Asia/Ho_Chi_Minh"
    assert {g.id for g in config.priority_groups.values()} >= {
        "nguoi-cao-tuoi",
        "nguoi-khuyet-tat",
        "phu-nu-mang-thai",
        "con-nho",
        "nguoi-co-cong",
    }
    assert any(s.base for s in config.services.values())  # a numeric series too
    served = {s for c in config.counters.values() for s in c.all_services}
    assert served == set(config.services)  # every service has a counter


def broken(path: list, value) -> dict:
    data = copy.deepcopy(SMALL_SITE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, key, words",
    [
        (["site", "name"], KeyError, "site.name", "missing"),
        (["site", "timezone"], "Mars/Olympus", "site.timezone", "not a known time zone"),
        (["site", "daily_reset"], "25:00", "site.daily_reset", "not a valid time"),
        (["site", "hours"], [["17:00", "07:00"]], "site.hours[0]", "end after"),
        (["site", "open_days"], ["monday"], "site.open_days", "mon, tue"),
        (["services", 0, "prefix"], "a1", "services[0].prefix", "capital letters"),
        (["services", 1, "prefix"], "A", "services.ket-hon.prefix", "already used"),
        (["services", 0, "sector"], "thue", "services[0].sector", "not one of"),
        (["services", 2, "width"], 9, "services[2].width", "out of range"),
        (["services", 2, "daily_cap"], 20000, "services[2].base", "more than 4 digits"),
        (["counters", 0, "services"], ["khong-co"], "counters[0].services", "not a configured"),
        (["counters", 1, "number"], 1, "counters[1].number", "defined twice"),
        (["priority", "max_consecutive"], 0, "priority.max_consecutive", "out of range"),
        (["priority", "groups", 0, "rank"], "một", "priority.groups[0].rank", "whole number"),
        (["outcomes"], [], "outcomes", "at least one"),
        (["devices", 0, "token"], "short", "devices[0].token", "16 characters"),
        (["devices", 1, "role"], "printer", "devices[1].role", "must be one of"),
        (["kiosks"], [{"device": "kiosk-1"}], "kiosks[0].place", "missing"),
        (
            ["kiosks"],
            [{"device": "kiosk-1", "place": "sảnh A", "services": ["khong-co"]}],
            "kiosks[0].services",
            "not a configured",
        ),
        (
            ["kiosks"],
            [{"device": "kiosk-1", "place": "A"}, {"device": "kiosk-1", "place": "B"}],
            "kiosks[1].device",
            "placed twice",
        ),
    ],
)
def test_each_mistake_names_the_key(path, value, key, words):
    with pytest.raises(ConfigError) as err:
        parse_config(broken(path, value), "site.toml")
    assert err.value.key == key
    assert words in err.value.problem
    assert str(err.value).startswith(f"site.toml: {key}: ")


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "missing.toml")
    assert "cannot be read" in str(err.value)
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nname = "x\n')
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert str(err.value).startswith(f"{bad}: (file): is not valid TOML")


def test_text_is_nfc_normalised():
    decomposed = "Ho\u0302\u0323 ti\u0323ch"  # "Hộ tịch" written with combining marks
    data = broken(["sectors", 0, "name"], decomposed)
    assert parse_config(data).sectors["ho-tich"].name == "Hộ tịch"


def test_server_refuses_to_start_with_one_clear_line(tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text(
        SAMPLE_CONFIG.read_text(encoding="utf-8").replace('prefix = "B"', 'prefix = "A"'),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server",
            "--config",
            str(bad),
            "--db",
            str(tmp_path / "q.db"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"error: {bad}: services.bien-dong-dat-dai.prefix: 'A' is already used" in proc.stderr
