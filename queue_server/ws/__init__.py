"""The websocket endpoint `/ws` (protocol v1), its request handlers and the fan-out."""
