"""Vietnamese number reader: fixed cases, regional options, digit mode, ticket prefixes."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from announce.numbers import (
    LETTER_NAMES,
    MAX_NUMBER,
    ReadingOptions,
    all_tokens,
    number_text,
    read_digits,
    read_number,
    read_ticket,
    spell_letters,
)
from announce.voice import load_manifest

NORTH = {
    0: "không",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    31: "ba mươi mốt",
    40: "bốn mươi",
    55: "năm mươi lăm",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    124: "một trăm hai mươi tư",
    1000: "một nghìn",
    1005: "một nghìn không trăm linh năm",
    1010: "một nghìn không trăm mười",
    1024: "một nghìn không trăm hai mươi tư",
    1100: "một nghìn một trăm",
    2015: "hai nghìn không trăm mười lăm",
    9999: "chín nghìn chín trăm chín mươi chín",
    10000: "mười nghìn",
    10005: "mười nghìn không trăm linh năm",
    21000: "hai mươi mốt nghìn",
    100000: "một trăm nghìn",
    999999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
    1000000: "một triệu",
    1000005: "một triệu không trăm linh năm",
    1024000: "một triệu không trăm hai mươi tư nghìn",
}

STYLES = [
    ReadingOptions(),
    ReadingOptions(zero_tens="lẻ"),
    ReadingOptions(four="bốn"),
    ReadingOptions(zero_tens="lẻ", four="bốn"),
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def styled(text: str, options: ReadingOptions) -> list[str]:
    """North reading with the style's words: "linh"->zero_tens, "tư" (only after mươi)->four."""
    swap = {"linh": options.zero_tens, "tư": options.four}
    return [swap.get(word, word) for word in text.split()]


@pytest.mark.parametrize("options", STYLES, ids=lambda o: f"{o.zero_tens}-{o.four}")
@pytest.mark.parametrize("number", sorted(NORTH))
def test_whole_numbers_in_every_style(number: int, options: ReadingOptions) -> None:
    assert read_number(number, options) == styled(NORTH[number], options)


def test_regional_words_appear_where_expected() -> None:
    south = ReadingOptions(zero_tens="lẻ", four="bốn")
    assert " ".join(read_number(105, south)) == "một trăm lẻ năm"
    assert " ".join(read_number(1024, south)) == "một nghìn không trăm hai mươi bốn"
    assert read_number(14, south) == read_number(14) == ["mười", "bốn"]
    assert read_number(4) == ["bốn"]
    assert read_number(404)[:2] == ["bốn", "trăm"]
    assert " ".join(read_number(2005, ReadingOptions(thousand="ngàn"))) == (
        "hai ngàn không trăm linh năm"
    )


def test_number_text() -> None:
    assert number_text(1024) == "một nghìn không trăm hai mươi tư"
    assert number_text(1024, ReadingOptions(mode="digits")) == "một, không, hai, bốn"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0, "không"),
        (5, "năm"),
        (15, "một năm"),
        (105, "một không năm"),
        (1024, "một không hai bốn"),
    ],
)
def test_digit_mode(number: int, expected: str) -> None:
    for options in STYLES:
        digit_options = ReadingOptions(options.zero_tens, options.four, mode="digits")
        assert read_number(number, digit_options) == expected.split()
    assert read_digits(str(number)) == expected.split()


@pytest.mark.parametrize(
    ("ticket", "mode", "text"),
    [
        ("A015", "number", "a, mười lăm"),
        ("A015", "digits", "a, không, một, năm"),
        ("B014", "number", "bê, mười bốn"),
        ("b-014", "number", "bê, mười bốn"),
        (" C 021 ", "number", "xê, hai mươi mốt"),
        ("Đ1", "number", "đê, một"),
        ("L105", "number", "e-lờ, một trăm linh năm"),
        ("XY7", "number", "ích-xì, i dài, bảy"),
        ("1024", "number", "một nghìn không trăm hai mươi tư"),
        ("1024", "digits", "một, không, hai, bốn"),
        ("0015", "number", "mười lăm"),
        ("A000", "number", "a, không"),
    ],
)
def test_tickets(ticket: str, mode: str, text: str) -> None:
    reading = read_ticket(ticket, ReadingOptions(mode=mode))
    assert reading.text == text
    assert " ".join(reading.tokens) == text.replace(",", "")


def test_ticket_prefix_tokens_are_letter_names() -> None:
    assert read_ticket("A015").tokens == ["a", "mười", "lăm"]
    assert read_ticket("A015", ReadingOptions(mode="digits")).tokens == ["a", "không", "một", "năm"]
    assert spell_letters("qrs") == ["quy", "e-rờ", "ét-sì"]


def test_ticket_input_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "đ12")
    assert read_ticket(decomposed).text == "đê, mười hai"
    assert ReadingOptions(zero_tens=unicodedata.normalize("NFD", "lẻ")).zero_tens == "lẻ"


@pytest.mark.parametrize("ticket", ["", "A", "1A", "A1B2", "A015x", "Ư12", "A_1", "١٢"])
def test_bad_tickets_raise_value_error(ticket: str) -> None:
    with pytest.raises(ValueError):
        read_ticket(ticket)


@pytest.mark.parametrize("bad", [-1, MAX_NUMBER + 1])
def test_out_of_range_numbers(bad: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        read_number(bad)


@pytest.mark.parametrize("bad", [True, 1.5, "12"])
def test_non_int_numbers(bad: object) -> None:
    with pytest.raises(TypeError):
        read_number(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["zero_tens", "four", "mode", "thousand"])
def test_bad_options(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ReadingOptions(**{field: "nope"})


def test_all_letter_names() -> None:
    assert set(LETTER_NAMES) == set("abcdefghijklmnopqrstuvwxyz") | {"đ"}
    assert LETTER_NAMES["y"] == "i dài" and LETTER_NAMES["k"] == "ca"
    assert all(nfc(name) == name for name in LETTER_NAMES.values())


# --- properties --------------------------------------------------------------

VALUES = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5}
VALUES |= {"lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
SCALES = {"nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000}


def parse(tokens: list[str]) -> int:
    """Independent reader of Vietnamese number words, to check readings round-trip."""
    total = group = pending = 0
    for token in tokens:
        if token in VALUES:
            pending = VALUES[token]
        elif token == "trăm":
            group, pending = group + pending * 100, 0
        elif token == "mười":
            group += 10
        elif token == "mươi":
            group, pending = group + pending * 10, 0
        elif token in SCALES:
            total, group, pending = total + (group + pending) * SCALES[token], 0, 0
        else:
            assert token in ("linh", "lẻ"), token
    return total + group + pending


options_strategy = st.builds(
    ReadingOptions,
    zero_tens=st.sampled_from(["linh", "lẻ"]),
    four=st.sampled_from(["tư", "bốn"]),
    thousand=st.sampled_from(["nghìn", "ngàn"]),
)
MANIFEST_TOKENS = set(load_manifest().clips)


@given(st.integers(0, 999_999), options_strategy)
def test_every_reading_has_clips_and_round_trips(number: int, options: ReadingOptions) -> None:
    tokens = read_number(number, options)
    assert set(tokens) <= MANIFEST_TOKENS
    assert parse(tokens) == number


@given(st.integers(0, MAX_NUMBER), options_strategy)
def test_word_choice_rules(number: int, options: ReadingOptions) -> None:
    tokens = read_number(number, options)
    assert parse(tokens) == number
    for before, word in zip(["^", *tokens], tokens, strict=False):
        if before == "mười":  # 11 mười một, 14 mười bốn, 15 mười lăm
            assert word not in ("mốt", "tư", "năm"), tokens
        if before == "mươi":  # 21 mốt, 24 tư/bốn (option), 25 lăm
            assert word not in ("một", "năm"), tokens
            assert word != {"tư": "bốn", "bốn": "tư"}[options.four], tokens
        if word in ("mốt", "tư"):
            assert before == "mươi", tokens
        if word == "lăm":
            assert before in ("mười", "mươi"), tokens
        if word == "mươi":
            assert before in ("hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"), tokens
        if word in ("linh", "lẻ"):
            assert word == options.zero_tens and before == "trăm", tokens
        if word in ("nghìn", "ngàn"):
            assert word == options.thousand, tokens


@given(st.integers(0, MAX_NUMBER))
def test_digit_mode_reads_each_digit(number: int) -> None:
    tokens = read_number(number, ReadingOptions(mode="digits"))
    assert len(tokens) == len(str(number))
    assert "".join(str(VALUES[t]) for t in tokens) == str(number)
    assert set(tokens) <= MANIFEST_TOKENS


@given(
    st.text(alphabet=sorted(LETTER_NAMES) + [c.upper() for c in LETTER_NAMES], max_size=3),
    st.text(alphabet="0123456789", min_size=1, max_size=6),
    st.sampled_from(["number", "digits"]),
)
def test_ticket_reader_never_raises_on_valid_tickets(letters: str, digits: str, mode: str) -> None:
    reading = read_ticket(letters + digits, ReadingOptions(mode=mode))
    assert reading.tokens[: len(letters)] == spell_letters(letters)
    assert set(reading.tokens) <= MANIFEST_TOKENS
    rest = reading.tokens[len(letters) :]
    if mode == "digits":
        assert "".join(str(VALUES[t]) for t in rest) == digits
    else:
        assert parse(rest) == int(digits)


def test_inventory_is_nfc_and_unique() -> None:
    tokens = all_tokens()
    assert len(tokens) == len(set(tokens))
    assert all(nfc(t) == t for t in tokens)
