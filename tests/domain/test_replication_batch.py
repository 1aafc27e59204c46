"""What the province server accepts from a site: the batch format, refused clearly when
wrong (pure: no server, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain.replication import MAX_EVENTS, parse_batch, site_meta
from queue_server.domain.report import satisfied_ratings
from tests.support.siteconfig import small_site

DAY = '{"type": "day_started"}'


def body(**change) -> dict:
    good = {
        "schema": 1,
        "site": "xa-a",
        "after": 4,
        "head": 6,
        "sent_at": 1.0,
        "events": [
            [5, "2026-03-02", 10.0, "day_started", DAY],
            [6, "2026-03-02", 9.0, "ticket_issued", DAY],
        ],
    }
    return good | change


def refusal(data: dict) -> QueueError:
    with pytest.raises(QueueError) as caught:
        parse_batch(data)
    return caught.value


def test_a_good_batch_keeps_the_sites_order_not_its_clock() -> None:
    batch = parse_batch(body())
    assert [e[0] for e in batch.events] == [5, 6]  # 6 is earlier by the clock: kept after 5
    assert batch.events[0][1] == dt.date(2026, 3, 2) and batch.after == 4


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"schema": 2}, "unsupported_schema", "schema 2 is not one of [1]"),
        ({"schema": None}, "unsupported_schema", "schema None"),
        (
            {"events": [[5, "2026-03-02", 1.0, "teleported", DAY]]},
            "unsupported_schema",
            "teleported",
        ),
        ({"site": ""}, "bad_request", "site"),
        ({"after": "4"}, "bad_request", "after"),
        ({"after": True}, "bad_request", "after"),
        ({"events": [[4, "2026-03-02", 1.0, "day_started", DAY]]}, "bad_request", "rise after 4"),
        (
            {"events": [[6, "2026-03-02", 1.0, "day_started", DAY]] * 2},
            "bad_request",
            "rise after 6",
        ),
        ({"events": [[5, "2.3.2026", 1.0, "day_started", DAY]]}, "bad_request", "YYYY-MM-DD"),
        ({"events": [[5, "2026-03-02", "now", "day_started", DAY]]}, "bad_request", "at a number"),
        ({"events": [[5, "2026-03-02", 1.0, "day_started", {}]]}, "bad_request", "JSON text"),
        ({"events": [[5, "2026-03-02"]]}, "bad_request", "[id, day, at, type, data]"),
        (
            {"events": [[5, "2026-03-02", 1.0, "day_started", DAY]] * (MAX_EVENTS + 1)},
            "bad_request",
            "at most",
        ),
        ({"meta": []}, "bad_request", "meta"),
    ],
)
def test_a_bad_batch_is_refused_saying_what_is_wrong(change: dict, code: str, words: str) -> None:
    err = refusal(body(**change))
    assert err.code == code
    assert words in (err.detail or "")


def test_the_site_meta_carries_the_site_reports_satisfied_ratings() -> None:
    config = small_site()
    meta = site_meta(config)
    assert meta["satisfied"] == sorted(satisfied_ratings(config))
    assert set(meta["services"]) == set(config.services)
