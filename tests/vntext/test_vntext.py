"""vntext: the one NFC, the one search fold, the weekday names."""

import datetime as dt
import unicodedata

import pytest

from vntext import WEEKDAYS_EN, WEEKDAYS_VI, fold, nfc


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_nfc_composes_decomposed_text_and_keeps_composed_text():
    word = "Nguyễn Thị Đường"
    assert nfd(word) != word and nfc(nfd(word)) == word
    assert nfc(word) == word and nfc("") == ""
    assert len(nfc(nfd("ệ"))) == 1


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Đăng ký đất đai", "dang ky dat dai"),
        ("ĐĂNG KÝ ĐẤT ĐAI", "dang ky dat dai"),
        ("đĐ", "dd"),
        ("Hộ tịch", "ho tich"),
        ("Ưu tiên người cao tuổi", "uu tien nguoi cao tuoi"),
        ("Đăng Ký KINH doanh", "dang ky kinh doanh"),
        ("  khai   sinh\t\n khai tử  ", "khai sinh khai tu"),
        ("KHAI SINH, khai tử", "khai sinh khai tu"),
        ("Người có công, bảo trợ – xã hội", "nguoi co cong bao tro xa hoi"),
        ("Cấp lại (bản sao)/trích lục", "cap lai ban sao trich luc"),
        ("Birth registration 2026", "birth registration 2026"),
        ("", ""),
        (" – ", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded
    assert fold(nfd(text)) == folded  # decomposed input folds the same


def test_fold_is_idempotent_and_plain_ascii_words():
    text = "Chứng thực bản sao từ bản chính – Sở Tư pháp"
    assert fold(fold(text)) == fold(text)
    assert fold(text).isascii()


def test_weekday_names_follow_date_weekday():
    monday = dt.date(2026, 5, 25)
    assert monday.weekday() == 0
    assert WEEKDAYS_VI[monday.weekday()] == "Thứ Hai" and WEEKDAYS_EN[0] == "Monday"
    assert WEEKDAYS_VI[6] == "Chủ Nhật" and WEEKDAYS_EN[6] == "Sunday"
    assert len(WEEKDAYS_VI) == len(WEEKDAYS_EN) == 7
    assert all(nfc(name) == name for name in WEEKDAYS_VI)
