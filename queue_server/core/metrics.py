"""Prometheus figures for one server, in a registry of its own (the text: `exposition.py`)."""

from __future__ import annotations

from queue_server.core.exposition import Counter, Gauge, Histogram, Registry


class Metrics:
    def __init__(self) -> None:
        self.registry = Registry()
        self.connections = Gauge(
            "xephang_connections", "Open WebSocket connections", ["role"], registry=self.registry
        )
        self.issued = Counter("xephang_tickets_issued", "Tickets issued", registry=self.registry)
        self.called = Counter(
            "xephang_tickets_called", "Tickets called (recalls included)", registry=self.registry
        )
        self.command_seconds = Histogram(
            "xephang_command_seconds",
            "Time from request to durable answer",
            ["command"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "xephang_writer_batch_size",
            "Commands per writer transaction",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
            registry=self.registry,
        )
        self.transactions = Gauge(
            "xephang_writer_transactions",
            "Durable SQLite transactions so far (a transaction "
            "carries every batch that queued while the one before it was written)",
            registry=self.registry,
        )
        # issue 19: which instance writes (1: active; 0: standby or lost its lock)
        self.active = Gauge(
            "xephang_active",
            "1 while this instance is the active one (PostgreSQL: holds the lock and "
            "the lease; SQLite: always)",
            registry=self.registry,
        )
        self.messages = Counter(
            "xephang_messages",
            "Messages to citizens handed to a channel, by outcome "
            "(sent; retry: a temporary failure, tried again later; failed: for good)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.lookups = Counter(
            "xephang_sms_lookups",
            "Look-ups texted in, by outcome (answered, unknown, limited)",
            ["outcome"],
            registry=self.registry,
        )
        self.loop_lag = Histogram(
            "xephang_loop_lag_seconds",
            "How late the event loop woke a 100 ms sleeper (core/eventloop.py watch_lag)",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1),
            registry=self.registry,
        )
        # issue 17: the shipper to the province server (core/shipper_status.py)
        self.shipper_unacked = Gauge(
            "xephang_shipper_unacknowledged_events",
            "Events of this site's log the province server has not acknowledged yet",
            registry=self.registry,
        )
        self.shipper_since_ack = Gauge(
            "xephang_shipper_seconds_since_ack",
            "Seconds since the province server last acknowledged a batch",
            registry=self.registry,
        )
        self.shipper_status_age = Gauge(
            "xephang_shipper_status_age_seconds",
            "Seconds since the shipper last said where it stands (grows: it is not running)",
            registry=self.registry,
        )
        self.shipper_failing = Gauge(
            "xephang_shipper_failing",
            "1 while the shipper's last attempt failed (link down, refused), else 0",
            registry=self.registry,
        )
        self.shipper_last_error = Gauge(
            "xephang_shipper_last_error",
            "The shipper's last error (label), 1 while it is still failing",
            ["error"],
            registry=self.registry,
        )
        self._timers: dict = {}

    def command_timer(self, command: str):
        """The histogram child for one command (labels() costs a lock and a lookup)."""
        child = self._timers.get(command)
        if child is None:
            child = self._timers[command] = self.command_seconds.labels(command)
        return child

    def show_shipper(self, figures: dict) -> None:
        """The shipper's lag (`core/shipper_status.lag_figures`)."""
        self.shipper_unacked.set(figures["unacknowledged"])
        self.shipper_since_ack.set(figures["since_ack"])
        self.shipper_status_age.set(figures["status_age"])
        self.shipper_failing.set(figures["failing"])
        self.shipper_last_error.clear()
        if figures["last_error"]:
            self.shipper_last_error.labels(figures["last_error"]).set(figures["failing"])

    def render(self) -> bytes:
        return self.registry.render()
