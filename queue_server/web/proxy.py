"""The client's own address when the server stands behind a reverse proxy.

Behind a TLS proxy every request comes from the proxy, so the per-address limits
(bookings, password guessing) and the audit log would lump all citizens together.
With `--trusted-proxy ADDRESS|NETWORK` the server believes `X-Forwarded-For`, but only
from those peers: read from the right, the first address that is not a trusted proxy is
the client (anything left of it may have been written by the client itself). Without
the option the header is ignored, so nobody dodges a limit by inventing addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`127.0.0.1`, `10.0.0.0/8`, `::1` … → networks; ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
    return tuple(networks)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str, proxies: tuple[Network, ...]) -> str:
    """The client behind `peer`: `peer` itself unless it is a trusted proxy that passed
    a well-formed `X-Forwarded-For` on."""
    if peer is None or not proxies or not _trusted(peer, proxies):
        return peer or "?"
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage from here on: the last good hop before it is all we know
        peer = hop
        if not _trusted(hop, proxies):
            break
    return peer


def middleware(proxies: tuple[Network, ...]) -> Middleware:
    """An aiohttp middleware giving handlers the client's address as `request.remote`."""

    @web.middleware
    async def real_remote(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (
            request.headers.get("X-Forwarded-Proto", "").lower() == "https"
            and request.remote is not None
            and _trusted(request.remote, proxies)
        ):  # TLS ends at the proxy: `request.secure` (the admin's Secure cookie) says so
            request = request.clone(scheme="https")
        header = request.headers.get("X-Forwarded-For")
        if header:
            remote = client_address(request.remote, header, proxies)
            if remote != request.remote:
                request = request.clone(remote=remote)
        return await handler(request)

    return real_remote
