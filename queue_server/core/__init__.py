"""The durable core: store, single writer, accounts, hub."""
