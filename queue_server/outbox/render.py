"""A message's words, rendered when it is sent (or shown), not when it is written.

The writer stores a message as its template key (`kind`) and parameters only
(`compose`): fewer bytes in the durable commit that issuing waits on, and no
rendering on the writer's path. The sender renders each message as its channel's
lane sends it, the supervisors' view as it shows it — from the catalogue, in the
citizen's language, SMS folded as the channel and the site's `unaccented` say (the
settings in force when it is sent).

A row that carries its text (written before the templates were stored, or a texted
look-up's reply, whose words are not a catalogue template) is sent as it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queue_protocol.codec import loads
from queue_server.domain.config import MessagingConfig
from queue_server.outbox import catalogue, sms

SMS_TYPES = frozenset({"http_sms", "gsm_modem", "dryrun"})


def text(
    policy: MessagingConfig, channel: str, text_id: str, lang: str, params: Mapping[str, Any]
) -> str:
    """A catalogue text as `channel` sends it (SMS folded when the site says so)."""
    words = catalogue.render(text_id, lang, params)
    kind = policy.channels_table.get(channel, {}).get("type")
    if kind in SMS_TYPES:
        words = sms.sms_text(words, policy.unaccented)
    return words


def message(
    policy: MessagingConfig,
    channel: str,
    kind: str,
    recipient: str,
    lang: str,
    stored_text: str | None,
    stored_subject: str | None,
    params_json: str | None,
) -> tuple[str, str | None, dict[str, Any]]:
    """(text, e-mail subject, parameters) of an outbox row: its stored text if it has
    one, else rendered from the catalogue (the subject only for an e-mail address)."""
    params = loads(params_json) if params_json else {}
    if stored_text is not None:
        return stored_text, stored_subject, params
    subject = catalogue.subject(kind, lang, params) if "@" in recipient else None
    return text(policy, channel, kind, lang, params), subject, params
