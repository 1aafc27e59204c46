"""A small site used by the tests: three services, four counters, two priority groups."""

from __future__ import annotations

import copy
from typing import Any

from queue_server.domain.config import SiteConfig, parse_config

SMALL_SITE_KIOSK = "kiosk-1-token-0123456789"  # the token of its kiosk

SMALL_SITE: dict[str, Any] = {
    "site": {
        "name": "Trung tâm Hành chính công thử nghiệm",
        "hours": [["07:30", "17:00"]],
        "open_days": ["mon", "tue", "wed", "thu", "fri"],
    },
    "queue": {"default_service_minutes": 5},
    "priority": {
        "max_consecutive": 2,
        "groups": [
            {"id": "nguoi-cao-tuoi", "name": "Người cao tuổi", "rank": 1},
            {"id": "phu-nu-mang-thai", "name": "Phụ nữ mang thai", "rank": 2},
        ],
    },
    "sectors": [{"id": "ho-tich", "name": "Hộ tịch"}, {"id": "dat-dai", "name": "Đất đai"}],
    "services": [
        {"id": "khai-sinh", "sector": "ho-tich", "name": "Đăng ký khai sinh", "prefix": "A"},
        {"id": "ket-hon", "sector": "ho-tich", "name": "Đăng ký kết hôn", "prefix": "B"},
        {
            "id": "dat-dai",
            "sector": "dat-dai",
            "name": "Đăng ký đất đai",
            "base": 1000,
            "width": 4,
            "daily_cap": 50,
        },
    ],
    "counters": [
        {"number": 1, "services": ["khai-sinh"]},
        {"number": 2, "services": ["khai-sinh", "ket-hon"]},
        {"number": 3, "services": ["dat-dai"], "secondary_services": ["khai-sinh"]},
        {"number": 4, "services": ["ket-hon", "dat-dai"]},
    ],
    "outcomes": [
        {"id": "hoan-thanh", "name": "Hoàn thành"},
        {"id": "thieu-ho-so", "name": "Thiếu hồ sơ"},
    ],
    "pause_reasons": [{"id": "nghi-trua", "name": "Nghỉ trưa"}],
    "devices": [
        {"id": "kiosk-1", "role": "kiosk", "token": SMALL_SITE_KIOSK},
        {"id": "hall-1", "role": "display", "token": "hall-1-token-0123456789"},
    ],
    "rating_scale": [
        {"id": "rat-hai-long", "name": "Rất hài lòng"},
        {"id": "hai-long", "name": "Hài lòng"},
        {"id": "khong-hai-long", "name": "Không hài lòng"},
    ],
}

# A Wednesday, 09:00 in Ho Chi Minh City (UTC+7): the site is open.
WEDNESDAY_9AM = 1_779_847_200.0  # 2026-05-27 09:00 +07:00
WEDNESDAY = "2026-05-27"


def small_site(**overrides: Any) -> SiteConfig:
    data = copy.deepcopy(SMALL_SITE)
    data.update(overrides)
    return parse_config(data, "tests/small-site")
