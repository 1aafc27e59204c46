"""A message is written as its template key and parameters and rendered when it is sent:
the text the citizen gets is the catalogue's, in their language, folded for SMS when
the site says so; a row written with its text (before templates were stored, or a
texted look-up's reply) is sent as stored; a row the catalogue cannot render fails
with its reason and holds up no other.

Real parts: a real SQLite store, the writer's composer building the rows, the real
sender and the real dry-run channel writing its file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from queue_server.core.metrics import Metrics
from queue_server.core.store import INSERT_OUTBOX, Store
from queue_server.domain.config import SiteConfig
from queue_server.domain.notify import Notice
from queue_server.outbox import catalogue, sms
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.compose import Composer
from queue_server.outbox.sender import Sender
from tests.support.messaging import messaging_site, outbox_rows
from tests.support.waiting import until

BOOKED = {
    "code": "BD7K2M",
    "service": "Đăng ký khai sinh",
    "date": "05/12/2026",
    "time": "09:30",
    "place": "Trung tâm Hành chính công thử nghiệm",
}


def site(tmp_path: Path, unaccented: bool = False) -> SiteConfig:
    channel = {"type": "dryrun", "path": str(tmp_path / "messages.jsonl"), "rate_per_second": 1000}
    return messaging_site({"dryrun": channel}, route={"phone": "dryrun"}, unaccented=unaccented)


def notice(key: str, kind: str, lang: str, params: dict[str, str], to: str = "0912345678"):
    return Notice(key, kind, "dryrun", to, lang, params, "2026-12-05", 0.0)


async def send_all(db: Path, config: SiteConfig, rows: list[tuple]) -> list[dict]:
    """Write `rows` to the outbox, let the sender drain it; the dry-run file's lines."""
    store = await Store.open(db)
    await store.write(lambda conn: INSERT_OUTBOX.run(conn, rows))
    channels = build_channels(config.messaging.channels_table, "test")
    sender = Sender(store, channels, config.messaging, Metrics())
    await sender.start(None)
    sender.wake()
    try:
        await until(lambda: not outbox_rows(db, "state = 'queued'"), what="the outbox drained")
    finally:
        await sender.stop()
        await store.close()
    path = Path(config.messaging.channels_table["dryrun"]["path"])
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("unaccented", [False, True])
async def test_texts_are_rendered_when_sent_in_the_citizens_language(tmp_path, unaccented):
    config = site(tmp_path, unaccented)
    composer = Composer(config)
    notices = [
        notice("called:1", "called", "vi", {"number": "A012", "counter": "5"}),
        notice("called:2", "called", "en", {"number": "A013", "counter": "5"}),
        notice("near:3", "near", "en", {"number": "A014", "ahead": "0"}),  # "you are next"
        notice(
            "booking_made:BD7K2M", "booking_made", "vi", BOOKED | {"cancel_link": "https://x.vn/h"}
        ),
        notice("reminder_day:BD7K2M", "reminder_day", "vi", BOOKED),
    ]
    rows = [composer.row(n, time.time()) for n in notices]
    # The writer's path renders nothing: the rows carry the template key and parameters.
    assert [(r[2], r[5], r[6]) for r in rows] == [(n.kind, None, None) for n in notices]
    lines = await send_all(tmp_path / "q.db", config, rows)

    def expected(n: Notice) -> str:
        return sms.sms_text(catalogue.render(n.kind, n.lang, n.params), unaccented)

    by_key = {line["key"]: line for line in lines}
    assert {key: line["text"] for key, line in by_key.items()} == {
        n.key: expected(n) for n in notices
    }
    assert by_key["called:2"]["text"] == "Number A013, please go to counter 5."
    assert by_key["called:1"]["text"] == (
        "Moi Ong/Ba co so A012 den quay so 5."
        if unaccented
        else "Mời Ông/Bà có số A012 đến quầy số 5."
    )
    assert by_key["near:3"]["text"].startswith("Number A014: you are next.")
    # The SMS parts counted from the text as rendered, kept with the row once sent.
    stored = {r["key"]: r for r in outbox_rows(tmp_path / "q.db")}
    for key, line in by_key.items():
        assert stored[key]["state"] == "sent"
        assert stored[key]["segments"] == sms.segments(line["text"])[0] == line["segments"]
        assert stored[key]["text"] is None  # not written back: rendered again when shown


async def test_a_row_written_with_its_text_is_sent_as_stored(tmp_path):
    config = site(tmp_path)
    composer = Composer(config)
    now = time.time()
    old = (
        "booking_made:OLD001", "dryrun", "booking_made", "an@example.vn", "vi",
        "Văn bản đã lưu trước khi có mẫu.", "Chủ đề đã lưu", '{"code":"OLD001"}',
        "2026-12-05", "OLD001", None, now, now,
    )  # fmt: skip
    reply = (
        "lookup:dryrun:84912345678:1.0", "dryrun", "lookup_reply", "84912345678", "vi",
        "Số A012: đã kết thúc lượt phục vụ.", None, "{}", "2026-12-05", None, None, now, now,
    )  # fmt: skip
    params = BOOKED | {"code": "NEW001", "cancel_link": ""}
    mail = composer.row(
        notice("booking_made:NEW001", "booking_made", "en", params, to="ba@x.vn"), now
    )
    lines = {
        line["key"]: line for line in await send_all(tmp_path / "q.db", config, [old, reply, mail])
    }
    assert (lines["booking_made:OLD001"]["text"], lines["booking_made:OLD001"]["subject"]) == (
        "Văn bản đã lưu trước khi có mẫu.",
        "Chủ đề đã lưu",
    )
    assert lines["lookup:dryrun:84912345678:1.0"]["text"] == "Số A012: đã kết thúc lượt phục vụ."
    # An e-mail stored as its template gets its subject rendered too, in its language.
    assert lines["booking_made:NEW001"]["subject"] == "Booking NEW001 confirmed"
    assert lines["booking_made:NEW001"]["text"].startswith(
        "Trung tâm Hành chính công thử nghiệm: you booked Đăng ký khai sinh at 09:30"
    )
    assert lines["booking_made:NEW001"]["to"] == "ba@x.vn"


async def test_a_row_the_catalogue_cannot_render_fails_alone_with_its_reason(tmp_path):
    config = site(tmp_path)
    composer = Composer(config)
    now = time.time()
    rows = [
        composer.row(notice("called:1", "called", "vi", {"number": "A001", "counter": "1"}), now),
        composer.row(notice("gone:2", "a_template_since_removed", "vi", {}), now),
        composer.row(notice("called:3", "called", "vi", {"number": "A003"}), now),  # no counter
        composer.row(notice("called:4", "called", "vi", {"number": "A004", "counter": "2"}), now),
    ]
    lines = await send_all(tmp_path / "q.db", config, rows)
    assert sorted(line["key"] for line in lines) == ["called:1", "called:4"]
    states = {r["key"]: (r["state"], r["reason"] or "") for r in outbox_rows(tmp_path / "q.db")}
    assert states["called:1"] == states["called:4"] == ("sent", "")
    for key in ("gone:2", "called:3"):
        state, reason = states[key]
        assert state == "failed" and reason.startswith("cannot render"), states[key]
