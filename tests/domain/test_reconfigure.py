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
