"""What a configuration change may not do to the day under way, and what it leaves over.

A new configuration is valid on its own (`domain/config.py`); these rules weigh it
against today's tickets, counters and the bookings made. Each refusal is
`QueueError("config_refused", "<key>: <what is wrong>")`, the key written as the
validator writes it (`services[2].prefix`), so the admin screen shows it beside the
field. A lower booking capacity refuses nothing: bookings made keep their slot, and
the review counts how many are above the new capacity.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field

from queue_protocol.errors import QueueError
from queue_server.domain.config import SiteConfig


@dataclass(frozen=True)
class DayFacts:
    """What the rules read of the day (built by `QueueState.day_facts`)."""

    issued: dict[str, int]  # service → tickets issued today (its series is in use)
    unfinished: dict[str, int]  # service → tickets waiting or called now
    waiting_priorities: frozenset[str]  # priority groups of tickets waiting now
    staffed: frozenset[int]  # counters with an officer signed in
    # (service, slot start) of every booking still to be used, today and later
    bookings: tuple[tuple[str, float], ...] = field(default=())


@dataclass(frozen=True)
class Review:
    above_capacity: int  # bookings kept in a slot that now has fewer places


def review_change(old: SiteConfig, new: SiteConfig, facts: DayFacts) -> Review:
    """Refuse what `new` may not change today; count the bookings above capacity."""
    _services(old, new, facts)
    for number in old.counters:
        if number not in new.counters and number in facts.staffed:
            raise _refuse(
                "counters",
                f"counter {number} has an officer signed in; it can be removed once closed",
                f"quầy {number} đang có cán bộ đăng nhập; chỉ xoá được sau khi quầy đóng",
            )
    for group in old.priority_groups:
        if group not in new.priority_groups and group in facts.waiting_priorities:
            raise _refuse(
                "priority.groups",
                f"tickets of priority group {group!r} are still waiting",
                f"vẫn còn số thứ tự của nhóm ưu tiên {group!r} đang chờ",
            )
    return Review(above_capacity=above_capacity(new, facts.bookings))


def _services(old: SiteConfig, new: SiteConfig, facts: DayFacts) -> None:
    index = {sid: i for i, sid in enumerate(new.services)}
    for sid, before in old.services.items():
        after = new.services.get(sid)
        if after is None:
            if facts.unfinished.get(sid) or facts.issued.get(sid):
                raise _refuse(
                    "services",
                    f"service {sid!r} has tickets today ({facts.unfinished.get(sid, 0)} "
                    "waiting); close it for new tickets (closed = true) instead of deleting it",
                    f"dịch vụ {sid!r} đã có số thứ tự hôm nay ({facts.unfinished.get(sid, 0)} "
                    "đang chờ); hãy đánh dấu Ngừng cấp số thay vì xoá",
                )
            if any(service == sid for service, _at in facts.bookings):
                raise _refuse(
                    "services",
                    f"service {sid!r} has bookings still to come",
                    f"dịch vụ {sid!r} còn lịch hẹn sắp tới",
                )
            continue
        if facts.issued.get(sid):
            for key in ("prefix", "base", "width"):
                if getattr(before, key) != getattr(after, key):
                    raise _refuse(
                        f"services[{index[sid]}].{key}",
                        f"the number series of {sid!r} cannot change in the middle of a day "
                        f"({facts.issued[sid]} tickets issued today); change it after closing",
                        f"không đổi được dãy số của {sid!r} giữa ngày (hôm nay đã cấp "
                        f"{facts.issued[sid]} số); hãy đổi sau giờ làm việc",
                    )


def above_capacity(config: SiteConfig, bookings: Iterable[tuple[str, float]]) -> int:
    """Bookings beyond their slot's places under `config` (they keep their slot)."""
    tz = config.site.tz
    taken = Tally(bookings)
    excess = 0
    for (service, slot_at), count in taken.items():
        start = dt.datetime.fromtimestamp(slot_at, tz).time()
        excess += max(0, count - config.booking.places(service, start))
    return excess


class ChangeRefused(QueueError):
    """`config_refused` naming the field, with the problem in Vietnamese too (the admin
    screen shows it beside the field; `detail` stays English for the logs)."""

    def __init__(self, key: str, problem: str, problem_vi: str) -> None:
        super().__init__("config_refused", f"{key}: {problem}")
        self.key, self.problem, self.problem_vi = key, problem, problem_vi


def _refuse(key: str, problem: str, vi: str) -> QueueError:
    return ChangeRefused(key, problem, vi)
