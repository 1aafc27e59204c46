"""The messages' rules (`domain/notify.py`) at the edges of a day."""

from __future__ import annotations

from queue_server.domain import events as e
from queue_server.domain import notify
from queue_server.domain.state import QueueState
from tests.support.messaging import gateway_channel, messaging_site
from tests.support.siteconfig import WEDNESDAY_9AM


def test_events_of_tickets_from_a_day_already_closed_cause_no_message_and_no_error():
    """A batch that spans the day reset carries events of yesterday's tickets (expired,
    called, finished) while the state holds today's only: nothing to tell, no error
    (a soak crossing midnight logged "outbox rules failed" with a KeyError)."""
    config = messaging_site({"sms": gateway_channel("http://127.0.0.1:9/send")})
    state = QueueState(config)  # today's: no tickets yet
    at = WEDNESDAY_9AM
    gone = 424242  # a ticket of yesterday
    batch = [
        e.TicketExpired(at=at, actor="system", ticket_id=gone),
        e.TicketCalled(at=at, actor="system", ticket_id=gone, counter=1, recall=False),
        e.TicketFinished(at=at, actor="system", ticket_id=gone, counter=1, outcome="done"),
    ]
    found = notify.notices(batch, state, config, at)
    assert found.new == [] and found.withdrawn == []
