"""The province server: every site's event log in one PostgreSQL database, the leaders'
report across sites from rollups kept in the database, the province floor live.

`schema.py` the tables and their migrations; `accounts.py` sites' tokens and leaders'
accounts with their scope; `ingest.py` accepting batches from sites' shippers and
folding them into the rollups; `report.py` the leaders' report and its exports;
`floor.py` the province floor now, pushed on LISTEN/NOTIFY; `app.py` the HTTP server;
`cli.py` `python -m queue_server central …`.
"""
