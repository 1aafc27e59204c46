"""Inbound SMS from a gateway's webhook: who may post, and which fields say what.

A gateway channel with `inbound_secret` set accepts texts posted to the server's
`/api/sms/inbound`. The secret travels in a header (`inbound_secret_header`,
default "X-Webhook-Secret"); the sender and the text in the fields the provider
uses (`inbound_sender_field`, `inbound_text_field`, default "from" and "text").
A wrong secret is `unauthorized`, missing fields `bad_request`, a sender that is
not a Vietnamese mobile `bad_phone`: the edge answers with the code, nothing else
happens.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.domain.booking import normalize_phone
from queue_server.outbox.channels.base import Inbound
from vntext import nfc

MAX_INBOUND_TEXT = 480  # three parts' worth; a lookup is a few words


@dataclass(frozen=True)
class WebhookSettings:
    secret: str
    secret_header: str = "X-Webhook-Secret"
    sender_field: str = "from"
    text_field: str = "text"


def international(phone: str) -> str:
    """A Vietnamese mobile number as the providers want it: 84 + 9 digits."""
    return "84" + normalize_phone(phone)[1:]


def parse_inbound(
    hooks: Mapping[str, WebhookSettings],
    headers: Mapping[str, str],
    fields: Mapping[str, Any],
    now: float,
) -> Inbound:
    """The inbound text a webhook call carries, for the channel whose secret it bears.

    `hooks` maps channel name → its webhook settings; `headers` must look names up
    case-insensitively (aiohttp's `request.headers` does); `fields` is the JSON
    object or the form posted.
    """
    channel = _caller(hooks, headers)
    hook = hooks[channel]
    sender, text = fields.get(hook.sender_field), fields.get(hook.text_field)
    if not isinstance(sender, str) or not isinstance(text, str):
        raise QueueError("bad_request", f"{hook.sender_field} and {hook.text_field} expected")
    if len(text) > MAX_INBOUND_TEXT:
        raise QueueError("bad_request", "text too long")
    return Inbound(
        channel=channel, sender=international(sender), text=nfc(text.strip()), received_at=now
    )


def _caller(hooks: Mapping[str, WebhookSettings], headers: Mapping[str, str]) -> str:
    """The channel whose secret the call bears (compared in constant time)."""
    for channel, hook in hooks.items():
        offered = headers.get(hook.secret_header, "")
        if offered and hmac.compare_digest(offered.encode(), hook.secret.encode()):
            return channel
    raise QueueError("unauthorized", "webhook secret")
