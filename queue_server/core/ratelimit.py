"""Per-key limits on what strangers may do (bookings, password guesses, texted look-ups)."""

from __future__ import annotations

from collections import deque


class RateLimit:
    """At most `limit` requests per client address in any `window` seconds (sliding)."""

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}

    def allow(self, client: str, now: float) -> bool:
        """Count one request from `client`; False (and not counted) past the limit."""
        if self.full(client, now):
            return False
        self._seen.setdefault(client, deque()).append(now)
        return True

    def full(self, client: str, now: float) -> bool:
        """Whether `client` has used up its requests (counts nothing)."""
        if len(self._seen) > 10_000:
            self._forget(now)
        seen = self._seen.get(client)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen is not None and len(seen) >= self.limit

    def _forget(self, now: float) -> None:
        for client in [k for k, v in self._seen.items() if not v or v[-1] <= now - self.window]:
            del self._seen[client]


# Password guessing (the sites' sign-ins and the province leaders'): failures counted
# per (address, username) and per address, over a quarter of an hour.
LOGIN_FAILURES, LOGIN_FAILURE_SECONDS = 10, 900.0
ADDRESS_LOGIN_FAILURES = 100


class LoginGuard:
    """At most `LOGIN_FAILURES` failed sign-ins per (address, username) and
    `ADDRESS_LOGIN_FAILURES` per address in `LOGIN_FAILURE_SECONDS`; then none are tried
    until the window slides on."""

    def __init__(self) -> None:
        self.per_user = RateLimit(LOGIN_FAILURES, LOGIN_FAILURE_SECONDS)
        self.per_address = RateLimit(ADDRESS_LOGIN_FAILURES, LOGIN_FAILURE_SECONDS)

    def blocked(self, address: str, username: str, now: float) -> bool:
        return self.per_user.full(f"{address} {username[:64]}", now) or self.per_address.full(
            address, now
        )

    def failed(self, address: str, username: str, now: float) -> None:
        self.per_user.allow(f"{address} {username[:64]}", now)
        self.per_address.allow(address, now)
