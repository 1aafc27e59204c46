"""SMS text: the GSM 7-bit alphabet, unaccented Vietnamese, and what a text costs.

An SMS carries 140 octets. Text that fits the GSM 03.38 default alphabet (with its
extension table, each extension character taking two septets) is sent 7-bit: 160
characters, or 153 per part once split, the 6-octet concatenation header eating
the rest. Anything else — every Vietnamese letter with a mark — goes as UCS-2:
70 characters, 67 per part. Hence agencies fold text to unaccented ASCII to pay for
a third as many parts; the site config chooses (`unaccented = true`).
"""

from __future__ import annotations

import unicodedata

# GSM 03.38 default alphabet, by septet value; "\x1b" (27) escapes to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
ESCAPE = 0x1B
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if i != ESCAPE}

# Single part / per part of a concatenated message.
GSM7_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)

# Typography that has a plain GSM twin; everything else outside the alphabet keeps
# the message in UCS-2 rather than being lost.
_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})


def is_gsm7(text: str) -> bool:
    """True when every character of `text` has a GSM 7-bit code (basic or extension)."""
    return all(ch in _BASIC_INDEX or ch in GSM7_EXTENSION for ch in text)


def unaccent(text: str) -> str:
    """Vietnamese without marks, keeping case: "Mời Ông/Bà đến quầy" → "Moi Ong/Ba den quay".

    đ/Đ become d/D (Unicode does not decompose them); curly quotes and dashes become
    their plain twins. Characters with no unaccented form are kept, so the caller
    can tell with `is_gsm7` whether the text still needs UCS-2.
    """
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept.translate(_PLAIN))


def gsm7_septets(text: str) -> list[int]:
    """The septet values of `text` (an extension character is ESC + its code)."""
    out: list[int] = []
    for ch in text:
        if ch in _BASIC_INDEX:
            out.append(_BASIC_INDEX[ch])
        elif ch in GSM7_EXTENSION:
            out.extend((ESCAPE, GSM7_EXTENSION[ch]))
        else:
            raise ValueError(f"not in the GSM 7-bit alphabet: {ch!r}")
    return out


def gsm7_text(septets: list[int]) -> str:
    """The text of septet values (the inverse of `gsm7_septets`)."""
    reverse = {code: ch for ch, code in GSM7_EXTENSION.items()}
    out, escaped = [], False
    for value in septets:
        if escaped:
            out.append(reverse.get(value, " "))
            escaped = False
        elif value == ESCAPE:
            escaped = True
        else:
            out.append(GSM7_BASIC[value])
    return "".join(out)


def split_gsm7(text: str) -> list[list[int]]:
    """The septets of each part; an escape pair is never cut between two parts."""
    septets = gsm7_septets(text)
    single, per_part = GSM7_LIMITS
    if len(septets) <= single:
        return [septets]
    parts: list[list[int]] = []
    start = 0
    while start < len(septets):
        end = min(start + per_part, len(septets))
        if end < len(septets) and septets[end - 1] == ESCAPE and _escape_opens(septets, end - 1):
            end -= 1
        parts.append(septets[start:end])
        start = end
    return parts


def _escape_opens(septets: list[int], index: int) -> bool:
    """Whether the ESC at `index` opens a pair (an odd run of ESCs ending there)."""
    run = 0
    while index - run >= 0 and septets[index - run] == ESCAPE:
        run += 1
    return run % 2 == 1


def split_ucs2(text: str) -> list[bytes]:
    """The UTF-16BE octets of each part; a surrogate pair is never cut."""
    units = text.encode("utf-16-be")
    single, per_part = UCS2_LIMITS
    if len(units) <= single * 2:
        return [units]
    parts: list[bytes] = []
    start = 0
    while start < len(units):
        end = min(start + per_part * 2, len(units))
        if end < len(units) and 0xD8 <= units[end - 2] <= 0xDB:  # a high surrogate last
            end -= 2
        parts.append(units[start:end])
        start = end
    return parts


def segments(text: str) -> tuple[int, str]:
    """How many SMS parts `text` takes, and in which encoding ("gsm7" or "ucs2")."""
    if is_gsm7(text):
        return len(split_gsm7(text)), "gsm7"
    return len(split_ucs2(text)), "ucs2"


def sms_text(text: str, unaccented: bool) -> str:
    """The text as it will be sent: folded to unaccented when the site asks for it."""
    return unaccent(text) if unaccented else unicodedata.normalize("NFC", text)
