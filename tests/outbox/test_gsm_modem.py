"""The GSM modem channel against the virtual modem on a real pseudo-terminal."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.outbox import pdu
from queue_server.outbox.channels.base import (
    Inbound,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from queue_server.outbox.channels.gsm_modem import GsmModemChannel, ModemSettings
from queue_server.outbox.standins.virtual_modem import VirtualModem
from tests.support.waiting import until

CALLED = "Mời Ông/Bà có số A012 đến quầy số 5."


def outgoing(text: str = CALLED, to: str = "84912345678", key: str = "k1") -> Outgoing:
    return Outgoing(id=1, key=key, channel="modem", to=to, kind="called", lang="vi", text=text)


@pytest.fixture
async def modem(tmp_path):
    device = VirtualModem(tmp_path / "ttyUSB-modem")
    device.plug()
    yield device
    device.close()


@pytest.fixture
def inbox() -> list[Inbound]:
    return []


@pytest.fixture
async def channel(modem, inbox):
    settings = ModemSettings(
        port=str(modem.path), command_timeout=5, send_timeout=5, reconnect_min=0.05
    )
    ch = GsmModemChannel("modem", settings)
    await ch.start(_into(inbox))
    await until(ch.connected.is_set, what="the modem to be initialised")
    yield ch
    await ch.close()


async def test_the_dialogue_sets_pdu_mode_and_sends_vietnamese_as_ucs2(modem, channel):
    result = await channel.send(outgoing())
    assert modem.commands[:5] == ["AT", "ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,0,0"]
    assert modem.messages() == [("84912345678", CALLED)]
    assert modem.sent[0].decoded.encoding == "ucs2"
    assert result.segments == 1 and result.provider_id == str(modem.sent[0].reference)


async def test_a_long_message_goes_as_concatenated_parts(modem, channel):
    text = "Còn 3 người trước Ông/Bà. " * 4  # 104 characters: two UCS-2 parts
    result = await channel.send(outgoing(text))
    assert result.segments == 2
    assert [p.decoded.concat[1:] for p in modem.sent] == [(2, 1), (2, 2)]
    assert modem.messages() == [("84912345678", text)]


async def test_unaccented_config_sends_gsm7(modem, tmp_path):
    settings = ModemSettings(port=str(modem.path), unaccented=True, command_timeout=5)
    ch = GsmModemChannel("modem", settings)
    await ch.start(None)
    try:
        await until(ch.connected.is_set, what="the modem to be initialised")
        await ch.send(outgoing())
    finally:
        await ch.close()
    assert modem.messages() == [("84912345678", "Moi Ong/Ba co so A012 den quay so 5.")]
    assert modem.sent[0].decoded.encoding == "gsm7"


async def test_a_cms_error_for_the_number_is_permanent(modem, channel):
    modem.refuse["84912345678"] = 1  # unassigned number
    with pytest.raises(PermanentFailure, match=r"\+CMS ERROR: 1"):
        await channel.send(outgoing())
    assert modem.sent == []


async def test_a_network_cms_error_is_temporary_and_the_next_send_goes(modem, channel):
    modem.fail_next.append(331)  # no network service
    with pytest.raises(TemporaryFailure, match="331"):
        await channel.send(outgoing())
    await channel.send(outgoing())
    assert len(modem.messages()) == 1


async def test_no_answer_is_a_temporary_failure_and_the_modem_is_usable_after(modem, tmp_path):
    modem.silent_on_pdu = True
    ch = GsmModemChannel("modem", ModemSettings(port=str(modem.path), send_timeout=0.5))
    await ch.start(None)
    try:
        await until(ch.connected.is_set, what="the modem to be initialised")
        with pytest.raises(TemporaryFailure, match="did not answer"):
            await ch.send(outgoing())
        modem.silent_on_pdu = False
        await ch.send(outgoing(key="k2"))
    finally:
        await ch.close()
    assert len(modem.messages()) == 1


async def test_unplugged_mid_message_is_temporary_then_it_reconnects(modem, channel):
    modem.unplug_on_pdu = True
    with pytest.raises(TemporaryFailure, match="disconnected"):
        await channel.send(outgoing())
    with pytest.raises(TemporaryFailure):  # while unplugged, at once
        await channel.send(outgoing())
    modem.unplug_on_pdu = False
    modem.replug()
    await until(channel.connected.is_set, what="the channel to reconnect")
    await channel.send(outgoing())
    assert modem.messages() == [("84912345678", CALLED)]


async def test_an_incoming_text_is_read_deleted_and_handed_over(modem, channel, inbox):
    [index] = modem.inject("84987654321", "STT A012")
    await until(lambda: inbox, what="the incoming text")
    assert inbox[0].channel == "modem"
    assert (inbox[0].sender, inbox[0].text) == ("84987654321", "STT A012")
    assert f"AT+CMGR={index}" in modem.commands and f"AT+CMGD={index}" in modem.commands
    await until(lambda: not modem.stored, what="the message deleted from the SIM")


async def test_an_incoming_vietnamese_text_from_a_national_number(modem, channel, inbox):
    modem.inject("0987654321", "Số A012 còn bao lâu?")
    await until(lambda: inbox, what="the incoming text")
    assert (inbox[0].sender, inbox[0].text) == ("84987654321", "Số A012 còn bao lâu?")


async def test_a_long_incoming_text_is_joined_from_its_parts(modem, channel, inbox):
    text = "Cho tôi hỏi số A012 của Ông/Bà Nguyễn Văn An còn bao lâu nữa thì đến lượt ạ?"
    assert len(modem.inject("0987654321", text)) == 2
    await until(lambda: inbox, what="the joined text")
    assert [m.text for m in inbox] == [text]
    await until(lambda: not modem.stored, what="both parts deleted from the SIM")


async def test_texts_stored_while_disconnected_are_read_at_connect(modem, inbox):
    [modem.stored[3]] = pdu.encode_deliver("84987654321", "STT B001", _when())
    ch = GsmModemChannel("modem", ModemSettings(port=str(modem.path)))
    await ch.start(_into(inbox))
    try:
        await until(lambda: inbox, what="the stored text")
    finally:
        await ch.close()
    assert inbox[0].text == "STT B001" and modem.stored == {}


def _into(inbox):
    async def received(message: Inbound) -> None:
        inbox.append(message)

    return received


def _when() -> dt.datetime:
    return dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
