"""Which channel a message takes: the policy's route per contact type and per kind,
through the real Zalo channel over HTTPS to the ZNS stand-in and the real HTTP gateway
channel; and the policy's configuration errors, each naming its key."""

from __future__ import annotations

import pytest

from queue_server.domain.config import ConfigError
from queue_server.outbox.standins.sms_gateway import SmsGateway
from queue_server.outbox.standins.zalo_zns import ZaloZns
from tests.support.messaging import gateway_channel, messaging_site, outbox_rows
from tests.support.servers import add_officer, login, peer, running_server
from tests.support.siteconfig import SMALL_SITE_KIOSK, small_site
from tests.support.waiting import until


async def test_the_call_goes_by_zalo_the_rest_by_sms(tmp_path):
    zns, gateway = ZaloZns(), SmsGateway()
    await zns.start(tmp_path)
    await gateway.start()
    zalo = {
        "type": "zalo",
        "app_id": zns.app_id,
        "secret_key": zns.secret_key,
        "refresh_token": "refresh-1",
        "access_token": "access-1",
        "token_file": str(tmp_path / "zalo-tokens.json"),
        "api_url": f"{zns.url}/message/template",
        "oauth_url": f"{zns.url}/v4/oa/access_token",
        "ca_file": str(zns.ca_file),
        "templates": {"called": "301001"},
    }
    config = messaging_site(
        {"sms": gateway_channel(gateway.url), "zalo": zalo},
        route={"phone": "sms", "called": {"phone": "zalo"}},
    )
    try:
        async with running_server(tmp_path / "q.db", config) as (base, srv):
            kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
            ticket = (await kiosk.request("issue", service="khai-sinh", request_id="r1"))["ticket"]
            await kiosk.request(
                "notify_me", ticket=ticket["public_id"], phone="0912345678", consent=True
            )
            await add_officer(srv, "an")
            counter = await peer(base, "counter", await login(base, "an"), counter=1)
            await counter.request("call_next")
            await until(lambda: zns.sent and gateway.delivered, what="both channels")
            await until(lambda: len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 2)
            for p in (kiosk, counter):
                await p.close()
        [call] = zns.sent
        assert (call.phone, call.template_id) == ("84912345678", "301001")
        assert call.template_data == {"number": "A001", "counter": "1"}
        assert [d.text for d in gateway.delivered] == [
            "Số A001: Ông/Bà là người tiếp theo. Mời Ông/Bà về khu vực chờ."
        ]
        rows = {r["kind"]: r["channel"] for r in outbox_rows(tmp_path / "q.db")}
        assert rows == {"near": "sms", "called": "zalo"}
    finally:
        await zns.close()
        await gateway.close()


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        ({"route": {"phone": "nowhere"}}, "messaging.route.phone"),
        ({"route": {"fax": "sms"}}, "messaging.route.fax"),
        ({"route": {"phone": "sms", "called": {"pager": "sms"}}}, "messaging.route.called.pager"),
        ({"kinds": ["booking_made", "spam"]}, "messaging.kinds"),
        ({"near_thresholds": [0, 3]}, "messaging.near_thresholds"),
        ({"default_near": 4}, "messaging.default_near"),
        ({"public_url": "xephang.vn"}, "messaging.public_url"),
        ({"unaccented": "yes"}, "messaging.unaccented"),
        ({"enabled": True, "route": {}}, "messaging.route"),
        ({"max_attempts": 0}, "messaging.max_attempts"),
    ],
)
def test_a_bad_policy_names_its_key(policy, key):
    with pytest.raises(ConfigError) as caught:
        messaging_site({"sms": gateway_channel("http://127.0.0.1:9/api/send")}, **policy)
    assert caught.value.key == key


def test_no_section_means_no_messages():
    policy = small_site().messaging
    assert not policy.enabled and policy.channel_for("called", "phone") is None
