"""The HTTP SMS gateway channel, built from its config, against the gateway stand-in."""

from __future__ import annotations

import tomllib

import pytest

from queue_server.outbox.channels.base import Outgoing, PermanentFailure, TemporaryFailure
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.http_sms import HttpSmsChannel
from queue_server.outbox.standins.sms_gateway import SmsGateway

CALLED = "Mời Ông/Bà có số A012 đến quầy số 5."

CONFIG = """
[sms]
type = "http_sms"
url = "{url}"
method = "{method}"
body = "{body}"
temporary_values = ["99"]
success_path = "CodeResult"
success_value = "100"
id_path = "SMSID"
key_header = "Idempotency-Key"
unaccented = {unaccented}
timeout = {timeout}
rate_per_second = 20

[sms.fields]
ApiKey = "test-api-key"
Phone = "{{to}}"
Content = "{{text}}"
IsUnicode = "{{unicode}}"
Brandname = "TTHCC"
"""  # the idempotency key goes in the header only, so deduplication proves it is sent


def outgoing(text: str = CALLED, to: str = "84912345678", key: str = "k1") -> Outgoing:
    return Outgoing(id=1, key=key, channel="sms", to=to, kind="called", lang="vi", text=text)


@pytest.fixture
async def gateway():
    gw = SmsGateway()
    await gw.start()
    yield gw
    await gw.close()


async def channel_for(
    gateway: SmsGateway, body: str = "json", unaccented: bool = False, timeout: float = 5
) -> HttpSmsChannel:
    method = "GET" if body == "query" else "POST"
    text = CONFIG.format(
        url=gateway.url,
        method=method,
        body=body,
        unaccented=str(unaccented).lower(),
        timeout=timeout,
    )
    channel = build_channels(tomllib.loads(text), "site.toml")["sms"]
    assert isinstance(channel, HttpSmsChannel)
    await channel.start(None)
    return channel


@pytest.mark.parametrize("body", ["json", "form", "query"])
async def test_vietnamese_goes_as_unicode_and_the_provider_id_comes_back(gateway, body):
    channel = await channel_for(gateway, body)
    try:
        result = await channel.send(outgoing())
    finally:
        await channel.close()
    [sent] = gateway.delivered
    assert (sent.phone, sent.text, sent.unicode, sent.key) == ("84912345678", CALLED, True, "k1")
    assert result.provider_id == sent.sms_id and result.segments == 1
    assert channel.rate_per_second == 20


async def test_unaccented_config_sends_gsm7_text(gateway):
    channel = await channel_for(gateway, unaccented=True)
    try:
        await channel.send(outgoing())
    finally:
        await channel.close()
    [sent] = gateway.delivered
    assert (sent.text, sent.unicode) == ("Moi Ong/Ba co so A012 den quay so 5.", False)


async def test_500_is_temporary_and_the_retry_with_the_same_key_sends_once(gateway):
    gateway.fail_times = 3
    channel = await channel_for(gateway)
    try:
        for _ in range(3):
            with pytest.raises(TemporaryFailure, match="HTTP 500"):
                await channel.send(outgoing())
        first = await channel.send(outgoing())
        again = await channel.send(outgoing())  # a restart resending the same row
    finally:
        await channel.close()
    assert len(gateway.delivered) == 1 and gateway.requests == 5
    assert first.provider_id == again.provider_id


async def test_a_4xx_is_permanent_with_the_providers_words(gateway):
    channel = await channel_for(gateway)
    try:
        with pytest.raises(PermanentFailure, match=r"HTTP 400.*Phone number is invalid"):
            await channel.send(outgoing(to="1202555010"))  # not a Vietnamese mobile
    finally:
        await channel.close()
    assert gateway.delivered == []


async def test_a_refusal_inside_a_200_is_permanent(gateway):
    gateway.answer_code = "103"
    channel = await channel_for(gateway)
    try:
        with pytest.raises(PermanentFailure, match="CodeResult = 103"):
            await channel.send(outgoing())
    finally:
        await channel.close()


async def test_a_refusal_the_config_calls_temporary_is_retried(gateway):
    gateway.answer_code = "99"
    channel = await channel_for(gateway)
    try:
        with pytest.raises(TemporaryFailure, match="CodeResult = 99"):
            await channel.send(outgoing())
        gateway.answer_code = "100"
        await channel.send(outgoing())
    finally:
        await channel.close()
    assert len(gateway.delivered) == 1


async def test_a_timeout_is_temporary(gateway):
    gateway.hang_times, gateway.hang_seconds = 1, 5
    channel = await channel_for(gateway, timeout=0.3)
    try:
        with pytest.raises(TemporaryFailure, match="timeout"):
            await channel.send(outgoing())
        await channel.send(outgoing())
    finally:
        await channel.close()
    assert len(gateway.delivered) == 1


async def test_a_gateway_that_is_down_is_temporary(gateway):
    channel = await channel_for(gateway)
    await gateway.close()
    try:
        with pytest.raises(TemporaryFailure, match="unreachable"):
            await channel.send(outgoing())
    finally:
        await channel.close()
