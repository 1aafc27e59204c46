"""The supervisor's alerts: raised once while a condition holds, cleared when it ends."""

from __future__ import annotations

import pytest

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.alert_rules import Debouncer, DeviceHealth, alert_commands
from queue_server.domain.report import Report, stats
from queue_server.domain.state import QueueState
from tests.support.siteconfig import WEDNESDAY, WEDNESDAY_9AM, small_site

T0 = WEDNESDAY_9AM
ALERTS = {
    "longest_wait_minutes": 20,
    "waiting_count": 30,
    "pause_minutes": {"nghi-trua": 60},
    "default_pause_minutes": 30,
    "device_offline_seconds": 60,
    "clear_after_seconds": 10,
}


class Day:
    """A state, an evaluator every `step` seconds and the alert events it produced."""

    def __init__(self, **alerts) -> None:
        self.state = QueueState(small_site(alerts={**ALERTS, **alerts}))
        # every event, the day start included
        self.log: list[e.Event] = self.state.execute(c.StartDay(actor="system", day=WEDNESDAY), T0)
        self.debouncer = Debouncer(self.state.config.alerts.clear_after_seconds)
        self.devices: dict[str, DeviceHealth] = {}
        self.alert_events: list[e.Event] = []
        self.ids = 0

    def do(self, command: c.Command, at: float) -> list[e.Event]:
        events = self.state.execute(command, at)
        self.log += events
        self.alert_events += [ev for ev in events if ev.type.startswith("alert_")]
        return events

    def issue(self, at: float, service: str = "khai-sinh") -> None:
        self.ids += 1
        self.do(c.IssueTicket(actor="kiosk-1", service=service, public_id=f"p{self.ids}"), at)

    def evaluate(self, at: float) -> None:
        for command in alert_commands(self.state, self.devices.values(), at, self.debouncer):
            self.do(command, at)

    def raised(self, kind: str) -> list[e.AlertRaised]:
        return [ev for ev in self.alert_events if isinstance(ev, e.AlertRaised) and ev.kind == kind]

    def cleared(self, kind: str | None = None) -> list[e.AlertCleared]:
        return [
            ev
            for ev in self.alert_events
            if isinstance(ev, e.AlertCleared)
            and kind in (None, self.state.alerts.all[ev.alert_id].kind)
        ]


def test_a_long_wait_in_a_simulated_day_raises_exactly_one_alert_then_clears():
    day = Day()
    day.do(c.OpenCounter(actor="can-bo", counter=1), T0)
    # A ticket a minute for an hour, evaluated every 2 s; the counter calls one every 3 min.
    for second in range(0, 3600, 2):
        now = T0 + second
        if second % 60 == 0:
            day.issue(now)
        if second % 180 == 0 and second:
            day.do(c.CallNext(actor="can-bo", counter=1), now)
        day.evaluate(now)
    [alert] = day.raised("long_wait")
    assert alert.subject == "khai-sinh" and int(alert.detail) >= 20
    assert not day.cleared()
    # Three more counters take the queue down: the oldest waits less than 20 min, then clear.
    now = T0 + 3600
    for n in (2, 3):
        day.do(c.OpenCounter(actor=f"cb{n}", counter=n), now)
    while day.state.waiting.waiting("khai-sinh"):
        for n in (1, 2, 3):
            if day.state.waiting.waiting("khai-sinh"):
                day.do(c.CallNext(actor="x", counter=n), now)
        now += 2
        day.evaluate(now)
    for _ in range(10):
        now += 2
        day.evaluate(now)
    assert len(day.raised("long_wait")) == 1
    [cleared] = day.cleared("long_wait")
    assert cleared.alert_id == alert.alert_id
    assert not day.state.alerts.open


def test_waiting_count_and_no_open_counter():
    day = Day()
    for i in range(30):
        day.issue(T0 + i, "dat-dai")
    day.evaluate(T0 + 30)
    assert [a.subject for a in day.raised("long_queue")] == ["dat-dai"]
    assert [a.subject for a in day.raised("no_counter")] == ["dat-dai"]
    day.do(c.OpenCounter(actor="cb", counter=3), T0 + 31)
    for t in range(32, 44, 2):
        day.evaluate(T0 + t)
    assert [day.state.alerts.all[ev.alert_id].kind for ev in day.cleared()] == ["no_counter"]


def test_a_counter_paused_past_its_reason_allowance_raises_once():
    day = Day()
    day.do(c.OpenCounter(actor="can-bo", counter=2), T0)
    day.do(c.PauseCounter(actor="can-bo", counter=2, reason="nghi-trua"), T0)
    for t in range(0, 3600, 30):  # lunch: 60 minutes allowed
        day.evaluate(T0 + t)
    assert not day.raised("long_pause")
    for t in range(3601, 4000, 2):
        day.evaluate(T0 + t)
    [alert] = day.raised("long_pause")
    assert alert.subject == "2" and alert.detail.startswith("nghi-trua")
    day.do(c.ResumeCounter(actor="can-bo", counter=2), T0 + 4000)
    day.evaluate(T0 + 4000)
    day.evaluate(T0 + 4010)
    assert len(day.cleared()) == 1


def test_a_reason_without_its_own_allowance_gets_the_default():
    day = Day(pause_minutes={})
    day.do(c.OpenCounter(actor="can-bo", counter=2), T0)
    day.do(c.PauseCounter(actor="can-bo", counter=2, reason="nghi-trua"), T0)
    day.evaluate(T0 + 30 * 60)
    assert not day.raised("long_pause")
    day.evaluate(T0 + 30 * 60 + 1)
    assert len(day.raised("long_pause")) == 1


def test_a_flapping_printer_raises_one_alert_not_a_storm():
    day = Day()
    for second in range(600):  # ok / out / ok every second for ten minutes
        state = "paper_out" if second % 2 else "ok"
        day.devices["kiosk-1"] = DeviceHealth("kiosk-1", "kiosk", T0 + second, state)
        day.evaluate(T0 + second)  # the server evaluates on every report
    assert len(day.raised("printer")) == 1
    assert not day.cleared()
    day.devices["kiosk-1"] = DeviceHealth("kiosk-1", "kiosk", T0 + 600, "ok")
    for t in range(600, 612, 2):
        day.devices["kiosk-1"] = DeviceHealth("kiosk-1", "kiosk", T0 + t, "ok")
        day.evaluate(T0 + t)
    assert len(day.cleared()) == 1
    assert len(day.raised("printer")) == 1


def test_a_silent_device_goes_offline_and_back():
    day = Day()
    day.devices["hall-1"] = DeviceHealth("hall-1", "display", T0)
    day.evaluate(T0 + 60)
    assert not day.raised("offline")
    day.evaluate(T0 + 61)
    [alert] = day.raised("offline")
    assert alert.subject == "hall-1"
    day.devices["hall-1"] = DeviceHealth("hall-1", "display", T0 + 70)
    day.evaluate(T0 + 70)
    day.evaluate(T0 + 80)
    assert len(day.cleared()) == 1


def test_a_complaint_stays_until_acknowledged_and_is_not_raised_again():
    day = Day()
    day.do(c.OpenCounter(actor="can-bo", counter=1), T0)
    day.issue(T0)
    day.do(c.CallNext(actor="can-bo", counter=1), T0 + 1)
    day.do(c.Finish(actor="can-bo", counter=1), T0 + 2)
    number = next(iter(day.state.tickets.values())).number
    day.do(c.RateTicket(actor="pad", counter=1, number=number, rating="khong-hai-long"), T0 + 3)
    for t in range(4, 100, 2):
        day.evaluate(T0 + t)
    [alert] = day.raised("complaint")
    assert alert.subject == "1" and number not in alert.detail  # anonymous: no ticket number
    day.do(c.AcknowledgeAlert(actor="giam-sat", alert_id=alert.alert_id), T0 + 100)
    acked = day.state.alerts.all[alert.alert_id]
    assert (acked.acknowledged_by, acked.acknowledged_at) == ("giam-sat", T0 + 100)
    with pytest.raises(QueueError) as err:
        day.do(c.AcknowledgeAlert(actor="other", alert_id=alert.alert_id), T0 + 101)
    assert err.value.code == "alert_acknowledged"
    for t in range(100, 200, 2):
        day.evaluate(T0 + t)
    assert len(day.cleared()) == 1
    assert len(day.raised("complaint")) == 1


def test_acknowledging_an_unknown_alert_is_refused_and_changes_nothing():
    day = Day()
    with pytest.raises(QueueError) as err:
        day.do(c.AcknowledgeAlert(actor="giam-sat", alert_id=99), T0)
    assert err.value.code == "unknown_alert"
    assert not day.state.alerts.all


def test_alerts_replay_from_the_log():
    day = Day()
    day.devices["kiosk-1"] = DeviceHealth("kiosk-1", "kiosk", T0, "paper_out")
    day.evaluate(T0)
    [alert] = day.raised("printer")
    day.do(c.AcknowledgeAlert(actor="giam-sat", alert_id=alert.alert_id), T0 + 5)
    replayed = QueueState(day.state.config)
    replayed.apply(e.DayStarted(at=T0, actor="system", day=WEDNESDAY, next_ticket_id=1))
    for ev in day.alert_events:
        replayed.apply(e.event_from_dict(ev.to_dict()))
    again = replayed.alerts.all[alert.alert_id]
    assert again.acknowledged_by == "giam-sat" and replayed.alerts.open == {alert.key: 1}


def test_raising_an_open_key_again_changes_nothing():
    """Two evaluations that race (a poke and the timer) cannot raise the same alert twice."""
    day = Day()
    raise_it = c.RaiseAlert(
        actor="system", key="printer:kiosk-1", kind="printer", subject="kiosk-1", detail="paper_out"
    )
    assert len(day.do(raise_it, T0)) == 1
    assert day.do(raise_it, T0 + 1) == []
    assert day.do(c.ClearAlert(actor="system", key="printer:kiosk-1"), T0 + 2)
    assert day.do(c.ClearAlert(actor="system", key="printer:kiosk-1"), T0 + 3) == []
    assert len(day.do(raise_it, T0 + 4)) == 1  # the same problem later: a new alert
    assert sorted(day.state.alerts.all) == [1, 2]


def test_a_supervisor_closes_a_service_for_the_day_and_suggests_one_to_a_counter():
    day = Day()
    day.do(c.CloseServiceForDay(actor="giam-sat", service="ket-hon"), T0)
    with pytest.raises(QueueError) as err:
        day.issue(T0 + 1, "ket-hon")
    assert err.value.code == "service_closed"
    day.do(c.ReopenService(actor="giam-sat", service="ket-hon"), T0 + 2)
    day.issue(T0 + 3, "ket-hon")
    # Counter 1 serves only khai-sinh; asked to take ket-hon for now, it calls one.
    day.do(c.OpenCounter(actor="can-bo", counter=1), T0)
    assert day.state.open_counters("ket-hon") == 0
    day.do(c.SuggestService(actor="giam-sat", counter=1, service="ket-hon"), T0 + 4)
    assert day.state.open_counters("ket-hon") == 1
    day.do(c.CallNext(actor="can-bo", counter=1), T0 + 5)
    assert day.state.current_ticket(1).service == "ket-hon"
    for bad, code in (
        ({"counter": 99, "service": "ket-hon"}, "unknown_counter"),
        ({"counter": 1, "service": "nope"}, "unknown_service"),
        ({"counter": 4, "service": "khai-sinh"}, "counter_closed"),
    ):
        with pytest.raises(QueueError) as err:
            day.do(c.SuggestService(actor="giam-sat", **bad), T0 + 6)
        assert err.value.code == code
    day.do(c.Finish(actor="can-bo", counter=1), T0 + 7)
    day.do(c.CloseCounter(actor="can-bo", counter=1), T0 + 8)  # a suggestion ends with it
    assert day.state.counters[1].suggested is None and day.state.open_counters("ket-hon") == 0


def test_the_report_counts_alerts_and_the_time_until_acknowledged():
    day = Day()
    day.devices["kiosk-1"] = DeviceHealth("kiosk-1", "kiosk", T0, "paper_out")
    day.devices["hall-1"] = DeviceHealth("hall-1", "display", T0 - 120)
    day.evaluate(T0)
    printer, offline = day.raised("printer")[0], day.raised("offline")[0]
    day.do(c.AcknowledgeAlert(actor="giam-sat", alert_id=printer.alert_id), T0 + 90)
    day.do(c.AcknowledgeAlert(actor="giam-sat", alert_id=offline.alert_id), T0 + 30)
    report = Report(day.state.config)
    report.add([e.DayStarted(at=T0, actor="system", day=WEDNESDAY, next_ticket_id=1)])
    report.add(day.alert_events)
    alerts = report.to_dict(now=T0 + 100)["alerts"]
    assert alerts["raised"] == 2 and alerts["by_kind"] == {"offline": 1, "printer": 1}
    assert alerts["time_to_acknowledge"] == stats([90, 30])


def test_a_supervisor_changes_the_limits_for_the_day_and_everything_replays():
    day = Day()
    for _ in range(5):
        day.issue(T0, "dat-dai")
    day.evaluate(T0 + 1)
    assert not day.raised("long_queue")  # 30 in the config
    day.do(c.SetAlertLimits(actor="giam-sat", waiting_count=5), T0 + 2)
    day.evaluate(T0 + 3)
    assert [a.subject for a in day.raised("long_queue")] == ["dat-dai"]
    with pytest.raises(QueueError) as err:
        day.do(c.SetAlertLimits(actor="giam-sat", device_offline_seconds=1), T0 + 4)
    assert err.value.code == "bad_request" and day.state.alert_limits.device_offline_seconds == 60
    day.do(c.CloseServiceForDay(actor="giam-sat", service="ket-hon"), T0 + 5)
    day.do(c.OpenCounter(actor="can-bo", counter=1), T0 + 5)
    day.do(c.SuggestService(actor="giam-sat", counter=1, service="dat-dai"), T0 + 6)
    events = list(day.log)
    replayed = QueueState(day.state.config)
    for ev in events:
        replayed.apply(e.event_from_dict(ev.to_dict()))  # every event type is known
    assert replayed.alert_limits == day.state.alert_limits
    assert replayed.closed_services == {"ket-hon"} and replayed.counters[1].suggested == "dat-dai"
    replayed.apply(e.DayStarted(at=T0 + 86400, actor="system", day="2026-05-28", next_ticket_id=9))
    assert replayed.alert_limits == day.state.config.alerts and not replayed.closed_services
