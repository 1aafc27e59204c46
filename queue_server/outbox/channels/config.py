"""`[messaging.channels.<name>]` of the site config → the channel adapters.

Each table names its `type` ("http_sms", "gsm_modem", "zalo", "smtp", "dryrun") and
that type's keys; every table may set `concurrency` (sends at once) and
`rate_per_second` (the provider's limit). A wrong or unknown key is a `ConfigError`
naming it ("messaging.channels.sms.url: …"), so a typo never silently means a default.
Paths (`token_file`, `path`, `ca_file`) are taken as written, relative to the
server's working directory.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from queue_server.domain.config import ConfigError
from queue_server.outbox.channels.base import Channel
from queue_server.outbox.channels.dryrun import DryRunChannel
from queue_server.outbox.channels.gsm_modem import GsmModemChannel, ModemSettings
from queue_server.outbox.channels.http_sms import PLACEHOLDERS, HttpSmsChannel, HttpSmsSettings
from queue_server.outbox.channels.smtp import SmtpChannel, SmtpSettings
from queue_server.outbox.channels.webhook import WebhookSettings
from queue_server.outbox.channels.zalo import OAUTH_URL, SEND_URL, ZaloChannel, ZaloSettings

KINDS = (
    "booking_made",
    "reminder_day",
    "reminder_hour",
    "near",
    "called",
    "booking_cancelled",
    "rate_link",
    "lookup_reply",
)


class _Keys:
    """One channel's table, read key by key; what was never read is an unknown key."""

    def __init__(self, source: str, prefix: str, table: Mapping[str, Any]) -> None:
        self.source, self.prefix, self.table = source, prefix, table
        self.read: set[str] = set()

    def error(self, key: str, problem: str, vi: str = "") -> ConfigError:
        """`problem` in English; `vi` the same in Vietnamese for the admin screen (the
        English one is shown where there is none)."""
        return ConfigError(self.source, f"{self.prefix}.{key}", problem, vi)

    def get(self, key: str) -> Any:
        self.read.add(key)
        return self.table.get(key)

    def text(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.get(key)
        if value is None:
            if default is None:
                raise self.error(key, "required", "chưa điền")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string", "phải là chữ, không để trống")
        if choices and value not in choices:
            raise self.error(
                key,
                f"must be one of {', '.join(choices)}, not {value!r}",
                f"phải là một trong {', '.join(choices)}, không phải {value!r}",
            )
        return value

    def optional(self, key: str) -> str | None:
        return None if self.get(key) is None else self.text(key)

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise self.error(
                key, f"must be a number greater than {minimum:g}", f"phải là số lớn hơn {minimum:g}"
            )
        return float(value)

    def whole(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(
                key, f"must be a whole number ≥ {minimum}", f"phải là số nguyên ≥ {minimum}"
            )
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false", "phải là có hoặc không")
        return value

    def table_of(self, key: str, kinds: tuple[type, ...] = (str,)) -> dict[str, Any]:
        value = self.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table", "phải là một bảng")
        for name, item in value.items():
            if isinstance(item, bool) and bool not in kinds or not isinstance(item, kinds):
                raise self.error(
                    f"{key}.{name}", "has a value of the wrong type", "sai kiểu giá trị"
                )
        return dict(value)

    def url(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if not value.startswith(("http://", "https://")):
            raise self.error(
                key,
                "must start with http:// or https://",
                "phải bắt đầu bằng http:// hoặc https://",
            )
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.read)
        if unknown:
            raise self.error(unknown[0], "unknown key", "không có khoá này")


def _http_sms(name: str, keys: _Keys) -> HttpSmsChannel:
    method = keys.text("method", "POST", ("POST", "GET"))
    body = keys.text("body", "json" if method == "POST" else "query", ("json", "form", "query"))
    if method == "GET" and body != "query":
        raise keys.error("body", 'a GET request carries its fields as "query"')
    fields = keys.table_of("fields", (str, int, float, bool))
    headers = keys.table_of("headers")
    for group, table in (("fields", fields), ("headers", headers)):
        for field_name, template in table.items():
            _check_placeholders(keys, f"{group}.{field_name}", template)
    success_path = keys.optional("success_path")
    success_value = keys.optional("success_value")
    if success_value is not None and success_path is None:
        raise keys.error("success_value", "needs success_path")
    temporary = keys.get("temporary_values") or []
    if not isinstance(temporary, list) or not all(isinstance(v, str | int) for v in temporary):
        raise keys.error("temporary_values", "must be a list of strings")
    secret = keys.optional("inbound_secret")
    webhook = None
    if secret is not None:
        if len(secret) < 16:
            raise keys.error("inbound_secret", "must be at least 16 characters")
        webhook = WebhookSettings(
            secret=secret,
            secret_header=keys.text("inbound_secret_header", "X-Webhook-Secret"),
            sender_field=keys.text("inbound_sender_field", "from"),
            text_field=keys.text("inbound_text_field", "text"),
        )
    settings = HttpSmsSettings(
        url=keys.url("url"),
        method=method,
        headers=headers,
        body=body,
        fields=fields,
        success_path=success_path,
        success_value=success_value,
        temporary_values=tuple(str(v) for v in temporary),
        id_path=keys.optional("id_path"),
        key_header=keys.optional("key_header"),
        unaccented=keys.flag("unaccented", False),
        timeout=keys.number("timeout", 10.0),
        webhook=webhook,
    )
    return HttpSmsChannel(name, settings, *_pace(keys, 4, 10.0))


def _check_placeholders(keys: _Keys, key: str, template: Any) -> None:
    if not isinstance(template, str):
        return
    try:
        names = [n for _, n, _, _ in string.Formatter().parse(template) if n is not None]
    except ValueError as exc:
        raise keys.error(key, f"bad placeholder: {exc}") from exc
    for placeholder in names:
        if placeholder not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise keys.error(key, f"unknown placeholder {{{placeholder}}} (known: {known})")


def _gsm_modem(name: str, keys: _Keys) -> GsmModemChannel:
    pin = keys.optional("pin")
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise keys.error("pin", "must be 4 to 8 digits")
    settings = ModemSettings(
        port=keys.text("port"),
        baudrate=keys.whole("baudrate", 115200, 300),
        pin=pin,
        unaccented=keys.flag("unaccented", False),
        command_timeout=keys.number("command_timeout", 10.0),
        send_timeout=keys.number("send_timeout", 60.0),
        reconnect_min=keys.number("reconnect_min", 1.0),
        reconnect_max=keys.number("reconnect_max", 60.0),
    )
    if settings.reconnect_max < settings.reconnect_min:
        raise keys.error("reconnect_max", "must not be less than reconnect_min")
    return GsmModemChannel(name, settings, *_pace(keys, 1, 0.2))


def _zalo(name: str, keys: _Keys) -> ZaloChannel:
    templates = keys.table_of("templates")
    for kind in templates:
        if kind not in KINDS:
            raise keys.error(f"templates.{kind}", f"not a message kind ({', '.join(KINDS)})")
    temporary = keys.get("temporary_errors")
    if temporary is not None and not (
        isinstance(temporary, list) and all(isinstance(v, int) for v in temporary)
    ):
        raise keys.error("temporary_errors", "must be a list of whole numbers")
    settings = ZaloSettings(
        app_id=keys.text("app_id"),
        secret_key=keys.text("secret_key"),
        token_file=Path(keys.text("token_file")),
        templates=templates,
        refresh_token=keys.optional("refresh_token") or "",
        access_token=keys.optional("access_token") or "",
        api_url=keys.url("api_url", SEND_URL),
        oauth_url=keys.url("oauth_url", OAUTH_URL),
        temporary_errors=tuple(temporary) if temporary is not None else (-32, -144),
        ca_file=keys.optional("ca_file"),
        timeout=keys.number("timeout", 15.0),
    )
    return ZaloChannel(name, settings, *_pace(keys, 4, 10.0))


def _smtp(name: str, keys: _Keys) -> SmtpChannel:
    security = keys.text("security", "starttls", ("starttls", "tls", "none"))
    sender = keys.text("sender")
    if "@" not in sender:
        raise keys.error("sender", "must be an e-mail address")
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    settings = SmtpSettings(
        host=keys.text("host"),
        port=keys.whole("port", default_port),
        sender=sender,
        sender_name=keys.optional("sender_name") or "",
        username=keys.optional("username"),
        password=keys.optional("password"),
        security=security,
        ca_file=keys.optional("ca_file"),
        timeout=keys.number("timeout", 20.0),
    )
    if (settings.username is None) != (settings.password is None):
        raise keys.error("password", "username and password go together")
    return SmtpChannel(name, settings, *_pace(keys, 2, 5.0))


def _dryrun(name: str, keys: _Keys) -> DryRunChannel:
    return DryRunChannel(name, Path(keys.text("path")), *_pace(keys, 1, 100.0))


def _pace(keys: _Keys, concurrency: int, rate: float) -> tuple[int, float]:
    return keys.whole("concurrency", concurrency), keys.number("rate_per_second", rate)


BUILDERS: dict[str, Callable[[str, _Keys], Channel]] = {
    "http_sms": _http_sms,
    "gsm_modem": _gsm_modem,
    "zalo": _zalo,
    "smtp": _smtp,
    "dryrun": _dryrun,
}


def build_channels(table: Mapping[str, Any], source: str) -> dict[str, Channel]:
    """One adapter per `[messaging.channels.<name>]` table; ConfigError naming the key."""
    channels: dict[str, Channel] = {}
    for name, entry in table.items():
        prefix = f"messaging.channels.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(source, prefix, "must be a table")
        keys = _Keys(source, prefix, entry)
        kind = keys.text("type", choices=tuple(BUILDERS))
        channels[name] = BUILDERS[kind](name, keys)
        keys.finish()
    return channels
