"""The sender's lanes: messages go in batches (one append of the dry-run file per
batch, never more than the token bucket holds), a message of a batch that fails for
good fails alone, and the sender waits while the writer has commands to apply.

Real parts: a real SQLite store with rows in its outbox, the real dry-run channel
writing its file, the real HTTP gateway channel against the gateway stand-in.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from queue_protocol.codec import dumps_text
from queue_server.core.engine import Engine
from queue_server.core.metrics import Metrics
from queue_server.core.store import INSERT_OUTBOX, Store
from queue_server.domain import commands as c
from queue_server.domain.config import MessagingConfig
from queue_server.outbox import sender as sender_module
from queue_server.outbox.channels.base import ChannelError, Outgoing, PermanentFailure, SendResult
from queue_server.outbox.channels.config import build_channels
from queue_server.outbox.channels.dryrun import DryRunChannel
from queue_server.outbox.channels.http_sms import HttpSmsChannel
from queue_server.outbox.sender import Sender
from queue_server.outbox.standins.sms_gateway import SmsGateway
from tests.support.messaging import gateway_channel, outbox_rows
from tests.support.siteconfig import small_site
from tests.support.waiting import until

POLICY = MessagingConfig(enabled=True, retry_seconds=0.05, retry_max_seconds=0.2, max_attempts=3)


def row(n: int, channel: str, to: str = "84912345678") -> tuple:
    """An outbox row (`store.OUTBOX_COLUMNS`), due now."""
    now = time.time()
    text = f"Mời Ông/Bà có số A{n:03d} đến quầy số 1."
    params = {"number": f"A{n:03d}", "counter": "1"}
    return (f"called:{n}", channel, "called", to, "vi", text, None, dumps_text(params)) + (
        "2026-12-03",
        None,
        n,
        now,
        now,
    )


async def queue_rows(store: Store, rows: list[tuple]) -> None:
    await store.write(lambda conn: INSERT_OUTBOX.run(conn, rows))


class Appends(DryRunChannel):
    """The real dry-run channel, noting the size of each batch it was handed."""

    def __init__(self, path: Path, rate: float, refuse: str | None = None) -> None:
        super().__init__("dryrun", path, concurrency=1, rate_per_second=rate)
        self.batches: list[int] = []
        self.refuse = refuse  # a recipient it refuses for good, as a provider refuses a number

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | ChannelError]:
        self.batches.append(len(messages))
        good = [m for m in messages if m.to != self.refuse]
        done = iter(await super().send_batch(good))
        return [
            PermanentFailure("not a mobile number") if m.to == self.refuse else next(done)
            for m in messages
        ]


async def test_a_lane_sends_in_batches_no_bigger_than_its_bucket(tmp_path):
    store = await Store.open(tmp_path / "q.db")
    rate = 400.0  # a bucket of 400 × BATCH_SECONDS = 20
    channel = Appends(tmp_path / "messages.jsonl", rate)
    sender = Sender(store, {"dryrun": channel}, POLICY, Metrics())
    await queue_rows(store, [row(n, "dryrun") for n in range(100)])
    await sender.start(None)
    sender.wake()
    try:
        await until(lambda: len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 100)
    finally:
        await sender.stop()
        await store.close()
    size = int(rate * sender_module.BATCH_SECONDS)
    assert sum(channel.batches) == 100 and max(channel.batches) <= size
    assert len(channel.batches) <= 100 // size + 2  # in batches, not one by one
    lines = (tmp_path / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == sorted(
        f"called:{n}" for n in range(100)
    )  # each once


async def test_one_message_failing_for_good_does_not_fail_its_batch(tmp_path):
    store = await Store.open(tmp_path / "q.db")
    channel = Appends(tmp_path / "messages.jsonl", 1000.0, refuse="15551234567")
    sender = Sender(store, {"dryrun": channel}, POLICY, Metrics())
    rows = [row(n, "dryrun") for n in range(10)]
    rows[4] = row(4, "dryrun", to="15551234567")
    await queue_rows(store, rows)
    await sender.start(None)
    sender.wake()
    try:
        await until(lambda: not outbox_rows(tmp_path / "q.db", "state = 'queued'"))
    finally:
        await sender.stop()
        await store.close()
    assert channel.batches == [10]  # all ten in one batch
    states = {
        r["key"]: (r["state"], r["attempts"], r["reason"]) for r in outbox_rows(tmp_path / "q.db")
    }
    assert states.pop("called:4") == ("failed", 1, "not a mobile number")
    assert set(states.values()) == {("sent", 1, None)}


async def test_over_http_a_refused_number_fails_alone_and_is_not_retried(tmp_path):
    gateway = SmsGateway()
    await gateway.start()
    store = await Store.open(tmp_path / "q.db")
    channels = build_channels({"sms": gateway_channel(gateway.url, concurrency=4)}, "test")
    assert isinstance(channels["sms"], HttpSmsChannel)
    sender = Sender(store, channels, POLICY, Metrics())
    rows = [row(n, "sms") for n in range(12)]
    rows[5] = row(5, "sms", to="15551234567")  # the gateway answers 400 ("118")
    await queue_rows(store, rows)
    await sender.start(None)
    sender.wake()
    try:
        await until(lambda: not outbox_rows(tmp_path / "q.db", "state = 'queued'"))
    finally:
        await sender.stop()
        await store.close()
        await gateway.close()
    failed = outbox_rows(tmp_path / "q.db", "state = 'failed'")
    assert [(r["key"], r["attempts"]) for r in failed] == [("called:5", 1)]
    assert len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 11
    assert gateway.requests == 12 and len(gateway.delivered) == 11  # no retry of the refused one


async def test_the_sender_waits_while_the_writer_has_commands(tmp_path, monkeypatch):
    monkeypatch.setattr(sender_module, "MAX_YIELD_SECONDS", 600.0)
    store = await Store.open(tmp_path / "q.db")
    channel = Appends(tmp_path / "messages.jsonl", 1000.0)
    asked = 0
    writer_busy = True

    def busy() -> bool:
        nonlocal asked
        asked += 1
        return writer_busy

    sender = Sender(store, {"dryrun": channel}, POLICY, Metrics(), busy=busy)
    await queue_rows(store, [row(n, "dryrun") for n in range(5)])
    await sender.start(None)
    sender.wake()
    try:
        # The lane has the messages and keeps asking; while the answer is "busy" it sends none.
        await until(lambda: asked >= 20 and len(sender.in_flight) == 5)
        assert channel.batches == [] and sender.yields >= 1
        writer_busy = False
        await until(lambda: len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 5)
    finally:
        await sender.stop()
        await store.close()
    assert channel.batches == [5]


async def test_a_long_rush_does_not_hold_messages_for_ever(tmp_path, monkeypatch):
    monkeypatch.setattr(sender_module, "MAX_YIELD_SECONDS", 0.05)
    store = await Store.open(tmp_path / "q.db")
    channel = Appends(tmp_path / "messages.jsonl", 1000.0)
    sender = Sender(store, {"dryrun": channel}, POLICY, Metrics(), busy=lambda: True)
    await queue_rows(store, [row(n, "dryrun") for n in range(5)])
    await sender.start(None)
    sender.wake()
    try:
        await until(lambda: len(outbox_rows(tmp_path / "q.db", "state = 'sent'")) == 5)
    finally:
        await sender.stop()
        await store.close()
    assert sender.yields >= 1


@pytest.mark.parametrize("waiting", [0, 3])
async def test_the_engine_is_busy_while_commands_wait_for_the_writer(tmp_path, waiting):
    store = await Store.open(tmp_path / "q.db")
    engine = Engine(small_site(), store, enforce_hours=False)
    await engine.start()
    try:
        assert not engine.busy()
        futures = [
            engine.enqueue(
                c.IssueTicket(actor="k", service="khai-sinh", public_id=f"p{i}", request_id=f"r{i}")
            )
            for i in range(waiting)
        ]
        assert engine.busy() == bool(waiting)  # queued, the writer has not run yet
        await asyncio.gather(*futures)
        assert not engine.busy()
    finally:
        await engine.stop()
        await store.close()


async def test_the_engine_is_busy_until_its_batch_is_durable(tmp_path):
    store = await Store.open(tmp_path / "q.db")
    engine = Engine(small_site(), store, enforce_hours=False)
    await engine.start()
    held = threading.Event()
    try:
        store.write(lambda conn: held.wait(15))  # the writer thread is held: no commit ends
        future = engine.enqueue(
            c.IssueTicket(actor="k", service="khai-sinh", public_id="p1", request_id="r1")
        )
        await until(lambda: engine._queue.empty())  # the writer took it; the store has it
        assert engine.busy() and not future.done()
        held.set()
        await future
        assert not engine.busy()
    finally:
        held.set()
        await engine.stop()
        await store.close()
