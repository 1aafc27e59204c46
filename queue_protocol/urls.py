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


def server_url_lists(server: str) -> tuple[list[str], list[str]]:
    """`--server` naming one address or several, separated by commas (issue 19: an
    active server and its standby, `http://a:8765,http://b:8765`) → (HTTP bases,
    WebSocket URLs), in the order given; `QueueClient` takes the list of WebSocket
    URLs and connects to whichever answers."""
    pairs = [server_urls(part) for part in server.split(",") if part.strip()]
    if not pairs:
        raise ValueError(f"--server must look like http://host:port, got {server!r}")
    return [base for base, _ in pairs], [ws for _, ws in pairs]
