"""Protocol v1, outgoing side: snapshots and event messages built from the state.

Pure functions of the domain state; the hub decides who receives what by the
audience each message names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from queue_protocol.messages import PROTOCOL_VERSION
from queue_server.domain import events as e
from queue_server.domain.eta import rounded
from queue_server.domain.hours import is_open, opens_at
from queue_server.domain.kiosk_printers import silent, stopped_for
from queue_server.domain.state import QueueState, Ticket

EVERYONE = frozenset({"kiosk", "counter", "display", "rating", "public"})
STAFF_AND_SCREENS = frozenset({"counter", "display"})
NOT_KIOSKS = frozenset({"counter", "display", "rating", "public"})
# Who shows the waiting figures (`queue`): the kiosks' buttons and the staff screens.
# Phones get their own ticket's figures (`ticket`), and the web hall shows calls only,
# so thousands of idle phones are not written to four times a second.
QUEUE_AUDIENCE = frozenset({"kiosk", "counter", "display", "rating"})
# Who redraws its catalogue or counters on `config`; the web hall ("public") too, for its
# notice line, voice and counter zones (a change is rare: phones may hear of it).
CONFIG_AUDIENCE = QUEUE_AUDIENCE | {"public"}

_DONE_STATUS = {
    e.TicketFinished: "done",
    e.TicketNoShow: "no_show",
    e.TicketVoided: "voided",
    e.TicketExpired: "expired",
    e.TicketTransferred: "transferred",
}


def _names(item: Any) -> dict[str, str]:
    return {"id": item.id, "name": item.name, "name_en": item.name_en}


def hall_view(state: QueueState) -> dict[str, str]:
    """`[hall]`: the screens' usual notice line ("" : their own) and the voice style."""
    hall = state.config.hall
    return {"notice": hall.notice, "notice_en": hall.notice_en, "voice": hall.voice}


def service_view(state: QueueState, service_id: str, now: float) -> dict[str, Any]:
    site, service = state.config.site, state.config.services[service_id]
    closed = service.closed or service_id in state.closed_services  # for the rest of the day
    open_now = not closed and (not state.enforce_hours or is_open(site, service, now))
    return {
        "id": service_id,
        "waiting": state.waiting.waiting(service_id),
        "estimated_wait": rounded(state.wait_for_new(service_id, now)),
        "calling": state.calling_note(service_id, now),
        "open": open_now,
        "opens_at": None
        if open_now or closed  # not today any more
        else opens_at(site, service, now),
    }


def service_catalogue(state: QueueState, now: float) -> list[dict[str, Any]]:
    return [
        {**_names(s), "sector": s.sector, **service_view(state, s.id, now)}
        for s in state.config.services.values()
    ]


def counter_view(state: QueueState, number: int, *, private: bool = False) -> dict[str, Any]:
    cs, counter = state.counters[number], state.config.counters[number]
    ticket = state.current_ticket(number)
    view = {
        "number": number,
        "name": counter.name,
        "zone": counter.zone,  # "Khu A": where it is, "" if the site does not say
        "zone_en": counter.zone_en,
        "status": cs.status.value,
        "ticket": ticket.number if ticket else None,
        "pause_reason": cs.pause_reason,
        "back_at": cs.back_at,  # a paused counter's return time, if known
        "officer_name": cs.officer_name,
        "suggested": cs.suggested,  # a service a supervisor asked it to take on for now
    }  # public: citizens see who serves them
    if private:
        view |= {
            "officer": cs.officer,
            "services": list(counter.services),
            "secondary_services": list(counter.secondary_services),
            "ticket": ticket_public(state, ticket) if ticket else None,
            "next": upcoming(state, number),
            "held": [ticket_public(state, state.tickets[tid]) for tid in cs.held],
        }
    return view


def upcoming(state: QueueState, counter: int) -> list[dict[str, Any]]:
    """The next few tickets a counter would call, for its officer's screen."""
    return [
        {"number": t.number, "service": t.service, "priority": t.priority, "issued_at": t.issued_at}
        for t in state.upcoming(counter)
    ]


def ticket_public(state: QueueState, ticket: Ticket) -> dict[str, Any]:
    """What a tracking page or an officer sees of a ticket."""
    ahead = state.ahead(ticket)
    waiting = ticket.status.value == "waiting"
    return {
        "number": ticket.number,
        "service": ticket.service,
        "service_name": state.config.services[ticket.service].name,
        "priority": ticket.priority,
        "status": ticket.status.value,
        "counter": ticket.counter,
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "ahead": ahead,
        "estimated_wait": rounded(state.wait_estimate(ticket)) if waiting else None,
        "calling": state.calling_note(ticket.service) if waiting else None,
    }


def call_message(
    state: QueueState, ticket: Ticket, counter: int, recall: bool, at: float
) -> dict[str, Any]:
    return {
        "type": "ticket_called",
        "number": ticket.number,
        "service": ticket.service,
        "counter": counter,
        "counter_name": state.config.counters[counter].name,
        "zone": state.config.counters[counter].zone,
        "zone_en": state.config.counters[counter].zone_en,
        "recall": recall,
        "at": at,
    }


def latest_calls(state: QueueState, limit: int = 20) -> list[dict[str, Any]]:
    """The latest calls of the day, newest first, rebuilt from the tickets."""
    called = sorted(
        (t for t in state.tickets.values() if t.called_at is not None and t.counter is not None),
        key=lambda t: t.called_at or 0,
        reverse=True,
    )[:limit]
    return [call_message(state, t, t.counter or 0, False, t.called_at or 0) for t in called]


def config_message(state: QueueState, version: int, now: float) -> dict[str, Any]:
    """The catalogue and the counters after a configuration change: clients redraw."""
    config = state.config
    return {
        "type": "config",
        "version": version,
        "site": {
            "name": config.site.name,
            "name_en": config.site.name_en,
            "timezone": config.site.timezone,
        },
        "hall": hall_view(state),
        "sectors": [_names(s) for s in config.sectors.values()],
        "services": service_catalogue(state, now),
        "priority_groups": [{**_names(g), "rank": g.rank} for g in config.priority_groups.values()],
        "counters": [counter_view(state, n) for n in config.counters],
        "pause_reasons": [_names(r) for r in config.pause_reasons.values()],
        "outcomes": [_names(o) for o in config.outcomes.values()],
        "rating_scale": [_names(r) for r in config.rating_scale],
    }


def welcome(
    state: QueueState,
    role: str,
    now: float,
    *,
    counter: int | None,
    calls: Iterable[dict],
    devices: dict[str, dict],
) -> dict[str, Any]:
    config = state.config
    msg: dict[str, Any] = {
        "type": "welcome",
        "protocol": PROTOCOL_VERSION,
        "role": role,
        "server_time": now,
        "day": state.day,
        "site": {
            "name": config.site.name,
            "name_en": config.site.name_en,
            "timezone": config.site.timezone,
            # the address citizens' phones open: the kiosk's slip QR is built on it
            "public_url": config.site.public_url,
        },
        "hall": hall_view(state),
        "sectors": [_names(s) for s in config.sectors.values()],
        "services": service_catalogue(state, now),
        "priority_groups": [
            {**_names(g), "rank": g.rank, "min_age": g.min_age}
            for g in config.priority_groups.values()
        ],
        "calls": list(calls),
    }
    if role in STAFF_AND_SCREENS:
        msg["counters"] = [counter_view(state, n) for n in config.counters]
        msg["devices"] = list(devices.values())
        msg["pause_reasons"] = [_names(r) for r in config.pause_reasons.values()]
    if role == "rating" and counter is not None:
        msg["counter"] = counter_view(state, counter)
        msg["rating_scale"] = [_names(r) for r in config.rating_scale]
    if role == "counter" and counter is not None:
        msg["counter"] = counter_view(state, counter, private=True)
        msg["outcomes"] = [_names(o) for o in config.outcomes.values()]
        # the kiosks whose printer is stopped, of this counter's services (issue 12)
        quiet = silent(state.alerts.open_alerts())
        msg["kiosk_printers"] = stopped_for(config, devices, counter, quiet)
    return msg


def event_messages(
    state: QueueState,
    events: list[e.Event],
    listening: Callable[[frozenset[str]], bool] = lambda _roles: True,
) -> tuple[list[tuple[frozenset[str], dict[str, Any]]], set[str]]:
    """The messages a committed batch sends, each with the roles entitled to it, and the
    services whose waiting figures changed (sent later, coalesced, by `queue_message`).

    `listening(roles)` says whether anyone of those roles is connected: at the busiest
    moments kiosks issue thousands of tickets a second and no screen may be listening.
    """
    out: list[tuple[frozenset[str], dict[str, Any]]] = []
    screens = listening(STAFF_AND_SCREENS)
    services: set[str] = set()
    counters: set[int] = set()
    for ev in events:
        if isinstance(ev, e.TicketRated):
            continue  # anonymous: for the figures, not for the screens
        ticket = state.tickets.get(getattr(ev, "ticket_id", -1))
        if isinstance(ev, e.TicketIssued) and ticket is not None:
            services.add(ev.service)
            if screens:
                out.append(
                    (
                        STAFF_AND_SCREENS,
                        {
                            "type": "ticket_issued",
                            "ticket": {
                                "number": ev.number,
                                "service": ev.service,
                                "priority": ev.priority,
                                "issued_at": ev.at,
                            },
                        },
                    )
                )
        elif isinstance(ev, e.TicketCalled) and ticket is not None:
            services.add(ticket.service)
            counters.add(ev.counter)
            out.append((EVERYONE, call_message(state, ticket, ev.counter, ev.recall, ev.at)))
        elif type(ev) in _DONE_STATUS and ticket is not None:
            done = {
                "type": "ticket_done",
                "number": ticket.number,
                "service": getattr(ev, "from_service", ticket.service),
                "status": _DONE_STATUS[type(ev)],
                "counter": getattr(ev, "counter", None),
            }
            if isinstance(ev, e.TicketTransferred):
                done["to_service"] = ev.to_service
                services.add(ev.from_service)
            services.add(ticket.service)
            counter = getattr(ev, "counter", None)
            if counter is not None:
                counters.add(counter)
            out.append((NOT_KIOSKS, done))
        elif isinstance(ev, e.ServiceSuggested):  # rare: every service's figures again
            counters.add(ev.counter)
            services.update(state.config.services)
        elif hasattr(ev, "counter") and ev.counter in state.counters:
            counters.add(ev.counter)
            services.update(state.config.counters[ev.counter].all_services)
        elif isinstance(ev, e.ServiceClosedForDay | e.ServiceReopened):
            services.add(ev.service)  # kiosks learn it with the waiting figures
        elif isinstance(ev, e.ConfigChanged):
            out.append((CONFIG_AUDIENCE, config_message(state, ev.version, ev.at)))
            services.update(state.config.services)
        elif isinstance(ev, e.DayStarted):
            out.append((EVERYONE, {"type": "day_started", "day": ev.day}))
            services.update(state.config.services)
            counters.update(state.config.counters)
    for number in sorted(counters) if screens else ():
        out.append((STAFF_AND_SCREENS, {"type": "counter", "counter": counter_view(state, number)}))
    return out, services


def queue_message(state: QueueState, services: Iterable[str], now: float) -> dict[str, Any]:
    return {"type": "queue", "services": [service_view(state, s, now) for s in sorted(services)]}
