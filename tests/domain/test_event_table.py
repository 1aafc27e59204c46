"""Every event the domain defines can be replayed from the stored log."""

from __future__ import annotations

from queue_server.domain import events as e


def test_every_event_class_is_in_the_replay_table():
    """An event missing from EVENT_TYPES is written to the log but cannot be read back:
    the next start would fail on that day."""
    defined = {
        cls
        for cls in vars(e).values()
        if isinstance(cls, type) and issubclass(cls, e.Event) and cls is not e.Event
    }
    assert defined - set(e.EVENT_TYPES.values()) == set()
    assert all(name == cls.type for name, cls in e.EVENT_TYPES.items())
