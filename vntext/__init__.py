"""Vietnamese text helpers shared by every part of the system (stdlib only).

- `nfc`: the one normal form for text we store, send, print and speak (TCVN 6909).
- `fold`: the one search key, so that the kiosk, the web page and the server agree on
  what a citizen's "dang ky" finds.
- `WEEKDAYS_VI`, `WEEKDAYS_EN`: weekday names, Monday first (`date.weekday()` order).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["WEEKDAYS_EN", "WEEKDAYS_VI", "fold", "nfc"]

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_NOT_WORD = re.compile(r"[^\w]+")


def nfc(text: str) -> str:
    """`text` in Unicode NFC: one code point per letter with its marks, as typed
    ("ệ" is U+1EC7, never e + U+0323 + U+0302)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """The search key of `text`: "  Đăng Ký – KINH doanh, " → "dang ky kinh doanh".

    Lower case (casefold), without tone or vowel marks, đ/Đ as d (a letter of its own,
    which Unicode does not decompose, so it is mapped by hand), every run of
    punctuation and spaces as one space, none at either end. The same for composed
    (NFC) and decomposed (NFD) input. With query and text folded alike, `word in
    fold(text)` is a search blind to marks, case and punctuation.
    """
    bare = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    letters = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", letters).split())
