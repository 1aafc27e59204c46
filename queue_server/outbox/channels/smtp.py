"""E-mail over SMTP (aiosmtplib): STARTTLS or implicit TLS, UTF-8 Vietnamese text.

The subject is RFC 2047-encoded and the body sent as UTF-8 by the standard `email`
package. The Message-ID is made from the idempotency key, so a receiving system that
deduplicates on it sees a resend after a restart as the same message.

Outcomes: a 4xx reply (greylisting, mailbox busy), a timeout, a lost connection or a
refused login or a "530 STARTTLS first" (the site's account or settings, not the
citizen's address: `SITE_CODES`) → TemporaryFailure;
a 5xx reply for the message or its recipient, or an address that is not one →
PermanentFailure.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from queue_server.outbox.channels.base import (
    Inbound,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)

# 5xx replies about the site's own account or TLS setting, not the message: every
# message would fail alike, so they wait (temporary) until an operator fixes the config.
SITE_CODES = frozenset({530, 534, 535, 538})
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = ""  # the From address
    sender_name: str = ""  # shown name, e.g. "Trung tâm Hành chính công"
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # starttls | tls | none
    ca_file: str | None = None  # a private CA (tests, an internal relay)
    timeout: float = 20.0


class SmtpChannel:
    def __init__(
        self, name: str, settings: SmtpSettings, concurrency: int = 2, rate_per_second: float = 5.0
    ) -> None:
        self.name = name
        self.settings = settings
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second
        self._tls: ssl.SSLContext | None = None

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        if self.settings.security != "none":
            self._tls = ssl.create_default_context(cafile=self.settings.ca_file)

    async def close(self) -> None:
        return None

    def compose(self, message: Outgoing) -> EmailMessage:
        """The e-mail of `message` (UTF-8, subject encoded, Message-ID from its key)."""
        if not _ADDRESS.fullmatch(message.to):
            raise PermanentFailure(f"not an e-mail address: {message.to[:60]}")
        s = self.settings
        mail = EmailMessage()
        user, _, domain = s.sender.partition("@")
        mail["From"] = Address(display_name=s.sender_name, username=user, domain=domain)
        mail["To"] = message.to
        mail["Subject"] = message.subject or message.text.split("\n", 1)[0][:70]
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = f"<{message.key}@{domain or 'xephang.local'}>"
        mail.set_content(message.text, charset="utf-8")
        return mail

    async def send(self, message: Outgoing) -> SendResult:
        import aiosmtplib  # only where mail is configured (issue 18: idle memory)

        s = self.settings
        mail = self.compose(message)
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                tls_context=self._tls,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            raise _by_code(refused.code, f"recipient refused: {refused.message}") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"SMTP login refused: {exc.code}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, f"SMTP {exc.code}: {exc.message}") from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise TemporaryFailure("SMTP timeout") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"SMTP: {type(exc).__name__}: {exc}") from exc
        return SendResult(provider_id=str(mail["Message-ID"]))


def _by_code(code: int, reason: str) -> TemporaryFailure | PermanentFailure:
    if 500 <= code < 600 and code not in SITE_CODES:
        return PermanentFailure(reason[:200])
    return TemporaryFailure(reason[:200])
