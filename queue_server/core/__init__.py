"""The durable core: store, single writer, accounts, hub, and the context the desks get.

Durability, in one place (docs/architecture.md says the same for readers):

- **Acknowledged means durable.** The writer (`engine.Engine`) applies a batch of
  commands to the domain state, hands its events to the store (`store.Store`) and
  answers the callers and publishes the events only when the store says the batch is
  committed (WAL, `synchronous=FULL`).
- **The epoch.** The store counts the failed transactions the event loop has heard
  of; every batch carries the epoch it was built in. When a transaction fails, every
  batch queued behind it in the same epoch is refused (`StaleBatch`): it was built on
  the lost state. The store tells the writer at once, before anyone hears of the
  failure (`Store.failure_observers`), so nothing more is applied on the lost state;
  the writer refuses everything (`unavailable`) until it has rebuilt the day from the
  database, then every client is asked to reconnect (close 1012) for a true snapshot.
  A kiosk retrying with its request id gets the next number: no gap, no duplicate.
- **Messages to citizens.** The writer's `outbox_hook` turns a batch's events into
  outbox rows that the store writes in the batch's own transaction (`store.Durable`):
  a message exists exactly when the event that caused it is durable, and it is read
  and sent only after the commit (`queue_server.outbox.sender`).
- **SIGKILL or power cut.** What was committed is on disk; what was not was never
  acknowledged. At start the day is rebuilt from the event log (the `tickets` table,
  a projection written behind the log, is brought up to date); numbering continues
  after the last durable ticket; a retried request id gets its first answer.
"""
