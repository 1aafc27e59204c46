"""Who is called next: the waiting queues and the call-next policy.

The order at a counter is, in this precedence:

1. the counter's own services before its secondary ones (when it has any);
2. priority groups by rank before normal tickets — except that after
   `max_consecutive` priority calls in a row at that counter, a normal ticket
   goes next if one waits (anti-starvation);
3. the earliest effective time: the issue time, which a transfer keeps;
4. the ticket id, so equal times still give one order.

Each (service, rank) pair has its own heap, so choosing costs one peek per pair
the counter serves, whatever the number of tickets waiting.
"""

from __future__ import annotations

import heapq
from collections import Counter as Tally
from collections.abc import Iterable, Sequence

NORMAL_RANK = 1_000_000  # ranks of priority groups are small positive numbers

Entry = tuple[float, int]  # (effective time, ticket id)


class WaitingQueues:
    """The waiting tickets, one heap per (service, rank), with lazy removal."""

    def __init__(self) -> None:
        self._heaps: dict[tuple[str, int], list[Entry]] = {}
        self._where: dict[int, tuple[str, int]] = {}
        self._counts: Tally[str] = Tally()
        self._key_counts: Tally[tuple[str, int]] = Tally()
        self._newest: dict[tuple[str, int], Entry] = {}

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, ticket_id: int) -> bool:
        return ticket_id in self._where

    def add(self, ticket_id: int, service: str, rank: int, effective_at: float) -> None:
        key = (service, rank)
        entry = (effective_at, ticket_id)
        heapq.heappush(self._heaps.setdefault(key, []), entry)
        self._where[ticket_id] = key
        self._counts[service] += 1
        self._key_counts[key] += 1
        self._newest[key] = max(entry, self._newest.get(key, entry))

    def remove(self, ticket_id: int) -> None:
        """Take a ticket out (called, voided, expired); its heap entry is dropped lazily."""
        key = self._where.pop(ticket_id)
        self._counts[key[0]] -= 1
        self._key_counts[key] -= 1

    def waiting(self, service: str) -> int:
        return self._counts[service]

    def ids(self) -> Iterable[int]:
        return self._where.keys()

    def oldest(self, service: str) -> float | None:
        """The earliest effective time among a service's waiting tickets, any rank."""
        heads = [
            entry[0]
            for key in [k for k in self._heaps if k[0] == service]
            if (entry := self._peek(key)) is not None
        ]
        return min(heads, default=None)

    def _peek(self, key: tuple[str, int]) -> Entry | None:
        heap = self._heaps.get(key)
        while heap:
            at, ticket_id = heap[0]
            if self._where.get(ticket_id) == key:
                return heap[0]
            heapq.heappop(heap)  # stale: removed, or moved to another service
        return None

    def select(
        self, tiers: Sequence[Sequence[str]], ranks: Sequence[int], normal_first: bool
    ) -> int | None:
        """The ticket a counter serving `tiers` calls next, or None if nobody waits.

        `normal_first` is the anti-starvation switch: the counter has made its
        allowed number of priority calls in a row.
        """
        best: tuple | None = None
        best_normal: tuple | None = None
        for tier, services in enumerate(tiers):
            for service in services:
                for rank in (*ranks, NORMAL_RANK):
                    top = self._peek((service, rank))
                    if top is None:
                        continue
                    key = (tier, rank, top[0], top[1])
                    if best is None or key < best:
                        best = key
                    if rank == NORMAL_RANK and (best_normal is None or key < best_normal):
                        best_normal = key
            if best is not None and not (normal_first and best_normal is None):
                break  # a lower tier is only looked at when this one has nothing fitting
        chosen = best_normal if normal_first and best_normal is not None else best
        return None if chosen is None else chosen[3]

    def snapshot(self, ranks: Sequence[int]) -> QueueSnapshot:
        """A copy of the queues to play forward (the waiting-time replay, `domain/eta.py`):
        taking from it leaves these as they are. Copying the heaps costs a memory copy,
        not a sort, whatever the number waiting. Use it at once: it reads which entries
        are live from these queues."""
        heaps = {key: list(heap) for key, heap in self._heaps.items() if self._key_counts[key]}
        return QueueSnapshot(heaps, self._where, ranks)

    def upcoming(
        self, tiers: Sequence[Sequence[str]], ranks: Sequence[int], limit: int
    ) -> list[int]:
        """The next `limit` tickets in call order, for the officer's preview.

        It follows the precedence above but not the anti-starvation switch, which
        depends on calls not yet made.
        """
        found: dict[int, tuple] = {}
        for tier, services in enumerate(tiers):
            for service in services:
                for rank in (*ranks, NORMAL_RANK):
                    for at, tid in self._smallest_live((service, rank), limit):
                        found[tid] = (tier, rank, at, tid)
        return [key[3] for key in sorted(found.values())[:limit]]

    def _smallest_live(self, key: tuple[str, int], limit: int) -> list[Entry]:
        """The `limit` first live entries of one heap, in order, without a full scan.

        A heap's array is a tree whose parents come before their children, so a
        best-first walk from the root visits entries in order: it costs about
        `limit` steps (plus the stale entries on the way), whatever the heap's size.
        """
        heap = self._heaps.get(key, [])
        out: list[Entry] = []
        frontier = [(heap[0], 0)] if heap else []
        while frontier and len(out) < limit:
            entry, i = heapq.heappop(frontier)
            if self._where.get(entry[1]) == key:
                out.append(entry)
            for child in (2 * i + 1, 2 * i + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))
        return out

    def ahead_of(self, ticket_id: int, service: str, rank: int, effective_at: float) -> int:
        """How many tickets of the same service would be called before this one.

        Better ranks are all ahead; within the same rank only earlier tickets are.
        The newest ticket (the usual question, right after issuing) costs O(ranks).
        """
        key = (service, rank)
        if rank == NORMAL_RANK:  # every priority ticket of the service is ahead
            ahead = self._counts[service] - self._key_counts[key]
        else:
            ahead = sum(
                n for (svc, r), n in self._key_counts.items() if svc == service and r < rank
            )
        mine = (effective_at, ticket_id)
        if self._newest.get(key) == mine:
            return ahead + self._key_counts[key] - 1
        # a ticket transferred away and back has two equal entries: count ids, not entries
        return ahead + len(
            {
                tid
                for at, tid in self._heaps.get(key, ())
                if (at, tid) < mine and self._where.get(tid) == key
            }
        )


class QueueSnapshot:
    """The waiting queues copied for a replay: `take` pops what a counter would call
    (the order above, without the anti-starvation switch, which depends on calls not
    yet made)."""

    def __init__(
        self,
        heaps: dict[tuple[str, int], list[Entry]],
        where: dict[int, tuple[str, int]],
        ranks: Sequence[int],
    ) -> None:
        self._heaps, self._where = heaps, where
        self._ranks = (*ranks, NORMAL_RANK)
        self._taken: set[int] = set()

    def take(self, tiers: Sequence[Sequence[str]]) -> tuple[int, str] | None:
        """The ticket a counter serving `tiers` would call next, taken out; and its service."""
        for services in tiers:
            best: tuple[tuple[int, float, int], tuple[str, int]] | None = None
            for service in services:
                for rank in self._ranks:
                    top = self._peek((service, rank))
                    if top is not None and (best is None or (rank, *top) < best[0]):
                        best = ((rank, *top), (service, rank))
            if best is not None:
                (_, _, tid), key = best
                heapq.heappop(self._heaps[key])
                self._taken.add(tid)
                return tid, key[0]
        return None

    def _peek(self, key: tuple[str, int]) -> Entry | None:
        heap = self._heaps.get(key)
        while heap:
            tid = heap[0][1]
            if self._where.get(tid) == key and tid not in self._taken:
                return heap[0]
            heapq.heappop(heap)
        return None
