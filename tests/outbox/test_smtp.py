"""The e-mail channel against a real SMTP server (aiosmtpd) on loopback, with STARTTLS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from queue_server.outbox.channels.base import Outgoing, PermanentFailure, TemporaryFailure
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.smtp import SmtpChannel
from tests.support.servers import free_port

SUBJECT = "Xác nhận đặt lịch — Trung tâm Hành chính công"
BODY = "Ông/Bà đã đặt lịch lúc 08:30 ngày 04/12/2026. Mã đặt lịch: K7M2Q9PX."


class Mailbox:
    """Keeps what it accepts; `refuse` answers RCPT with a given reply instead."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.hold_data = False
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold_data:
            await asyncio.sleep(1.5)  # longer than the client waits (0.5 s)
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 Message accepted"


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mailbox(ca, tmp_path):
    box = Mailbox()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    box.port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, tls_context=tls, require_starttls=True
    )
    controller.start()
    yield box
    controller.stop()


async def channel_for(mailbox: Mailbox, ca: trustme.CA, tmp_path, **extra: object) -> SmtpChannel:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    table = {
        "type": "smtp",
        "host": "127.0.0.1",
        "port": mailbox.port,
        "sender": "thongbao@hcc.binhduong.gov.vn",
        "sender_name": "Trung tâm Hành chính công",
        "security": "starttls",
        "ca_file": str(ca_file),
        "timeout": 5,
        **extra,
    }
    channel = build_channels({"email": table}, "site.toml")["email"]
    assert isinstance(channel, SmtpChannel)
    await channel.start(None)
    return channel


def outgoing(to: str = "nguyen.van.an@example.vn") -> Outgoing:
    return Outgoing(
        id=7, key="bk-7-made", channel="email", to=to, kind="booking_made", lang="vi",
        text=BODY, subject=SUBJECT,
    )  # fmt: skip


async def test_a_vietnamese_mail_arrives_over_starttls(mailbox, ca, tmp_path):
    channel = await channel_for(mailbox, ca, tmp_path)
    result = await channel.send(outgoing())
    [mail] = mailbox.received
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "Trung tâm Hành chính công"
    assert mail.get_content().strip() == BODY
    assert mail["Message-ID"] == result.provider_id == "<bk-7-made@hcc.binhduong.gov.vn>"


async def test_implicit_tls_on_its_own_port(ca, tmp_path):
    box = Mailbox()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, ssl_context=tls)
    controller.start()
    try:
        channel = await channel_for(box, ca, tmp_path, security="tls")
        await channel.send(outgoing())
    finally:
        controller.stop()
    assert [m["Subject"] for m in box.received] == [SUBJECT]


async def test_without_starttls_the_server_refuses_and_it_is_temporary(mailbox, ca, tmp_path):
    channel = await channel_for(mailbox, ca, tmp_path, security="none")
    with pytest.raises(TemporaryFailure, match="530"):
        await channel.send(outgoing())
    assert mailbox.received == []


async def test_a_5xx_for_the_recipient_is_permanent(mailbox, ca, tmp_path):
    mailbox.refuse["khong.co@example.vn"] = "550 5.1.1 No such user"
    channel = await channel_for(mailbox, ca, tmp_path)
    with pytest.raises(PermanentFailure, match="No such user"):
        await channel.send(outgoing("khong.co@example.vn"))


async def test_a_4xx_for_the_recipient_is_temporary(mailbox, ca, tmp_path):
    mailbox.refuse["ban@example.vn"] = "450 4.2.1 Mailbox busy, try later"
    channel = await channel_for(mailbox, ca, tmp_path)
    with pytest.raises(TemporaryFailure, match="Mailbox busy"):
        await channel.send(outgoing("ban@example.vn"))


async def test_an_address_that_is_not_one_is_permanent_and_nothing_is_sent(mailbox, ca, tmp_path):
    channel = await channel_for(mailbox, ca, tmp_path)
    with pytest.raises(PermanentFailure, match="not an e-mail address"):
        await channel.send(outgoing("0912345678"))
    assert mailbox.received == []


async def test_a_server_that_does_not_answer_in_time_is_temporary(mailbox, ca, tmp_path):
    mailbox.hold_data = True
    channel = await channel_for(mailbox, ca, tmp_path, timeout=0.5)
    with pytest.raises(TemporaryFailure, match="timeout"):
        await channel.send(outgoing())


async def test_nobody_listening_is_temporary(ca, tmp_path):
    box = Mailbox()
    box.port = free_port()  # nothing listens there
    channel = await channel_for(box, ca, tmp_path)
    with pytest.raises(TemporaryFailure):
        await channel.send(outgoing())
