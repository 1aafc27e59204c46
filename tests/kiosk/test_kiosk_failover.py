"""A kiosk given two server addresses (issue 19: the active server and its standby) goes
on issuing on the second when the first dies, and a tap whose answer was lost on the
first gets that first answer from the second (the same request id), not a second
ticket. The two servers share one SQLite file and never run at once: a standby that
takes over the database of the one that died."""

from __future__ import annotations

import pytest

from kiosk.__main__ import server_setting
from kiosk.config import load_kiosk_file
from kiosk.model import Page
from printer.errors import ConfigError
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.servers import CuttableLink, InProcessServer
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)


async def test_the_kiosk_issues_on_the_second_address_when_the_first_dies(tmp_path, vp):
    db = tmp_path / "q.db"
    first, second = InProcessServer(db), InProcessServer(db)
    await first.start()
    link = CuttableLink(first.port)  # to lose the first server's answer on the way
    await link.start()
    try:
        async with running_kiosk(
            f"{link.base},{second.base}", vp, issue_retry_seconds=20.0
        ) as kiosk:
            await kiosk.take_ticket(BIRTH)
            assert kiosk.ticket is not None and kiosk.ticket.number == "D001"
            assert kiosk.server_base == link.base

            link.mute()  # the next tap reaches the first server; its answer never comes
            tap = kiosk.take_ticket(BIRTH)
            assert tap is not None
            await until(lambda: len(first.tickets()) == 2, what="the second tap applied")
            request_id = kiosk._intent.request_id if kiosk._intent else None
            await first.stop()  # the first server dies with that answer unsent
            link.cut()
            await second.start()  # the standby takes over the same database
            await tap
            assert kiosk.screen is Page.TICKET and kiosk.ticket is not None
            assert kiosk.ticket.number == "D002"  # the first answer, not a new number
            assert [t.number for t in second.tickets()] == ["D001", "D002"]
            assert second.tickets()[1].request_id == request_id
            assert kiosk.server_base == second.base  # links now name the server in use

            await kiosk.take_ticket(BIRTH)
            assert kiosk.ticket is not None and kiosk.ticket.number == "D003"
            assert len(await vp.wait_for_jobs(3)) == 3
    finally:
        await link.stop()
        await first.stop()
        await second.stop()


def test_the_kiosk_file_may_name_the_servers(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[printer]\nconnection = "dummy"\n[kiosk]\n'
        'servers = ["http://10.0.0.5:8765", "http://10.0.0.6:8765"]\n'
    )
    _, settings = load_kiosk_file(path)
    assert settings.servers == ("http://10.0.0.5:8765", "http://10.0.0.6:8765")
    both = "http://10.0.0.5:8765,http://10.0.0.6:8765"
    assert server_setting(None, settings.servers) == both
    assert server_setting("http://10.0.0.7:8765", settings.servers) == "http://10.0.0.7:8765"
    with pytest.raises(ValueError, match="--server"):
        server_setting(None, ())
    path.write_text('[printer]\nconnection = "dummy"\n[kiosk]\nservers = ["ftp://10.0.0.5"]\n')
    with pytest.raises(ConfigError, match=r"\[kiosk\] 'servers': 'ftp://10.0.0.5'"):
        load_kiosk_file(path)
