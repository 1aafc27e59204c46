"""The ID card QR parser (kiosk/cccd.py): the variants in circulation read, the rest refused
with a reason the kiosk turns into a plain sentence."""

import unicodedata
from datetime import date

import pytest

from kiosk.cccd import CardError, looks_like_card, parse_card

TODAY = date(2026, 12, 2)
ADDRESS = "Số 1 Lý Thái Tổ, Phường Hoàn Kiếm, Hà Nội"
FULL = f"001049012345|012345678|Nguyễn Văn Ấn|02121949|Nam|{ADDRESS}|15082021"


def wedge_typed(text: str, codec: str) -> str:
    """The card's UTF-8 bytes as a scanner set to a one-byte code page types them (a byte
    the code page lacks comes through as the Latin-1 character)."""
    return "".join(bytes([b]).decode(codec, errors="ignore") or chr(b) for b in text.encode())


# (QR text, ID number, age on TODAY): the variants a kiosk meets.
VALID = [
    (FULL, "001049012345", 77),
    # no old number, no trailing fields but the address
    (f"079301000123||Trần Thị Bích|03121951|Nữ|{ADDRESS}", "079301000123", 74),
    # extra fields at the end (2024 cards) and a trailing separator
    (f"{FULL}|Ghi chú|2031|", "001049012345", 77),
    # spaces around fields, a name with double spaces
    (" 001049012345 | 012345678 |Nguyễn  Văn Ấn | 02121949 |Nam", "001049012345", 77),
    # decomposed (NFD) Vietnamese
    (unicodedata.normalize("NFD", FULL), "001049012345", 77),
    # UTF-8 typed by a keyboard-wedge scanner as CP-1252 characters
    (wedge_typed(FULL, "cp1252"), "001049012345", 77),
    (wedge_typed(FULL, "latin-1"), "001049012345", 77),
]

BROKEN = [
    ("KMZZUJVW", "not_card"),  # a booking code
    ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "not_card"),
    ("00104901234|012345678|Nguyễn Văn Ấn|02121949|Nam", "not_card"),  # 11 digits
    ("001049012345|012345678|Nguyễn Văn Ấn", "damaged"),  # cut short
    ("001049012345|012345678|Nguyễn Văn Ấn|31021949|Nam", "damaged"),  # 31 February
    ("001049012345|012345678|Ng#y@n 12|02121949|Nam", "damaged"),  # garbled name
    ("001049012345|012345678|Nguyễn Văn Ấn|03122026|Nam", "future_birth"),
    ("001049012345|1234|Nguyễn Văn Ấn|02121949|Nam", "damaged"),  # old number cut
]


@pytest.mark.parametrize(("qr", "number", "age"), VALID)
def test_the_variants_in_circulation_are_read(qr, number, age):
    card = parse_card(qr, TODAY)
    assert card.id_number == number
    assert card.age(TODAY) == age
    assert unicodedata.is_normalized("NFC", card.name) and "  " not in card.name
    assert card.name in ("Nguyễn Văn Ấn", "Trần Thị Bích")


def test_the_fields_and_the_age_on_the_birthday():
    card = parse_card(FULL, TODAY)
    assert (card.old_number, card.sex, card.issued) == ("012345678", "Nam", date(2021, 8, 15))
    assert card.birth == date(1949, 12, 2)
    assert card.age(date(2024, 12, 1)) == 74 and card.age(date(2024, 12, 2)) == 75


@pytest.mark.parametrize(("qr", "reason"), BROKEN)
def test_anything_else_is_refused_with_a_reason(qr, reason):
    with pytest.raises(CardError) as refused:
        parse_card(qr, TODAY)
    assert refused.value.reason == reason


def test_a_refusal_and_a_card_never_carry_the_personal_fields_into_a_log():
    with pytest.raises(CardError) as refused:
        parse_card("001049012345|012345678|Nguyễn Văn Ấn|03122026|Nam", TODAY)
    assert "001049012345" not in str(refused.value) and "Nguyễn" not in str(refused.value)
    card = parse_card(FULL, TODAY)
    for shown in (repr(card), str(card), f"{card}"):
        assert "001049012345" not in shown and "Nguyễn" not in shown


def test_a_card_is_told_from_a_booking_code():
    assert looks_like_card(FULL) and looks_like_card("00104901234|x")
    assert looks_like_card("0010|Nguyễn Văn Ấn")  # damaged: still never a booking code
    assert not looks_like_card("KMZZ-UJVW") and not looks_like_card("https://x/t/abc")
