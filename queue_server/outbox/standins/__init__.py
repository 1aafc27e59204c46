"""Stand-ins for the providers we cannot have here: each speaks the real protocol.

- `virtual_modem`: a GSM modem on the master side of a pseudo-terminal (AT dialogue).
- `sms_gateway`: a brand-name SMS HTTP gateway (aiohttp), failures on demand.
- `zalo_zns`: the Zalo ZNS send and token refresh API over HTTPS (self-signed CA).

Each counts what it delivered, for tests, and runs on its own for the demo:
`python -m queue_server.outbox.standins.<name> --help`.
"""
