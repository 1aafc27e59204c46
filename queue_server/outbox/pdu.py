"""SMS PDUs (3GPP TS 23.040): SMS-SUBMIT to send through a modem, SMS-DELIVER received.

A modem in PDU mode (AT+CMGF=0) is the only way to send UCS-2 (Vietnamese with its
marks) and concatenated messages, so the modem channel builds the octets itself:

    SMS-SUBMIT  = SCA | first octet | TP-MR | TP-DA | TP-PID | TP-DCS | TP-VP | TP-UDL | TP-UD
    SMS-DELIVER = SCA | first octet | TP-OA | TP-PID | TP-DCS | TP-SCTS | TP-UDL | TP-UD

- SCA "00": the modem uses the service centre stored on its SIM. AT+CMGS=<n> counts
  the octets *after* the SCA.
- First octet of a SUBMIT: TP-MTI 01, TP-VPF 10 (relative validity), TP-UDHI (0x40)
  when a user data header is present: 0x11 or 0x51. Of a DELIVER: TP-MTI 00.
- Addresses: number of digits, type (0x91 international, 0x81 national, 0xD0
  alphanumeric), then the digits as swapped semi-octets padded with F.
- TP-DCS 0x00 is the GSM 7-bit alphabet (TP-UDL counts septets), 0x08 UCS-2 (TP-UDL
  counts octets).
- Concatenation: UDH `05 00 03 <ref> <total> <seq>` (8-bit reference). Under 7-bit
  the header's 48 bits are padded to 49 so the text starts on a septet boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from queue_server.outbox import sms

DCS_GSM7 = 0x00
DCS_UCS2 = 0x08
VALIDITY_24H = 0xA7  # relative: 12 h + (0xA7 - 143) × 30 min
TOA_INTERNATIONAL = 0x91
TOA_NATIONAL = 0x81
TOA_ALPHANUMERIC = 0xD0


@dataclass(frozen=True)
class Submit:
    """One SMS-SUBMIT part, as a modem takes it."""

    hex: str  # the whole PDU, SCA included, upper-case hex
    tpdu_length: int  # octets after the SCA: the n of AT+CMGS=<n>


@dataclass(frozen=True)
class Decoded:
    """What a SUBMIT or DELIVER PDU says."""

    number: str  # TP-DA of a SUBMIT, TP-OA of a DELIVER; international without "+"
    text: str
    concat: tuple[int, int, int] | None  # (reference, total, sequence) of a part
    encoding: str  # from TP-DCS: "gsm7", "ucs2" or "8bit"
    timestamp: dt.datetime | None = None  # TP-SCTS of a DELIVER


def encode_submit(to: str, text: str, reference: int = 0) -> list[Submit]:
    """The SMS-SUBMIT PDUs that send `text` to the international number `to` (84…).

    GSM 7-bit when the text allows it, UCS-2 otherwise; split into concatenated parts
    with `reference` (0–255) tying them together.
    """
    return [_submit(to, *data) for data in _user_data(text, reference)]


def _user_data(text: str, reference: int) -> list[tuple[int, int, bytes, bool]]:
    """(TP-DCS, TP-UDL, TP-UD, has a header) of each part of `text`."""
    if sms.is_gsm7(text):
        septet_parts = sms.split_gsm7(text)
        total = len(septet_parts)
        return [
            (DCS_GSM7, *_gsm7_ud(part, _udh(reference, total, i + 1)))
            for i, part in enumerate(septet_parts)
        ]
    octet_parts = sms.split_ucs2(text)
    total = len(octet_parts)
    out = []
    for i, part in enumerate(octet_parts):
        header = _udh(reference, total, i + 1)
        out.append((DCS_UCS2, len(header) + len(part), header + part, bool(header)))
    return out


def _udh(reference: int, total: int, sequence: int) -> bytes:
    if total == 1:
        return b""
    return bytes((0x05, 0x00, 0x03, reference & 0xFF, total, sequence))


def _gsm7_ud(septets: list[int], header: bytes) -> tuple[int, bytes, bool]:
    """(TP-UDL in septets, TP-UD octets, has header): septets packed after the header."""
    header_septets = (len(header) * 8 + 6) // 7  # the header rounded up to septets
    packed = pack_septets(septets, header_septets * 7)
    body = header + packed[len(header) :]
    return header_septets + len(septets), body, bool(header)


def pack_septets(septets: list[int], start_bit: int = 0) -> bytes:
    """Septets packed little-endian into octets, the first at bit `start_bit`."""
    value = 0
    for i, septet in enumerate(septets):
        value |= septet << (start_bit + 7 * i)
    length = (start_bit + 7 * len(septets) + 7) // 8
    return value.to_bytes(length, "little")


def unpack_septets(octets: bytes, count: int, start_bit: int = 0) -> list[int]:
    """`count` septets read from `octets`, the first at bit `start_bit`."""
    value = int.from_bytes(octets, "little")
    return [(value >> (start_bit + 7 * i)) & 0x7F for i in range(count)]


def _submit(to: str, dcs: int, udl: int, ud: bytes, has_header: bool) -> Submit:
    first = 0x11 | (0x40 if has_header else 0)
    tpdu = bytes((first, 0x00)) + encode_address(to) + bytes((0x00, dcs, VALIDITY_24H, udl)) + ud
    return Submit(hex="00" + tpdu.hex().upper(), tpdu_length=len(tpdu))


def encode_address(number: str) -> bytes:
    """TP-DA/TP-OA: digit count, type, swapped semi-octets ("84912345678" → 0B 91 48…)."""
    digits = number.lstrip("+")
    if not digits.isdigit():
        raise ValueError(f"not a phone number: {number!r}")
    toa = TOA_NATIONAL if digits.startswith("0") else TOA_INTERNATIONAL
    return bytes((len(digits), toa)) + _semi_octets(digits)


def _semi_octets(digits: str) -> bytes:
    padded = digits + ("F" if len(digits) % 2 else "")
    return bytes.fromhex("".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2)))


def _digits(octets: bytes, count: int) -> str:
    swapped = "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in octets)
    return swapped[:count]


def encode_deliver(sender: str, text: str, when: dt.datetime, reference: int = 0) -> list[str]:
    """The SMS-DELIVER PDUs (hex, SCA "00") of a received text, as a modem stores them:
    one per part, a long text in concatenated parts tied by `reference`."""
    out = []
    for dcs, udl, ud, has_header in _user_data(text, reference):
        first = 0x04 | (0x40 if has_header else 0)  # TP-MTI 00, TP-MMS: no more messages
        tpdu = bytes((first,)) + encode_address(sender) + bytes((0x00, dcs)) + _scts(when)
        out.append("00" + (tpdu + bytes((udl,)) + ud).hex().upper())
    return out


def _scts(when: dt.datetime) -> bytes:
    offset = when.utcoffset() or dt.timedelta()
    quarters = int(offset.total_seconds() // 900)
    fields = [when.year % 100, when.month, when.day, when.hour, when.minute, when.second]
    tz = f"{abs(quarters):02d}"
    zone = _semi_octets(tz)[0] | (0x08 if quarters < 0 else 0)
    return _semi_octets("".join(f"{f:02d}" for f in fields)) + bytes((zone,))


def _parse_scts(octets: bytes) -> dt.datetime:
    digits = _digits(octets[:6], 12)
    zone = octets[6]
    quarters = int(f"{zone & 0x07:X}{zone >> 4:X}") * (-1 if zone & 0x08 else 1)
    tz = dt.timezone(dt.timedelta(minutes=15 * quarters))
    year, month, day, hour, minute, second = (int(digits[i : i + 2]) for i in range(0, 12, 2))
    return dt.datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)


def decode(pdu_hex: str) -> Decoded:
    """Read an SMS-SUBMIT or SMS-DELIVER PDU (hex with its SCA); ValueError if malformed."""
    try:
        return _decode(bytes.fromhex(pdu_hex.strip()))
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed PDU: {exc}") from exc


def _decode(raw: bytes) -> Decoded:
    at = 1 + raw[0]  # skip the SCA
    first = raw[at]
    at += 1
    mti = first & 0x03
    if mti == 0x01:
        at += 1  # TP-MR
    elif mti != 0x00:
        raise ValueError(f"not a SUBMIT or DELIVER (TP-MTI {mti})")
    number, at = _read_address(raw, at)
    dcs = raw[at + 1]
    at += 2
    timestamp = None
    if mti == 0x00:
        timestamp = _parse_scts(raw[at : at + 7])
        at += 7
    elif (first >> 3) & 0x03 == 0x02:
        at += 1  # relative TP-VP
    elif (first >> 3) & 0x03 in (0x01, 0x03):
        at += 7  # enhanced or absolute TP-VP
    udl = raw[at]
    ud = raw[at + 1 :]
    concat, header_len = None, 0
    if first & 0x40:
        header_len = ud[0] + 1
        concat = _concat(ud[1:header_len])
    if dcs & 0x0C == DCS_UCS2:
        encoding, text = "ucs2", ud[header_len:udl].decode("utf-16-be")
    elif dcs & 0x0C == 0x00:
        skip = (header_len * 8 + 6) // 7
        encoding, text = "gsm7", sms.gsm7_text(unpack_septets(ud, udl - skip, skip * 7))
    else:
        encoding, text = "8bit", ud[header_len:udl].decode("latin-1")
    return Decoded(number, text, concat, encoding, timestamp)


def _read_address(raw: bytes, at: int) -> tuple[str, int]:
    count, toa = raw[at], raw[at + 1]
    octets = raw[at + 2 : at + 2 + (count + 1) // 2]
    if toa & 0x70 == 0x50:  # alphanumeric sender: packed septets, count is in semi-octets
        return sms.gsm7_text(unpack_septets(octets, count * 4 // 7)), at + 2 + len(octets)
    return _digits(octets, count), at + 2 + len(octets)


def _concat(header: bytes) -> tuple[int, int, int] | None:
    at = 0
    while at + 1 < len(header):
        iei, length = header[at], header[at + 1]
        data = header[at + 2 : at + 2 + length]
        if iei == 0x00 and length == 3:
            return data[0], data[1], data[2]
        if iei == 0x08 and length == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
        at += 2 + length
    return None
