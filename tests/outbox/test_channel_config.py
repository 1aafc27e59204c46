"""`[messaging.channels.*]` → adapters: each type builds, and every mistake names its key."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from queue_server.domain.config import ConfigError
from queue_server.outbox.channels.base import Outgoing
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.dryrun import DryRunChannel
from queue_server.outbox.channels.gsm_modem import GsmModemChannel
from queue_server.outbox.channels.http_sms import HttpSmsChannel
from queue_server.outbox.channels.smtp import SmtpChannel
from queue_server.outbox.channels.zalo import ZaloChannel

SAMPLE = """
[modem]
type = "gsm_modem"
port = "/dev/serial/by-id/usb-Quectel_EC25-if02-port0"
baudrate = 115200
unaccented = true
rate_per_second = 0.2

[sms]
type = "http_sms"
url = "https://sms.example.vn/api/send"
fields = { Phone = "{to}", Content = "{text}", IsUnicode = "{unicode}", RequestId = "{key}" }
success_path = "CodeResult"
success_value = "100"
id_path = "SMSID"
inbound_secret = "a-long-shared-secret-0123"

[zalo]
type = "zalo"
app_id = "1234567890"
secret_key = "s"
token_file = "var/zalo-tokens.json"
templates = { called = "301001" }

[email]
type = "smtp"
host = "mail.binhduong.gov.vn"
sender = "thongbao@hcc.binhduong.gov.vn"

[demo]
type = "dryrun"
path = "var/messages.jsonl"
"""


def test_each_type_builds_its_adapter_with_its_pace():
    channels = build_channels(tomllib.loads(SAMPLE), "site.toml")
    assert [type(c) for c in channels.values()] == [
        GsmModemChannel,
        HttpSmsChannel,
        ZaloChannel,
        SmtpChannel,
        DryRunChannel,
    ]
    modem = channels["modem"]
    assert (modem.name, modem.concurrency, modem.rate_per_second) == ("modem", 1, 0.2)
    sms = channels["sms"]
    assert isinstance(sms, HttpSmsChannel) and sms.settings.webhook is not None
    email = channels["email"]
    assert isinstance(email, SmtpChannel) and email.settings.port == 587


def with_change(channel: str, **changes: object) -> dict:
    table = tomllib.loads(SAMPLE)
    for key, value in changes.items():
        if value is None:
            table[channel].pop(key)
        else:
            table[channel][key] = value
    return table


@pytest.mark.parametrize(
    ("channel", "changes", "key", "problem"),
    [
        ("sms", {"type": "pigeon"}, "sms.type", "must be one of"),
        ("sms", {"url": None}, "sms.url", "required"),
        ("sms", {"url": "sms.example.vn"}, "sms.url", "http:// or https://"),
        ("sms", {"method": "PUT"}, "sms.method", "must be one of"),
        ("sms", {"method": "GET", "body": "json"}, "sms.body", "query"),
        ("sms", {"fields": {"Phone": "{phone}"}}, "sms.fields.Phone", "unknown placeholder"),
        ("sms", {"fields": {"Phone": "{to"}}, "sms.fields.Phone", "bad placeholder"),
        ("sms", {"success_path": None}, "sms.success_value", "needs success_path"),
        ("sms", {"inbound_secret": "short"}, "sms.inbound_secret", "16 characters"),
        ("sms", {"timeout": 0}, "sms.timeout", "greater than 0"),
        ("sms", {"rate_per_second": "fast"}, "sms.rate_per_second", "number"),
        ("sms", {"concurrency": 0}, "sms.concurrency", "whole number"),
        ("sms", {"urll": "https://x"}, "sms.urll", "unknown key"),
        ("modem", {"port": None}, "modem.port", "required"),
        ("modem", {"pin": "12"}, "modem.pin", "4 to 8 digits"),
        ("modem", {"unaccented": "yes"}, "modem.unaccented", "true or false"),
        ("modem", {"reconnect_max": 0.5}, "modem.reconnect_max", "reconnect_min"),
        ("zalo", {"token_file": None}, "zalo.token_file", "required"),
        ("zalo", {"templates": {"callled": "1"}}, "zalo.templates.callled", "message kind"),
        ("zalo", {"templates": {"called": 301001}}, "zalo.templates.called", "wrong type"),
        ("email", {"sender": "thongbao"}, "email.sender", "e-mail address"),
        ("email", {"security": "ssl"}, "email.security", "must be one of"),
        ("email", {"username": "u"}, "email.password", "go together"),
        ("demo", {"path": None}, "demo.path", "required"),
    ],
)
def test_a_mistake_names_its_key(channel, changes, key, problem):
    with pytest.raises(ConfigError, match=problem) as caught:
        build_channels(with_change(channel, **changes), "site.toml")
    assert caught.value.key == f"messaging.channels.{key}"
    assert caught.value.source == "site.toml"


def test_a_channel_that_is_not_a_table():
    with pytest.raises(ConfigError) as caught:
        build_channels({"sms": "https://sms.example.vn"}, "site.toml")
    assert caught.value.key == "messaging.channels.sms"


async def test_the_dry_run_channel_writes_one_json_line_per_message(tmp_path):
    path = tmp_path / "out" / "messages.jsonl"
    [channel] = build_channels({"demo": {"type": "dryrun", "path": str(path)}}, "x").values()
    await channel.start(None)
    text = "Mời Ông/Bà có số A012 đến quầy số 5."
    for n in (1, 2):
        message = Outgoing(n, f"k{n}", "demo", "84912345678", "called", "vi", text)
        result = await channel.send(message)
    await channel.close()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["key"], line["text"], line["segments"]) for line in lines] == [
        ("k1", text, 1),
        ("k2", text, 1),
    ]
    assert lines[0]["encoding"] == "ucs2" and result.segments == 1


def test_the_samples_in_the_operations_guide_build():
    """docs/operations.md shows one table per channel type; each must be valid."""
    guide = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("### Channels", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    tables = tomllib.loads("\n".join(blocks))["messaging"]["channels"]
    channels = build_channels(tables, "docs/operations.md")
    assert {type(c).__name__ for c in channels.values()} == {
        "GsmModemChannel",
        "HttpSmsChannel",
        "ZaloChannel",
        "SmtpChannel",
        "DryRunChannel",
    }
