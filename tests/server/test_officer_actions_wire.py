"""The officer's further requests over a real websocket: who may send them, and the
refusals in the server's words (the console tests drive the happy paths by keys)."""

from __future__ import annotations

import uuid

from tests.support.clock import FakeClock
from tests.support.servers import KIOSK_TOKEN, add_officer, login, peer, running_server
from tests.support.siteconfig import WEDNESDAY_9AM

LAND = "bien-dong-dat-dai"  # counter 5's service


async def test_refusals_and_roles_of_the_new_counter_requests(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM)
    async with running_server(tmp_path / "q.db", clock=clock) as (base, server):
        await add_officer(server, "an")
        kiosk = await peer(base, "kiosk", KIOSK_TOKEN)
        officer = await peer(base, "counter", await login(base, "an"), counter=5)
        try:
            land = await kiosk.request("issue", service=LAND, request_id=str(uuid.uuid4()))
            birth = await kiosk.request(
                "issue", service="khai-sinh-khai-tu", request_id=str(uuid.uuid4())
            )
            other = birth["ticket"]["number"]
            # a kiosk may not call, park or look up
            for kind, fields in (("call_number", {"number": other}), ("lookup", {"number": "x"})):
                answer = await kiosk.request(kind, **fields)
                assert answer["error"]["code"] == "forbidden"
            answer = await officer.request("call_number", number=other)
            assert answer["error"]["code"] == "other_service"
            assert answer["error"]["message"] == "Số này thuộc dịch vụ mà quầy không phục vụ."
            answer = await officer.request("lookup", number="Z999")
            assert answer["error"]["message"] == "Hôm nay không có số thứ tự này."
            # any ticket of the day may be looked up, even one this counter does not serve
            found = (await officer.request("lookup", number=other.lower()))["ticket"]
            assert found["number"] == other and found["status"] == "waiting"
            assert [step["type"] for step in found["history"]] == ["ticket_issued"]
            # nothing to park; a resume of a ticket not held here
            assert (await officer.request("hold"))["error"]["code"] == "nothing_called"
            number = land["ticket"]["number"]
            answer = await officer.request("resume_held", number=number)
            assert answer["error"]["code"] == "not_held"
            # a requeue of a ticket that was never a no-show
            answer = await officer.request("requeue", number=number)
            assert answer["error"]["code"] == "invalid_transition"
            # "back in 20 minutes": the counter's view says when
            paused = await officer.request("pause", reason="hop", minutes=20)
            assert paused["counter"]["back_at"] == clock.now + 20 * 60
            answer = await officer.request("pause", reason="hop", minutes="soon")
            assert answer["error"]["code"] == "bad_request"
        finally:
            await kiosk.close()
            await officer.close()
