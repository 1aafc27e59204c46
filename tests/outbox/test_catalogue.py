"""Every text a citizen can receive: Vietnamese first, "Ông/Bà", NFC, and within its
budget of SMS parts with the longest values the sample site produces."""

from __future__ import annotations

import unicodedata

import pytest

from assets import SAMPLE_CONFIG
from queue_server.core.siteconfig import load_config
from queue_server.outbox import catalogue, sms

SAMPLE = load_config(SAMPLE_CONFIG)
LONGEST_SERVICE = max((s.name for s in SAMPLE.services.values()), key=len)
LONGEST_SERVICE_EN = max((s.name_en for s in SAMPLE.services.values()), key=len)
WORST = {
    "place": SAMPLE.site.name,
    "code": "ABCDEFGH",
    "time": "16:30",
    "date": "31/12/2026",
    "number": "AB999",
    "ahead": "10",
    "counter": "9999",
    "cancel_link": "https://dichvucong.binhduong.gov.vn/dat-lich/huy/ABCDEFGH#k=" + "x" * 24,
    "link": "https://dichvucong.binhduong.gov.vn/danh-gia/" + "x" * 12,
    "reason": "mất điện cả tòa nhà",
    "status": "còn hiệu lực",
    "zone": "Khu B, tầng 2, dãy nhà hành chính số 3",  # a counter's zone: up to 40 letters
    # a dossier look-up: a long procedure, the longest state (issue 16)
    "procedure": "Đăng ký khai sinh có yếu tố nước ngoài kết hợp nhận cha, mẹ, con",
}


@pytest.mark.parametrize("text_id", sorted(catalogue.BUDGET))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_text_fits_its_budget_of_sms_parts(text_id, lang):
    service = LONGEST_SERVICE_EN if lang == "en" else LONGEST_SERVICE
    text = catalogue.render(text_id, lang, WORST | {"service": service})
    accented, folded = catalogue.BUDGET[text_id]
    count, encoding = sms.segments(text)
    assert count <= (accented if encoding == "ucs2" else folded), (text_id, lang, count, text)
    unaccented = sms.unaccent(text)
    assert sms.is_gsm7(unaccented)
    assert sms.segments(unaccented) <= (folded, "gsm7"), (text_id, lang, unaccented)


def test_the_citizen_is_ong_ba_in_nfc_vietnamese_first():
    for text_id, (vi, en) in catalogue.TEXTS.items():
        assert unicodedata.is_normalized("NFC", vi) and unicodedata.is_normalized("NFC", en)
        for word in ("bạn", "quý khách", "Bạn", "Quý khách"):
            assert word not in vi, text_id
        assert "you" not in vi.lower() and vi != en or text_id.startswith("booking_")
    addressed = [vi for vi, _ in catalogue.TEXTS.values() if "Ông/Bà" in vi]
    assert len(addressed) >= 8


def test_every_text_is_budgeted_or_a_fragment_of_one():
    fragments = {"cancel_link", "booking_active", "booking_cancelled_state", "booking_checked_in"}
    assert set(catalogue.TEXTS) == set(catalogue.BUDGET) | fragments


def test_near_with_nobody_ahead_says_next():
    assert catalogue.render("near", "vi", {"number": "A001", "ahead": "0"}) == (
        "Số A001: Ông/Bà là người tiếp theo. Mời Ông/Bà về khu vực chờ."
    )
