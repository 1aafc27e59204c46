"""SMS text and PDUs: the GSM 7-bit alphabet, unaccented Vietnamese, segment counts, and
SMS-SUBMIT/DELIVER octets checked against the layout of 3GPP TS 23.040 by hand."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from queue_server.outbox import pdu, sms

CALLED = "Mời Ông/Bà có số A012 đến quầy số 5."


def test_the_gsm7_alphabet():
    assert sms.is_gsm7("Moi Ong/Ba co so A012 den quay so 5. @£$ {}[]~€")
    assert not sms.is_gsm7(CALLED)
    assert not sms.is_gsm7("đ")


def test_unaccent_keeps_case_and_maps_d_with_stroke():
    assert sms.unaccent(CALLED) == "Moi Ong/Ba co so A012 den quay so 5."
    assert sms.unaccent("ĐẶNG Thị Ngọc Ánh – “Hộ tịch”") == 'DANG Thi Ngoc Anh - "Ho tich"'
    assert sms.unaccent(unicodedata.normalize("NFD", "Mời Ông/Bà")) == "Moi Ong/Ba"
    assert sms.is_gsm7(sms.unaccent("Trung tâm Hành chính công Bình Dương"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, (1, "gsm7")),
        ("a" * 161, (2, "gsm7")),  # 153 + 8
        ("a" * 306, (2, "gsm7")),
        ("a" * 307, (3, "gsm7")),
        ("€" * 80, (1, "gsm7")),  # extension characters take two septets each
        ("€" * 81, (2, "gsm7")),
        ("ệ" * 70, (1, "ucs2")),
        ("ệ" * 71, (2, "ucs2")),  # 67 + 4
        ("ệ" * 134, (2, "ucs2")),
        ("ệ" * 135, (3, "ucs2")),
    ],
)
def test_segments(text, expected):
    assert sms.segments(text) == expected


def test_an_escape_pair_is_never_cut_between_parts():
    parts = sms.split_gsm7("a" * 152 + "€" + "b" * 10)  # 165 septets: two parts
    assert [len(p) for p in parts] == [152, 12]  # ESC + € moved whole into part two
    assert sms.gsm7_text(parts[1]) == "€" + "b" * 10


def test_a_7bit_submit_built_by_hand():
    """ "hellohello" to +84 912 345 678, octet by octet (TS 23.040 §9.2.2.2):

    00              SCA: none, the SIM's service centre
    11              first octet: TP-MTI 01 (SUBMIT), TP-VPF 10 (relative)
    00              TP-MR: the modem assigns it
    0B 91           TP-DA: 11 digits, international
    48 19 32 54 76 F8   84912345678 as swapped semi-octets, F pads the odd digit
    00 00           TP-PID, TP-DCS (GSM 7-bit)
    A7              TP-VP: 12 h + (167 − 143) × 30 min = 24 h
    0A              TP-UDL: 10 septets
    E8 32 9B FD 46 97 D9 EC 37   the septets packed LSB first: h = 1101000 fills bits
                    0–6 of the first octet, bit 0 of e = 1100101 its bit 7 → E8; …
    """
    [part] = pdu.encode_submit("84912345678", "hellohello")
    assert part.hex == "0011000B914819325476F80000A70AE8329BFD4697D9EC37"
    assert part.tpdu_length == 23  # AT+CMGS counts the octets after the SCA


def test_a_ucs2_submit_built_by_hand():
    """ "Số 5": TP-DCS 08, TP-UDL counts octets (8), the text UTF-16BE:
    S 0053, ố 1ED1, space 0020, 5 0035."""
    [part] = pdu.encode_submit("84912345678", "Số 5")
    assert part.hex == "0011000B914819325476F80008A708" + "00531ED100200035"


def test_concatenated_7bit_parts_carry_the_udh_and_a_fill_bit():
    """Part two of 161 "a": first octet 51 (UDHI set), UDH 05 00 03 <ref> 02 02, then
    one fill bit so the text starts on septet 7: its first octet is a (1100001) << 1 =
    C2; TP-UDL counts the 7 header septets too (7 + 8 = 15)."""
    parts = pdu.encode_submit("84912345678", "a" * 161, reference=0x2A)
    assert len(parts) == 2
    second = bytes.fromhex(parts[1].hex)
    assert second[1] == 0x51
    udl_at = 1 + 2 + 2 + 6 + 3  # SCA, first+MR, DA length+type, 6 digit octets, PID DCS VP
    assert second[udl_at] == 15
    assert second[udl_at + 1 : udl_at + 7] == bytes.fromhex("0500032A0202")
    assert second[udl_at + 7] == 0xC2
    assert [pdu.decode(p.hex).concat for p in parts] == [(0x2A, 2, 1), (0x2A, 2, 2)]
    assert "".join(pdu.decode(p.hex).text for p in parts) == "a" * 161


def test_long_vietnamese_splits_into_ucs2_parts_and_reads_back():
    text = "Còn 3 người trước Ông/Bà. " * 6
    parts = pdu.encode_submit("84912345678", text, reference=9)
    decoded = [pdu.decode(p.hex) for p in parts]
    assert [d.encoding for d in decoded] == ["ucs2"] * len(parts) == ["ucs2"] * 3
    assert "".join(d.text for d in decoded) == text
    udl_at = 14  # SCA, first octet, MR, DA (2 + 6), PID, DCS, VP
    assert [bytes.fromhex(p.hex)[udl_at] for p in parts] == [140, 140, 6 + 2 * 22]


def test_a_deliver_round_trips_with_its_timestamp():
    when = dt.datetime(2026, 12, 3, 9, 5, 7, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    [hex_pdu] = pdu.encode_deliver("84987654321", "STT A001", when)
    # SCTS 26-12-03 09:05:07 +28 quarters, each pair swapped: 62 21 30 90 50 70 82
    assert "62213090507082" in hex_pdu
    decoded = pdu.decode(hex_pdu)
    assert (decoded.number, decoded.text, decoded.timestamp) == ("84987654321", "STT A001", when)


def test_a_malformed_pdu_is_a_value_error():
    with pytest.raises(ValueError, match="malformed"):
        pdu.decode("0011000B91")
    with pytest.raises(ValueError):
        pdu.decode("zz")
