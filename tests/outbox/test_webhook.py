"""The gateway webhook parser: the shared secret, the field mapping, the refusals."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from queue_protocol.errors import QueueError
from queue_server.outbox.channels.webhook import WebhookSettings, parse_inbound

HOOKS = {
    "sms": WebhookSettings(secret="a-long-shared-secret-0123"),
    "sms2": WebhookSettings(
        secret="another-secret-4567890", secret_header="X-Api-Key", sender_field="msisdn",
        text_field="message",
    ),
}  # fmt: skip


def headers(**items: str) -> CIMultiDict[str]:
    return CIMultiDict({k.replace("_", "-"): v for k, v in items.items()})


def test_a_text_is_read_for_the_channel_whose_secret_it_bears():
    one = parse_inbound(
        HOOKS,
        headers(x_webhook_secret="a-long-shared-secret-0123"),
        {"from": "0912 345 678", "text": " STT A012 "},
        now=5.0,
    )
    assert (one.channel, one.sender, one.text) == ("sms", "84912345678", "STT A012")
    assert one.received_at == 5.0
    two = parse_inbound(
        HOOKS,
        headers(x_api_key="another-secret-4567890"),
        {"msisdn": "+84987654321", "message": "K7M2Q9PX"},
        now=6.0,
    )
    assert (two.channel, two.sender) == ("sms2", "84987654321")


@pytest.mark.parametrize(
    ("head", "fields", "code"),
    [
        ({}, {"from": "0912345678", "text": "STT A1"}, "unauthorized"),
        ({"x_webhook_secret": "wrong"}, {"from": "0912345678", "text": "STT A1"}, "unauthorized"),
        ({"x_webhook_secret": "a-long-shared-secret-0123"}, {"text": "STT A1"}, "bad_request"),
        (
            {"x_webhook_secret": "a-long-shared-secret-0123"},
            {"from": "0912345678", "text": 5},
            "bad_request",
        ),
        (
            {"x_webhook_secret": "a-long-shared-secret-0123"},
            {"from": "12025550100", "text": "STT"},
            "bad_phone",
        ),
        (
            {"x_webhook_secret": "a-long-shared-secret-0123"},
            {"from": "0912345678", "text": "x" * 481},
            "bad_request",
        ),
    ],
)
def test_refusals(head, fields, code):
    with pytest.raises(QueueError) as caught:
        parse_inbound(HOOKS, headers(**head), fields, now=1.0)
    assert caught.value.code == code
