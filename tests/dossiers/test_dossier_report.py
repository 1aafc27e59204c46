"""The dossier received during a ticket's service is an event in the log, and the report
tells the service time per procedure from it (issue 16)."""

from __future__ import annotations

from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.report import Report, stats
from tests.server.test_reports import MIN, T0, a_morning
from tests.support.siteconfig import small_site


def test_service_time_per_procedure() -> None:
    def m(minutes: float) -> float:
        return T0 + minutes * MIN

    events = a_morning()
    # A001 served 09:10–09:15 at counter 1 (recalled at 09:13): a birth registration
    # received at 09:14; A004 served 09:35–09:45: the same procedure and a second one
    extra = [
        e.DossierReceived(
            at=m(14), actor="an", counter=1, ticket_id=1, procedure="1.001193", dossier="HS-1"
        ),
        e.DossierReceived(
            at=m(40), actor="an", counter=1, ticket_id=4, procedure="1.001193", dossier="HS-2"
        ),
        e.DossierReceived(
            at=m(41), actor="an", counter=1, ticket_id=4, procedure="2.000908", dossier="HS-3"
        ),
        e.DossierReceived(  # no ticket being served: counted nowhere
            at=m(42), actor="an", counter=2, ticket_id=None, procedure="9.9", dossier="HS-4"
        ),
    ]
    finished_1 = next(i for i, ev in enumerate(events) if isinstance(ev, e.TicketFinished))
    events[finished_1:finished_1] = extra[:1]
    last = max(i for i, ev in enumerate(events) if isinstance(ev, e.TicketFinished))
    events[last:last] = extra[1:]
    report = Report(small_site())
    report.add(events)
    out = {p["code"]: p for p in report.to_dict(now=T0 + 60 * MIN)["procedures"]}
    assert set(out) == {"1.001193", "2.000908"}
    assert out["1.001193"]["service"] == stats([300, 600])  # A001 5 min, A004 10 min
    assert out["1.001193"]["served"] == 2
    assert out["2.000908"]["service"] == stats([600])


def test_link_dossier_names_the_ticket_being_served() -> None:
    from queue_server.domain.state import QueueState

    state = QueueState(small_site())
    state.execute(c.StartDay(actor="system", day="2026-05-27"), T0)
    counter = next(iter(small_site().counters))
    (event,) = state.execute(
        c.LinkDossier(actor="an", counter=counter, procedure="1.001193", dossier="HS-1"), T0
    )
    assert isinstance(event, e.DossierReceived) and event.ticket_id is None
    assert e.event_from_dict(event.to_dict()) == event  # replayable from the log
