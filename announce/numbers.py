"""Read numbers and ticket numbers aloud in Vietnamese, as a list of clip tokens.

Pure functions, no I/O. Every token is an NFC Vietnamese word (or letter name)
that is also the name of a voice clip (see ``assets/voice/vi/manifest.toml``).

Rules (whole-number mode):

* 0 "không", 5 "năm" -- but "lăm" after "mười"/"mươi" (15, 25).
* 10-19 use "mười"; tens >= 20 use "<digit> mươi".
* 1 after "mươi" is "mốt" (21); after "mười" it stays "một" (11).
* 4 after "mươi" is "tư" (default) or "bốn" (option ``four``); elsewhere "bốn" (14, 104).
* A zero tens digit after a hundreds word reads "linh" (North, default) or "lẻ"
  (South, option ``zero_tens``): 105 "một trăm linh năm".
* Groups after the first are read in full: 1005 "một nghìn không trăm linh năm",
  1024 "một nghìn không trăm hai mươi tư". An all-zero group is skipped:
  1000000 "một triệu", 1000005 "một triệu không trăm linh năm".

Ticket numbers ("A015", "b-014", "1024"): the letter prefix is spelled out with
Vietnamese letter names, then the digits are read per ``mode``. Documented choice
for leading zeros: in "number" mode they are dropped ("A015" -> "a, mười lăm");
in "digits" mode every digit is said ("a, không, một, năm").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from vntext import nfc

MAX_NUMBER = 999_999_999

ZeroTens = Literal["linh", "lẻ"]
Four = Literal["tư", "bốn"]
Mode = Literal["number", "digits"]
Thousand = Literal["nghìn", "ngàn"]


DIGITS: tuple[str, ...] = tuple(
    nfc(w) for w in ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
)
MUOI_10 = nfc("mười")  # the ten in 10-19
MUOI = nfc("mươi")  # the tens word for 20-90
MOT_AFTER_MUOI = nfc("mốt")
LAM = nfc("lăm")
TU = nfc("tư")
TRAM = nfc("trăm")
TRIEU = nfc("triệu")

# Letter names as a hall announcer says them so that none is mistaken for another:
# G is "gờ" and V is "vờ" (their sounds as taught in school), not "giê" and "vê", which
# in the south (and V in Bình Dương speech) are the same as "dê" (D); see FIELD-NOTES
# "letters read aloud" and announce/alike.py.
LETTER_NAMES: dict[str, str] = {
    nfc(k): nfc(v)
    for k, v in {
        "a": "a", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "f": "ép",
        "g": "gờ", "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "e-lờ",
        "m": "em-mờ", "n": "en-nờ", "o": "o", "p": "pê", "q": "quy", "r": "e-rờ",
        "s": "ét-sì", "t": "tê", "u": "u", "v": "vờ", "w": "vê kép", "x": "ích-xì",
        "y": "i dài", "z": "dét",
    }.items()
}  # fmt: skip

_TICKET_RE = re.compile(r"^([^\W\d_]*)[\s\-.]*([0-9]+)$")


@dataclass(frozen=True)
class ReadingOptions:
    """How numbers are read: regional words and whole-number or digit-by-digit mode."""

    zero_tens: ZeroTens = "linh"
    four: Four = "tư"
    mode: Mode = "number"
    thousand: Thousand = "nghìn"

    def __post_init__(self) -> None:
        checks = {
            "zero_tens": ("linh", "lẻ"),
            "four": ("tư", "bốn"),
            "mode": ("number", "digits"),
            "thousand": ("nghìn", "ngàn"),
        }
        for name, allowed in checks.items():
            value = nfc(getattr(self, name))
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
            object.__setattr__(self, name, value)


DEFAULT_OPTIONS = ReadingOptions()

# The site's voice style (`[hall] voice`): the regional words of a number. FIELD-NOTES
# names 105 "linh" (North) / "lẻ" (South); "nghìn" / "ngàn" for a thousand goes with
# them. 24 stays "hai mươi tư" in both: tư/bốn is a centre's choice, not a region's.
VOICE_STYLES: dict[str, ReadingOptions] = {
    "bac": ReadingOptions(zero_tens="linh", thousand="nghìn"),
    "nam": ReadingOptions(zero_tens="lẻ", thousand="ngàn"),
}


def style_options(style: str, base: ReadingOptions = DEFAULT_OPTIONS) -> ReadingOptions:
    """`base` (mode, four) with the regional words of `style` ("bac" or "nam")."""
    words = VOICE_STYLES[style]
    return replace(base, zero_tens=words.zero_tens, thousand=words.thousand)


def style_words(style: str) -> tuple[str, ...]:
    """The clips a style needs that the other style does not say."""
    words = VOICE_STYLES[style]
    return (words.zero_tens, words.thousand)


@dataclass(frozen=True)
class Reading:
    """A reading split into spoken groups; a comma (short pause) separates groups."""

    groups: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> list[str]:
        """All clip tokens in order."""
        return [t for g in self.groups for t in g]

    @property
    def text(self) -> str:
        """Human-readable text, e.g. "a, mười lăm"."""
        return ", ".join(" ".join(g) for g in self.groups)


def _tens_units(tens: int, units: int, options: ReadingOptions, after_hundreds: bool) -> list[str]:
    """Read the last two digits of a group; ``after_hundreds`` enables linh/lẻ."""
    if tens == 0:
        if units == 0:
            return []
        return ([options.zero_tens] if after_hundreds else []) + [DIGITS[units]]
    words = [MUOI_10] if tens == 1 else [DIGITS[tens], MUOI]
    if units == 0:
        return words
    if units == 5:
        return words + [LAM]
    if tens >= 2 and units == 1:
        return words + [MOT_AFTER_MUOI]
    if tens >= 2 and units == 4:
        return words + [options.four]
    return words + [DIGITS[units]]


def _group(value: int, options: ReadingOptions, full: bool) -> list[str]:
    """Read a 0-999 group; ``full`` says "không trăm" for a zero hundreds digit."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words = [DIGITS[hundreds], TRAM]
    return words + _tens_units(tens, units, options, after_hundreds=bool(words))


def read_number(number: int, options: ReadingOptions = DEFAULT_OPTIONS) -> list[str]:
    """Tokens for ``number`` (0..999,999,999), as a whole number or digit by digit."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"number must be an int, not {type(number).__name__}")
    if not 0 <= number <= MAX_NUMBER:
        raise ValueError(f"number {number} out of range 0..{MAX_NUMBER}")
    if options.mode == "digits":
        return read_digits(str(number))
    if number == 0:
        return [DIGITS[0]]
    scales = ["", options.thousand, TRIEU]
    groups = []
    rest, index = number, 0
    while rest:
        rest, value = divmod(rest, 1000)
        groups.append((value, scales[index]))
        index += 1
    words: list[str] = []
    for position, (value, scale) in enumerate(reversed(groups)):
        if value == 0:
            continue
        words += _group(value, options, full=position > 0)
        words += [scale] if scale else []
    return words


def read_digits(digits: str) -> list[str]:
    """Tokens for a digit string read digit by digit: "1024" -> một, không, hai, bốn."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"expected ASCII digits, got {digits!r}")
    return [DIGITS[int(d)] for d in digits]


def spell_letters(letters: str) -> list[str]:
    """Vietnamese letter names for ``letters`` ("AB" -> a, bê)."""
    tokens = []
    for char in nfc(letters).lower():
        if char not in LETTER_NAMES:
            raise ValueError(f"no Vietnamese letter name for {char!r}")
        tokens.append(LETTER_NAMES[char])
    return tokens


def read_ticket(ticket: str, options: ReadingOptions = DEFAULT_OPTIONS) -> Reading:
    """Read a ticket number such as "A015", "B-014" or "1024" (prefix letters optional)."""
    match = _TICKET_RE.match(nfc(ticket).strip())
    if match is None:
        raise ValueError(f"not a ticket number: {ticket!r}")
    letters, digits = match.groups()
    groups: list[tuple[str, ...]] = [(name,) for name in spell_letters(letters)]
    if options.mode == "digits":
        groups += [(d,) for d in read_digits(digits)]
    else:
        groups.append(tuple(read_number(int(digits), options)))
    return Reading(tuple(groups))


def number_text(number: int, options: ReadingOptions = DEFAULT_OPTIONS) -> str:
    """Text of ``number`` as read; digit mode separates digits with commas."""
    tokens = read_number(number, options)
    return ", ".join(tokens) if options.mode == "digits" else " ".join(tokens)


def all_tokens() -> list[str]:
    """Every token the reader can produce, in a stable order (the clip inventory)."""
    words = list(DIGITS) + [MUOI_10, MUOI, MOT_AFTER_MUOI, LAM, TU, TRAM]
    words += ["linh", "lẻ", "nghìn", "ngàn", TRIEU]
    words += list(LETTER_NAMES.values())
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(nfc(word), None)
    return list(seen)
