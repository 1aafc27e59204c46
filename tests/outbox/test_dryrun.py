"""The dry-run channel: one JSON line per message, written together when they come
together, and a temporary failure (the sender retries) when the file cannot be written."""

from __future__ import annotations

import asyncio
import json

import pytest

from queue_server.outbox.channels.base import Outgoing, TemporaryFailure
from queue_server.outbox.channels.dryrun import DryRunChannel


def message(n: int) -> Outgoing:
    return Outgoing(
        id=n,
        key=f"k{n}",
        channel="dryrun",
        to="84912345678",
        kind="called",
        lang="vi",
        text=f"Mời Ông/Bà có số A{n:03d} đến quầy số 1.",
    )


async def test_messages_sent_together_are_one_append_each_on_its_own_line(tmp_path, monkeypatch):
    channel = DryRunChannel("dryrun", tmp_path / "out" / "messages.jsonl")
    await channel.start(None)
    appends = []
    real_append = channel._append

    def counted(data: str) -> None:
        appends.append(data)
        real_append(data)

    monkeypatch.setattr(channel, "_append", counted)
    results = await asyncio.gather(*(channel.send(message(n)) for n in range(50)))
    assert [r.provider_id for r in results] == [f"k{n}" for n in range(50)]
    lines = (tmp_path / "out" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [message(n).text for n in range(50)]
    assert len(appends) == 1  # not a thread hop and a file open per message
    await channel.send(message(50))  # a later one: a write of its own
    assert len(appends) == 2


async def test_a_file_that_cannot_be_written_is_a_temporary_failure(tmp_path):
    target = tmp_path / "messages.jsonl"
    target.mkdir()  # a directory where the file should be
    channel = DryRunChannel("dryrun", target)
    with pytest.raises(TemporaryFailure, match="dry-run file"):
        await asyncio.gather(channel.send(message(1)), channel.send(message(2)))
