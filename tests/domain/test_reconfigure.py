"""A configuration change weighed against the day, in the pure domain (`ApplyConfig`)."""

import copy

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain.config import parse_config
from queue_server.domain.state import QueueState
from tests.support.siteconfig import SMALL_SITE, WEDNESDAY, WEDNESDAY_9AM, small_site

NOW = WEDNESDAY_9AM


def day() -> QueueState:
    state = QueueState(small_site())
    state.execute(c.StartDay(actor="system", day=WEDNESDAY), NOW)
    return state


def changed(**edits) -> dict:
    data = copy.deepcopy(SMALL_SITE)
    data.update(edits)
    return data


def apply(state: QueueState, data: dict, version: int = 2) -> None:
    config = parse_config(data, "test")
    state.known_configs[version] = config  # as the writer does
    state.execute(c.ApplyConfig(actor="admin", version=version, config=config, document=""), NOW)


def test_a_priority_group_with_tickets_waiting_cannot_be_removed():
    state = day()
    state.execute(
        c.IssueTicket(actor="k", service="khai-sinh", public_id="p1", priority="nguoi-cao-tuoi"),
        NOW,
    )
    fewer = changed(priority={"groups": [SMALL_SITE["priority"]["groups"][1]]})
    with pytest.raises(QueueError) as refused:
        apply(state, fewer)
    assert refused.value.code == "config_refused"
    assert refused.value.detail.startswith("priority.groups: ")
    assert state.config_version == 0 and "nguoi-cao-tuoi" in state.config.priority_groups


def test_a_change_keeps_the_open_counters_and_takes_new_ones_closed():
    state = day()
    state.execute(c.OpenCounter(actor="hoa", counter=2, officer_name="Hoa"), NOW)
    more = changed(counters=[*SMALL_SITE["counters"], {"number": 5, "services": ["ket-hon"]}])
    apply(state, more)
    assert state.config_version == 2
    assert state.counters[2].officer == "hoa" and state.counters[5].status.value == "closed"
    state.execute(c.IssueTicket(actor="k", service="ket-hon", public_id="p1"), NOW)
    state.execute(c.OpenCounter(actor="an", counter=5), NOW)
    assert state.execute(c.CallNext(actor="an", counter=5), NOW)[0].type == "ticket_called"
    with pytest.raises(QueueError):  # not newer than the version in force
        apply(state, more, version=2)


def counting_replays(state: QueueState, monkeypatch) -> list[float]:
    """The times `state` replays the waiting estimates at (`domain/eta.py`) from now on."""
    replays: list[float] = []
    real = state._replay

    def counted(now: float):
        replays.append(now)
        return real(now)

    monkeypatch.setattr(state, "_replay", counted)
    return replays


def waiting_day() -> QueueState:
    """Counter 1 open; ten citizens wait for khai-sinh, counter 2 is closed (not expected
    yet: nine o'clock is past the first half hour of a 7:30 opening)."""
    state = day()
    state.execute(c.OpenCounter(actor="an", counter=1), NOW)
    for n in range(10):
        state.execute(c.IssueTicket(actor="k", service="khai-sinh", public_id=f"p{n}"), NOW)
    return state


def estimates(state: QueueState) -> list[float | None]:
    tickets = sorted(state.tickets.values(), key=lambda t: t.id)
    return [state.wait_estimate(t, NOW + 60) for t in tickets] + [
        state.wait_for_new(s, NOW + 60) for s in ("khai-sinh", "ket-hon", "moi")
    ]


def test_a_change_the_estimates_do_not_read_keeps_them_without_a_replay(monkeypatch):
    """Issue 15: a change applied while 10,000 wait replayed every estimate in the
    change's second. A new name, a new service no counter calls yet and another booking
    capacity leave the counters, ranks, hours and pauses alone: the replay stays."""
    state = waiting_day()
    before = estimates(state)
    replays = counting_replays(state, monkeypatch)
    data = changed(
        site={**SMALL_SITE["site"], "name": "Trung tâm (đã đổi)"},
        services=[*SMALL_SITE["services"], {"id": "moi", "sector": "ho-tich", "name": "Mới"}],
    )
    data["services"][-1]["prefix"] = "Z"
    apply(state, data)
    assert state.config.site.name == "Trung tâm (đã đổi)" and "moi" in state.config.services
    assert estimates(state) == before
    assert replays == []


@pytest.mark.parametrize(
    "edit",
    [
        "counter 4 takes khai-sinh first",
        "a longer pause allowance",
        "a break in the opening hours",
        "a longer default service time",
    ],
)
def test_a_change_the_estimates_read_replays_them_at_once(monkeypatch, edit):
    state = waiting_day()
    state.execute(c.OpenCounter(actor="hoa", counter=4), NOW)
    state.execute(c.PauseCounter(actor="hoa", counter=4, reason="nghi-trua"), NOW)
    before = estimates(state)
    replays = counting_replays(state, monkeypatch)
    data = changed()
    if edit == "counter 4 takes khai-sinh first":  # a second counter for the queue
        data["counters"] = [dict(k) for k in SMALL_SITE["counters"]]
        data["counters"][3] = {"number": 4, "services": ["khai-sinh", "dat-dai"]}
    elif edit == "a longer pause allowance":  # counter 4 is expected back later
        data["counters"] = [dict(k) for k in SMALL_SITE["counters"]]
        data["counters"][3] = {"number": 4, "services": ["khai-sinh", "dat-dai"]}
        apply(state, data)
        before = estimates(state)
        replays.clear()
        data = copy.deepcopy(data)
        data["alerts"] = {"pause_minutes": {"nghi-trua": 90}}
    elif edit == "a longer default service time":  # no service finished yet: the default
        data["queue"] = {"default_service_minutes": 12}
    else:  # closed from 9:10 to 13:00: the later tickets wait through it
        data["site"] = {**SMALL_SITE["site"], "hours": [["07:30", "09:10"], ["13:00", "17:00"]]}
    apply(state, data, version=3)
    after = estimates(state)
    assert len(replays) == 1  # once, at the first estimate after the change
    assert after != before


def test_a_shorter_service_time_window_keeps_the_newest_services():
    """`[queue] service_time_window` applies at once: the median is of the newest services."""
    state = day()
    for minutes in (2, 2, 2, 9, 9):  # five services of khai-sinh, the newest the longest
        state.service_times.add("khai-sinh", minutes * 60)
    assert state.service_times.median("khai-sinh") == 2 * 60
    apply(state, changed(queue={"default_service_minutes": 5, "service_time_window": 2}))
    assert state.service_times.median("khai-sinh") == 9 * 60
