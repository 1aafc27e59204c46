"""SIGKILL between the commit and the send: the message is sent after the restart,
exactly once. A real server process, killed for real; the gateway stand-in counts."""

from __future__ import annotations

import json

from queue_server.outbox.standins.sms_gateway import SmsGateway
from tests.support.messaging import gateway_channel, outbox_rows, sample_config_with
from tests.support.servers import KIOSK_TOKEN, ServerProcess, free_port, peer
from tests.support.waiting import until


def section(url: str) -> str:
    channel = gateway_channel(url)
    fields = ", ".join(f"{k} = {json.dumps(v)}" for k, v in channel.pop("fields").items())
    keys = "\n".join(f"{k} = {json.dumps(v)}" for k, v in channel.items())
    return (
        '[messaging]\nenabled = true\nroute = { phone = "sms" }\n'
        "retry_seconds = 0.05\nretry_max_seconds = 0.2\nmax_attempts = 50\n\n"
        f"[messaging.channels.sms]\n{keys}\nfields = {{ {fields} }}\n"
    )


async def test_a_message_committed_before_a_kill_is_sent_once_after_the_restart(tmp_path):
    port = free_port()  # the gateway's: nothing listens there until after the kill
    config = sample_config_with(
        tmp_path / "site.toml", section(f"http://127.0.0.1:{port}/api/send")
    )
    db = tmp_path / "q.db"
    server = ServerProcess(db, config=config)
    gateway = SmsGateway()
    try:
        server.start()
        kiosk = await peer(server.base, "kiosk", KIOSK_TOKEN)
        ticket = (await kiosk.request("issue", service="cap-giay-chung-nhan", request_id="r1"))[
            "ticket"
        ]
        answer = await kiosk.request(
            "notify_me", ticket=ticket["public_id"], phone="0912345678", consent=True
        )
        assert answer["ok"]  # answered after the commit: the message is on disk with it
        await until(
            lambda: outbox_rows(db, "attempts > 0"), what="a send tried (gateway still down)"
        )
        server.kill()
        await kiosk.close()
        (row,) = outbox_rows(db)
        assert row["state"] == "queued" and row["kind"] == "near"

        await gateway.start(port=port)
        server.start()
        await until(lambda: outbox_rows(db, "state = 'sent'"), what="the message sent")
        server.stop()
        server.start()  # and once more: nothing is sent again
        kiosk = await peer(server.base, "kiosk", KIOSK_TOKEN)
        await kiosk.request("issue", service="cap-giay-chung-nhan", request_id="r2")  # a sync point
        await kiosk.close()
        assert len(gateway.delivered) == 1 and gateway.requests == 1
        assert gateway.delivered[0].key == row["key"]
        assert ticket["number"] in gateway.delivered[0].text
    finally:
        server.kill()
        await gateway.close()
