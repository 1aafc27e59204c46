"""Shipping a site's event log to the province server (`shipper.py`), store and forward:
the site's own SQLite log is the store; the province server's acknowledgement is the
only cursor."""
