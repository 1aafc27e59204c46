"""A look-up texted to the centre's GSM modem: the real server, the real modem channel,
the virtual modem on a pseudo-terminal; the answer goes back through the modem."""

from __future__ import annotations

import pytest

from queue_server.outbox.standins.virtual_modem import VirtualModem
from tests.support.messaging import messaging_site, outbox_rows
from tests.support.servers import peer, running_server
from tests.support.siteconfig import SMALL_SITE_KIOSK
from tests.support.waiting import until


@pytest.fixture
async def modem(tmp_path):
    device = VirtualModem(tmp_path / "ttyUSB-modem")
    device.plug()
    yield device
    device.close()


async def test_stt_texted_to_the_modem_is_answered_through_it(tmp_path, modem):
    channel = {"type": "gsm_modem", "port": str(modem.path), "reconnect_min": 0.05}
    config = messaging_site({"modem": channel}, route={"phone": "modem"})
    async with running_server(tmp_path / "q.db", config) as (base, _):
        kiosk = await peer(base, "kiosk", SMALL_SITE_KIOSK)
        for i in range(3):
            await kiosk.request("issue", service="ket-hon", request_id=f"r{i}")
        await until(lambda: "AT+CNMI=2,1,0,0,0" in modem.commands, what="the modem set up")
        modem.inject("84912345678", "STT b003")
        await until(modem.messages, what="the answer")
        assert modem.messages() == [
            ("84912345678", "Số B003 (Đăng ký kết hôn): đang chờ, còn 2 người trước Ông/Bà.")
        ]
        modem.inject("84987654321", "không biết")
        await until(lambda: len(modem.messages()) == 2, what="the help text")
        assert modem.messages()[1][0] == "84987654321"
        assert modem.messages()[1][1].startswith("Không tìm thấy mã này.")
        await until(lambda: len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 2)
        rows = outbox_rows(tmp_path / "q.db")
        assert {(r["kind"], r["channel"]) for r in rows} == {("lookup_reply", "modem")}
        assert not modem.stored  # read and deleted from the SIM
        await kiosk.close()
