"""The shipper's lag on the site's own /metrics (the supervisor sees the province link
down): events not acknowledged, seconds since the last acknowledgement, failing and
the last error — through a real cut of the link to a real province server on real
PostgreSQL. And a shipper given a bad site configuration or database stops at once
with one clear line and code 2."""

from __future__ import annotations

import math
import subprocess
import sys
import uuid

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from assets import SAMPLE_CONFIG
from queue_server.domain.replication import site_meta
from queue_server.replication.shipper import Shipper
from tests.support import ROOT
from tests.support.province import shipping, site_head
from tests.support.servers import KIOSK_TOKEN, CuttableLink, InProcessServer, peer
from tests.support.waiting import until


async def _metrics(base: str) -> dict[str, float | str]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as resp:
        text = await resp.text()
    out: dict[str, float | str] = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("xephang_shipper"):
            for sample in family.samples:
                out[sample.name] = sample.value
                if "error" in sample.labels:
                    out["error_label"] = sample.labels["error"]
    return out


async def _issue(kiosk) -> None:
    answer = await kiosk.request("issue", service="ket-hon", request_id=uuid.uuid4().hex)
    assert answer["ok"], answer


async def test_the_lag_and_a_link_down_show_on_the_sites_metrics(central, tmp_path):
    token = await central.add_site("trung-tam")
    link = CuttableLink(central.port)
    await link.start()
    async with InProcessServer(tmp_path / "site.db") as site:
        before = await _metrics(site.base)  # no shipper yet: nothing known, not "0 lag"
        assert math.isnan(before["xephang_shipper_unacknowledged_events"])
        kiosk = await peer(site.base, "kiosk", KIOSK_TOKEN)
        shipper = Shipper(site.db, link.base, "trung-tam", token, site_meta(site.server.config))
        async with shipping(shipper):
            for _ in range(3):
                await _issue(kiosk)

            async def caught_up() -> bool:
                m = await _metrics(site.base)
                return m.get("xephang_shipper_unacknowledged_events") == 0

            await until(caught_up, what="the lag at 0 on /metrics")
            m = await _metrics(site.base)
            assert m["xephang_shipper_failing"] == 0
            assert 0 <= m["xephang_shipper_seconds_since_ack"] < 60
            assert "error_label" not in m

            link.cut()
            for _ in range(10):  # the site goes on issuing
                await _issue(kiosk)

            async def seen_down() -> bool:
                m = await _metrics(site.base)
                return m.get("xephang_shipper_failing") == 1

            await until(seen_down, timeout=30, what="the link down on /metrics")
            m = await _metrics(site.base)
            assert m["xephang_shipper_unacknowledged_events"] >= 10
            assert m["xephang_shipper_last_error"] == 1 and m["error_label"]
            first = m["xephang_shipper_seconds_since_ack"]

            async def growing() -> bool:  # the seconds since the last acknowledgement
                later = await _metrics(site.base)
                return later["xephang_shipper_seconds_since_ack"] > first + 1

            await until(growing, what="the seconds since the last ack growing")

            link.restore()
            shipper.wake()
            await until(caught_up, timeout=30, what="caught up again on /metrics")
            m = await _metrics(site.base)
            assert m["xephang_shipper_failing"] == 0
            assert shipper.status.acked == site_head(site.db)
        await kiosk.close()
    await link.stop()


def _ship(tmp_path, config: str, db: str) -> subprocess.CompletedProcess:
    token = tmp_path / "token"
    token.write_text("t" * 20, encoding="utf-8")
    argv = [
        sys.executable, "-m", "queue_server", "ship", "--db", db, "--config", config,
        "--central", "http://127.0.0.1:9", "--site", "xa", "--token-file", str(token),
    ]  # fmt: skip
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_bad_config_or_database_stops_the_shipper_with_code_2(tmp_path):
    site_db = tmp_path / "site.db"
    site_db.write_bytes(b"")  # exists, but no site log in it
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nname = ", encoding="utf-8")
    unreadable = tmp_path / "folder.toml"
    unreadable.mkdir()
    for config, db, says in (
        (str(bad), str(site_db), "is not valid TOML"),
        (str(unreadable), str(site_db), "cannot be read"),
        (str(tmp_path / "none.toml"), str(site_db), "cannot be read"),
        (str(SAMPLE_CONFIG), str(site_db), "not a site database"),
        (str(SAMPLE_CONFIG), str(tmp_path / "none.db"), "no database"),
    ):
        done = _ship(tmp_path, config, db)
        assert done.returncode == 2, (config, db, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        assert says in lines[0], lines[0]
