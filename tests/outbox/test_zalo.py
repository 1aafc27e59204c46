"""The Zalo ZNS channel against the HTTPS stand-in (a private CA, real TLS on loopback)."""

from __future__ import annotations

import json
import stat

import pytest

from queue_server.outbox.channels.base import Outgoing, PermanentFailure, TemporaryFailure
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.zalo import ZaloChannel
from queue_server.outbox.standins.zalo_zns import ZaloZns

PARAMS = {"ma_so": "A012", "quay": "5"}


def outgoing(kind: str = "called", to: str = "84912345678", key: str = "k1") -> Outgoing:
    return Outgoing(
        id=1, key=key, channel="zalo", to=to, kind=kind, lang="vi", text="…", params=PARAMS
    )


@pytest.fixture
async def zns(tmp_path):
    api = ZaloZns()
    await api.start(tmp_path)
    yield api
    await api.close()


async def channel_for(zns: ZaloZns, tmp_path, **extra: object) -> ZaloChannel:
    table = {
        "type": "zalo",
        "app_id": zns.app_id,
        "secret_key": zns.secret_key,
        "refresh_token": "refresh-1",
        "access_token": "access-1",
        "token_file": str(tmp_path / "zalo-tokens.json"),
        "api_url": f"{zns.url}/message/template",
        "oauth_url": f"{zns.url}/v4/oa/access_token",
        "ca_file": str(zns.ca_file),
        "templates": {"called": "301001", "near": "301002", "booking_made": "999999"},
        **extra,
    }
    channel = build_channels({"zalo": table}, "site.toml")["zalo"]
    assert isinstance(channel, ZaloChannel)
    await channel.start(None)
    return channel


async def test_a_template_message_goes_with_its_parameters_over_https(zns, tmp_path):
    channel = await channel_for(zns, tmp_path)
    try:
        result = await channel.send(outgoing())
    finally:
        await channel.close()
    [sent] = zns.sent
    assert (sent.phone, sent.template_id, sent.template_data) == ("84912345678", "301001", PARAMS)
    assert sent.tracking_id == "k1" and result.provider_id == sent.msg_id


async def test_an_expired_token_is_refreshed_once_and_the_new_pair_kept(zns, tmp_path):
    channel = await channel_for(zns, tmp_path)
    zns.expire_access()
    try:
        await channel.send(outgoing())
        await channel.send(outgoing(key="k2"))
    finally:
        await channel.close()
    assert zns.refreshes == 1 and len(zns.sent) == 2
    stored = tmp_path / "zalo-tokens.json"
    assert json.loads(stored.read_text())["refresh_token"] == zns.refresh_token == "refresh-2"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    # A restart reads the pair on file, not the spent one of the config.
    zns.expire_access()
    again = await channel_for(zns, tmp_path)
    try:
        await again.send(outgoing(key="k3"))
    finally:
        await again.close()
    assert zns.refreshes == 2 and len(zns.sent) == 3


async def test_a_refused_refresh_is_temporary(zns, tmp_path):
    channel = await channel_for(zns, tmp_path, refresh_token="spent")
    zns.expire_access()
    try:
        with pytest.raises(TemporaryFailure, match="refresh failed"):
            await channel.send(outgoing())
    finally:
        await channel.close()
    assert zns.sent == []


async def test_a_bad_phone_or_template_is_permanent(zns, tmp_path):
    channel = await channel_for(zns, tmp_path)
    try:
        with pytest.raises(PermanentFailure, match="-108"):
            await channel.send(outgoing(to="0912345678"))
        with pytest.raises(PermanentFailure, match="-1124"):
            await channel.send(outgoing(kind="booking_made"))
        with pytest.raises(PermanentFailure, match="no Zalo template for rate_link"):
            await channel.send(outgoing(kind="rate_link"))
    finally:
        await channel.close()
    assert zns.sent == []


async def test_a_500_is_temporary(zns, tmp_path):
    zns.fail_times = 1
    channel = await channel_for(zns, tmp_path)
    try:
        with pytest.raises(TemporaryFailure, match="HTTP 500"):
            await channel.send(outgoing())
        await channel.send(outgoing())
    finally:
        await channel.close()
    assert len(zns.sent) == 1


async def test_a_server_we_do_not_trust_is_not_sent_to(zns, tmp_path):
    channel = await channel_for(zns, tmp_path, ca_file=None)
    try:
        with pytest.raises(TemporaryFailure, match="unreachable"):
            await channel.send(outgoing())
    finally:
        await channel.close()
    assert zns.sent == []


async def test_no_answer_in_time_is_temporary(zns, tmp_path):
    zns.hang_times = 1
    channel = await channel_for(zns, tmp_path, timeout=0.3)
    try:
        with pytest.raises(TemporaryFailure, match="timeout"):
            await channel.send(outgoing())
        await channel.send(outgoing())
    finally:
        await channel.close()
    assert len(zns.sent) == 1
