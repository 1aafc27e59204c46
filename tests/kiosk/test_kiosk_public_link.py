"""The QR on a slip opens on a phone on mobile data: it holds the site's `public_url`
(from the server's welcome), not the kiosk's `--server` address; the server warns at
start when that address is missing or this machine's loopback."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from queue_server.domain.config import public_url_warning
from tests.printer.test_printer_roundtrip import zbar
from tests.support.kiosk import BIRTH, running_kiosk
from tests.support.servers import InProcessServer, sample_site

PUBLIC = "https://xephang.binhduong.gov.vn"


def with_public_url(config, url: str):
    return dataclasses.replace(config, site=dataclasses.replace(config.site, public_url=url))


async def test_the_slips_qr_holds_the_public_address(tmp_path, vp, caplog):
    config = with_public_url(sample_site(tmp_path), PUBLIC)
    with caplog.at_level(logging.WARNING, logger="queue_server.app"):
        async with (
            InProcessServer(tmp_path / "q.db", config) as server,
            running_kiosk(server.base, vp) as kiosk,  # its --server is http://127.0.0.1:…
        ):
            await kiosk.take_ticket(BIRTH)
            (job,) = await vp.wait_for_jobs(1)
            public_id = next(iter(server.server.state.tickets.values())).public_id
    assert zbar(job.path) == f"{PUBLIC}/t/{public_id}"
    assert not [r for r in caplog.records if "public_url" in r.getMessage()]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "is not set"),
        ("http://127.0.0.1:8765", "loopback"),
        ("http://localhost", "loopback"),
        ("http://xephang.binhduong.gov.vn", "not HTTPS"),
    ],
)
async def test_start_up_warns_when_phones_could_not_open_the_links(tmp_path, caplog, url, words):
    config = with_public_url(sample_site(tmp_path), url)
    assert words in (public_url_warning(config) or "")
    with caplog.at_level(logging.WARNING, logger="queue_server.app"):
        async with InProcessServer(tmp_path / "q.db", config):
            pass
    assert any(words in r.getMessage() for r in caplog.records)


def test_an_older_messaging_public_url_still_counts_for_the_whole_site():
    from tests.support.siteconfig import small_site

    config = small_site(messaging={"public_url": PUBLIC + "/"})
    assert config.site.public_url == config.messaging.public_url == PUBLIC
    assert public_url_warning(config) is None
