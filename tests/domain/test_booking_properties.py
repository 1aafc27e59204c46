"""Property: whatever the order of bookings and cancellations, no slot is ever oversold."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_protocol.errors import QueueError
from queue_server.domain import commands as c
from queue_server.domain.state import QueueState
from tests.support.siteconfig import WEDNESDAY_9AM, small_site

CONFIG = small_site(booking={"default_capacity": 3, "slot_minutes": 60})
TZ = CONFIG.site.tz
SLOTS = [dt.datetime(2026, 5, 28, h, 30, tzinfo=TZ).timestamp() for h in (7, 8, 9)]

actions = st.lists(
    st.tuples(
        st.sampled_from(["book", "cancel"]),
        st.integers(0, 9),
        st.sampled_from(SLOTS),
        st.sampled_from(["khai-sinh", "ket-hon"]),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(actions)
def test_no_slot_is_ever_oversold_and_one_booking_per_phone(steps):
    state = QueueState(CONFIG)
    state.execute(c.StartDay(actor="system", day="2026-05-27"), WEDNESDAY_9AM)
    for n, (action, person, slot, service) in enumerate(steps):
        phone = f"09{person:08d}"
        code = f"CODE{n:04d}".replace("0", "A").replace("1", "B")
        try:
            if action == "book":
                state.execute(
                    c.BookSlot(
                        actor="web",
                        code=code,
                        service=service,
                        day="2026-05-28",
                        slot_at=slot,
                        name="An",
                        phone=phone,
                        cccd=None,
                        notice_version="v",
                        cancel_hash=phone,
                    ),
                    WEDNESDAY_9AM,
                )
            else:
                mine = state.bookings.holder_of(phone, service, "2026-05-28")
                if mine:
                    state.execute(
                        c.CancelBooking(actor="web", code=mine, cancel_hash=phone), WEDNESDAY_9AM
                    )
        except QueueError as err:
            assert err.code in ("slot_full", "already_booked")
        standing = [b for b in state.bookings.by_code.values() if b.status != "cancelled"]
        for s in SLOTS:
            for svc in ("khai-sinh", "ket-hon"):
                here = [b for b in standing if b.slot_at == s and b.service == svc]
                assert len(here) <= 3 and len(here) == state.bookings.taken(svc, s)
        held = [(b.phone, b.service) for b in standing]
        assert len(held) == len(set(held))
