"""Sites that send messages to citizens through the channel stand-ins, and reading the
outbox as it is on disk."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from assets import SAMPLE_CONFIG
from queue_server.domain.config import SiteConfig
from tests.support.booking import BOOKING
from tests.support.siteconfig import small_site

WEBHOOK_SECRET = "gateway-webhook-secret-0123"
POLICY: dict[str, Any] = {
    "route": {"phone": "sms"},
    "public_url": "https://xephang.example.vn",
    "retry_seconds": 0.05,  # the back-off's base: tests wait for the retries
    "retry_max_seconds": 0.2,
    "max_attempts": 5,
}


def gateway_channel(url: str, **keys: Any) -> dict[str, Any]:
    """`[messaging.channels.<name>]` for the HTTP gateway stand-in (`standins.sms_gateway`)."""
    return {
        "type": "http_sms",
        "url": url,
        "fields": {
            "ApiKey": "test-api-key",
            "Phone": "{to}",
            "Content": "{text}",
            "IsUnicode": "{unicode}",
            "Brandname": "TTHCC-BD",
            "RequestId": "{key}",
        },
        "success_path": "CodeResult",
        "success_value": "100",
        "id_path": "SMSID",
        "timeout": 5,
        "inbound_secret": WEBHOOK_SECRET,
        "rate_per_second": 1000,
        **keys,
    }


def messaging_site(channels: dict[str, Any], **policy: Any) -> SiteConfig:
    """The small site taking bookings and sending messages through `channels`."""
    return small_site(booking=BOOKING, messaging=POLICY | {"channels": channels} | policy)


def sample_config_with(path: Path, section: str) -> Path:
    """The sample site's file with its `[messaging]` section replaced by `section`
    (a child server process reads a file)."""
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    text, found = re.subn(
        r"\n\[messaging\]\n.*?(?=\n# Device tokens)", "\n" + section, text, flags=re.S
    )
    assert found == 1, "the sample config's [messaging] section moved"
    # files the sample names relative to itself (the procedure catalogue) stay found
    text = re.sub(
        r'^(catalogue = )"([^"/]+)"',
        lambda m: f'{m.group(1)}"{(SAMPLE_CONFIG.parent / m.group(2)).as_posix()}"',
        text,
        flags=re.M,
    )
    path.write_text(text, encoding="utf-8")
    return path


def outbox_rows(db: Path, where: str = "1", *args: Any) -> list[dict[str, Any]]:
    """The outbox as the file holds it (a connection of its own, as a reader)."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r) for r in conn.execute(f"SELECT * FROM outbox WHERE {where} ORDER BY id", args)
        ]
    finally:
        conn.close()
