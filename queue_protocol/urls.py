"""The one way every app turns its `--server` setting into the server's two addresses."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_HTTP = {"http": "http", "ws": "http", "https": "https", "wss": "https"}


def server_urls(server: str) -> tuple[str, str]:
    """`http://host:port[/prefix]`, `ws://host:port[/prefix]/ws` or `host:port` →
    (HTTP base for pages and links, WebSocket URL). A path prefix (a server behind a
    reverse proxy at `/prefix`) is kept; TLS (https, wss) carries over to both."""
    text = server.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = _HTTP.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ValueError(f"--server must look like http://host:port, got {server!r}")
    path = parts.path.rstrip("/")
    if path.endswith("/ws"):
        path = path[:-3]
    base = urlunsplit((scheme, parts.netloc, path, "", ""))
    ws = urlunsplit(("wss" if scheme == "https" else "ws", parts.netloc, path + "/ws", "", ""))
    return base, ws
