"""Sites' tokens and leaders' accounts at the province server.

A site's token is random and stored only as its SHA-256 (like the sites' own session
tokens). A leader sees the province, one district or one site (`scope`): every query
of the report and the floor is limited to the sites of that scope. Signing out ends
the session in the database. Sign-ins (and refusals), sign-outs and exports are kept
in `leader_audit`: who, when, from where, what.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from queue_protocol.codec import dumps_text
from queue_protocol.errors import QueueError
from queue_server.core.accounts import SESSION_SECONDS, hash_password, verify_password

SCOPES = ("province", "district", "site")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Leader:
    username: str
    scope: str  # province, district or site
    scope_value: str

    def where(self, first_param: int) -> tuple[str, list[str]]:
        """A condition on `sites s` limiting a query to this leader's sites."""
        column = {"province": "s.province", "district": "s.district", "site": "s.id"}[self.scope]
        return f"{column} = ${first_param}", [self.scope_value]


async def add_site(
    pool: asyncpg.Pool, site_id: str, name: str, province: str, district: str = ""
) -> str:
    """Register a site (or give it a new token); the token, shown once."""
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO sites (id, name, province, district, token_hash) VALUES ($1,$2,$3,$4,$5) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, province = excluded.province, "
        "district = excluded.district, token_hash = excluded.token_hash",
        site_id,
        name,
        province,
        district,
        token_hash(token),
    )
    return token


async def check_site(pool: asyncpg.Pool, site_id: str, token: str) -> None:
    """`unauthorized` unless `token` is the site's."""
    stored = await pool.fetchval("SELECT token_hash FROM sites WHERE id = $1", site_id)
    if stored is None or not hmac.compare_digest(stored, token_hash(token)):
        raise QueueError("unauthorized", f"not the token of site {site_id!r}")


async def add_leader(
    pool: asyncpg.Pool, username: str, password: str, scope: str, value: str, full_name: str = ""
) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope: one of {', '.join(SCOPES)}")
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    await pool.execute(
        "INSERT INTO leaders (username, password_hash, full_name, scope, scope_value, "
        "created_at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (username) DO UPDATE SET "
        "password_hash = excluded.password_hash, full_name = excluded.full_name, "
        "scope = excluded.scope, scope_value = excluded.scope_value, disabled = false",
        username,
        hash_password(password),
        full_name,
        scope,
        value,
        time.time(),
    )


async def audit(
    pool: asyncpg.Pool,
    username: str,
    action: str,
    address: str = "",
    detail: dict[str, Any] | None = None,
    at: float | None = None,
) -> None:
    """Keep one line of the leaders' audit: sign_in, sign_in_refused, sign_in_limited,
    sign_out or export (with what was exported in `detail`)."""
    await pool.execute(
        "INSERT INTO leader_audit (at, username, action, address, detail) "
        "VALUES ($1, $2, $3, $4, $5::jsonb)",
        time.time() if at is None else at,
        username[:64],
        action,
        address,
        dumps_text(detail or {}),
    )


async def login(pool: asyncpg.Pool, username: str, password: str, address: str = "") -> str:
    """A session token for a leader whose password matches, or `unauthorized`; either
    way, a line of the audit."""
    row = await pool.fetchrow(
        "SELECT password_hash FROM leaders WHERE username = $1 AND NOT disabled", username
    )
    if row is None or not verify_password(password, row["password_hash"]):
        await audit(pool, username, "sign_in_refused", address)
        raise QueueError("unauthorized", "wrong username or password")
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO leader_sessions VALUES ($1, $2, $3)",
        token_hash(token),
        username,
        time.time() + SESSION_SECONDS,
    )
    await audit(pool, username, "sign_in", address)
    return token


async def logout(pool: asyncpg.Pool, token: str, address: str = "") -> None:
    """End the session of `token` (any later request with it: `unauthorized`)."""
    username = await pool.fetchval(
        "DELETE FROM leader_sessions WHERE token_hash = $1 RETURNING username", token_hash(token)
    )
    if username is None:
        raise QueueError("unauthorized")
    await audit(pool, username, "sign_out", address)


async def session(pool: asyncpg.Pool, token: str) -> Leader:
    """The leader signed in with `token`, or `unauthorized`."""
    row = await pool.fetchrow(
        "SELECT l.username, l.scope, l.scope_value FROM leader_sessions s "
        "JOIN leaders l USING (username) WHERE s.token_hash = $1 AND s.expires_at > $2 "
        "AND NOT l.disabled",
        token_hash(token),
        time.time(),
    )
    if row is None:
        raise QueueError("unauthorized")
    return Leader(row["username"], row["scope"], row["scope_value"])
