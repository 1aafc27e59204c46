"""Every word the kiosk shows or says: NFC, and the citizen is "Ông/Bà" (or "ông bà" as
spoken), never "bạn" or "quý khách" (issue 20, issue 12's one register)."""

import unicodedata

from kiosk.text import STRINGS
from kiosk.voice import PHRASES
from queue_protocol.errors import ERRORS
from tests.server.test_texts import FAMILIAR


def test_the_kiosk_addresses_the_citizen_as_ong_ba():
    spoken = list(PHRASES.values())
    shown = [vi for vi, _en in STRINGS.values()]
    for text in (*shown, *spoken, ERRORS["no_booking_for_card"].vi):
        assert unicodedata.is_normalized("NFC", text), text
        assert not FAMILIAR.search(text), text
    assert any("Ông/Bà" in text for text in shown)
    assert all("Ông/Bà" not in text for text in spoken)  # said "ông bà", not "ông gạch bà"
