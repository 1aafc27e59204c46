"""The pages' words (`queue_server/web/texts/*.json`) and the refusals' messages: the same
keys in every language, NFC, and one register: the citizen is "Ông/Bà", never "bạn"
or "quý khách"."""

import json
import re
import string
import unicodedata

import pytest

from queue_protocol.errors import ERRORS, QueueError
from queue_server.web import pages

TEXT_DIR = pages.TEXT_DIR
# Whole words only: "bạn" as a word, not inside another; "quý"/"quí" both spelled.
FAMILIAR = re.compile(r"(?<!\w)(bạn|qu[ýí] khách)(?!\w)", re.IGNORECASE)


def load(lang: str) -> dict[str, str]:
    return json.loads((TEXT_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_language_has_the_same_keys_and_the_pages_use_the_files():
    files = sorted(p.stem for p in TEXT_DIR.glob("*.json"))
    assert files == sorted(pages.LANGUAGES)
    vi = load("vi")
    for lang in pages.LANGUAGES:
        other = load(lang)
        assert set(other) == set(vi), (lang, set(other) ^ set(vi))
        assert pages.TEXT[lang] == other


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_text_is_non_empty_nfc_with_the_same_placeholders(lang):
    vi = load("vi")
    for key, value in load(lang).items():
        assert isinstance(value, str) and value.strip(), key
        assert unicodedata.normalize("NFC", value) == value, key
        assert fields(value) == fields(vi[key]), key


def test_the_register_check_finds_whole_words_only():
    assert FAMILIAR.search("Số của bạn") and FAMILIAR.search("Bạn là người kế tiếp")
    assert FAMILIAR.search("Xin lỗi Quý khách.") and FAMILIAR.search("quí khách")
    assert not FAMILIAR.search("Ban tiếp công dân") and not FAMILIAR.search("ban hành")
    assert not FAMILIAR.search("bạnbè")  # not a word of its own
    assert not FAMILIAR.search("Số của Ông/Bà")


def test_the_pages_address_the_citizen_as_ong_ba():
    for key, value in load("vi").items():
        assert not FAMILIAR.search(value), (key, value)


def test_the_refusals_address_the_citizen_as_ong_ba_and_have_an_http_status():
    for code, info in ERRORS.items():
        assert not FAMILIAR.search(info.vi), (code, info.vi)
        assert unicodedata.normalize("NFC", info.vi) == info.vi, code
        assert info.vi.strip() and info.en.strip(), code
        assert 400 <= info.status < 600 and QueueError(code).http_status == info.status
