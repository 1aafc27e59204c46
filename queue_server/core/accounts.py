"""Officers' accounts, login sessions and the audit log.

Passwords are stored as scrypt hashes. Session tokens are random and stored only
as their SHA-256, so a copy of the database does not let anyone sign in. This
module has its own connection: logins and audit lines never enter the queue
writer's transactions.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from queue_protocol.errors import QueueError
from queue_server.core.store import connect
from vntext import nfc

ROLES = ("officer", "supervisor", "leader", "admin")
COUNTER_ROLES = frozenset({"officer", "supervisor", "admin"})
BOARD_ROLES = frozenset({"supervisor", "leader", "admin"})  # who watches the floor (/giam-sat)
SESSION_SECONDS = 12 * 3600
T = TypeVar("T")
Writer = Callable[[Callable[[sqlite3.Connection], int]], Awaitable[int]]
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# scrypt needs 16 MiB a call; each thread that ran one keeps its own malloc arena of that
# size for good, so 30 officers signing in at once left ~100 MB behind. Hashing runs
# on this one small pool instead of the default executor's threads.
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")


async def _hashing(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, function, *args)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual.hex(), digest)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified against for an unknown or disabled user:
    the answer then costs one scrypt either way, so its time does not tell which
    usernames exist."""
    return hash_password(secrets.token_urlsafe(32))


def _verify_user(password: str, stored: str | None) -> bool:
    """`verify_password`, against the dummy hash when there is no such user."""
    return verify_password(password, _dummy_hash() if stored is None else stored)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Officer:
    username: str
    role: str
    full_name: str = ""  # "Nguyễn Thị Hoa", shown on the counter screens; may be empty


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    full_name: str
    disabled: bool
    last_login: float | None  # when it last signed in, if ever


class Accounts:
    def __init__(self, db: aiosqlite.Connection, writer: Writer | None = None) -> None:
        self.db = db
        self._writer = writer

    @classmethod
    async def open(cls, path: str | Path, writer: Writer | None = None) -> Accounts:
        """Open the accounts of a database the `Store` has already migrated. In the
        server, `writer` is the store's single writer (`Store.write`): a connection of
        its own that writes beside a writer committing without pause waited for the
        lock until SQLite gave up ("database is locked", a 500 on sign-in under load)."""
        return cls(await connect(path), writer)

    async def _write(self, sql: str, params: tuple = ()) -> int:
        """One change (its own transaction); how many rows it touched."""
        if self._writer is not None:
            return await self._writer(lambda conn: conn.execute(sql, params).rowcount)
        cur = await self.db.execute(sql, params)
        return cur.rowcount

    async def close(self) -> None:
        await self.db.close()

    async def audit(self, actor: str, action: str, detail: str = "") -> None:
        await self._write(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (time.time(), actor, action, detail),
        )

    async def add_user(
        self, username: str, role: str, password: str, *, full_name: str = "", actor: str = "cli"
    ) -> None:
        """Create the account, or reset its password and role and enable it again; a
        full name replaces the one stored (none given: it stays)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username or not username.isprintable() or len(password) < 8:
            raise ValueError("the username must be printable and the password 8+ characters")
        hashed = await _hashing(hash_password, password)
        await self._write(
            "INSERT INTO users (username, role, password_hash, created_at, full_name) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET role=excluded.role, "
            "password_hash=excluded.password_hash, disabled=0, "
            "full_name=COALESCE(NULLIF(excluded.full_name, ''), users.full_name)",
            (username, role, hashed, time.time(), nfc(" ".join(full_name.split()))),
        )
        await self.audit(actor, "user_add", f"{username} as {role}")

    async def disable_user(self, username: str, *, actor: str = "cli") -> None:
        """The account can no longer sign in; its sessions end (at its next request or
        reconnect). `add_user` enables it again."""
        if not await self._write("UPDATE users SET disabled = 1 WHERE username = ?", (username,)):
            raise ValueError(f"no account named {username!r}")
        await self._write("DELETE FROM sessions WHERE username = ?", (username,))
        await self.audit(actor, "user_disable", username)

    async def password_hash(self, username: str) -> str | None:
        """The stored hash of an enabled account (None: no such account, or disabled)."""
        async with self.db.execute(
            "SELECT password_hash FROM users WHERE username = ? AND disabled = 0", (username,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def update_user(
        self, username: str, *, role: str | None, full_name: str | None, actor: str
    ) -> None:
        """A new role or full name for an existing account."""
        if role is not None and role not in ROLES:
            raise QueueError("bad_request", f"role: must be one of {', '.join(ROLES)}")
        changed = await self._write(
            "UPDATE users SET role = COALESCE(?, role), full_name = COALESCE(?, full_name)"
            " WHERE username = ?",
            (role, None if full_name is None else nfc(" ".join(full_name.split())), username),
        )
        if changed == 0:
            raise QueueError("bad_request", f"username: no account named {username!r}")
        await self.audit(actor, "user_update", f"{username}: role={role} name={full_name}")

    async def session_list(self) -> list[dict]:
        """Sessions still valid: an id (a prefix of the token's hash), who, since, until."""
        async with self.db.execute(
            "SELECT substr(token_hash, 1, 16), username, created_at, expires_at FROM sessions"
            " WHERE expires_at > ? ORDER BY created_at DESC",
            (time.time(),),
        ) as cur:
            rows = await cur.fetchall()
        keys = ("id", "username", "created_at", "expires_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def end_session_by_id(self, session_id: str, *, actor: str) -> None:
        if len(session_id) != 16:
            raise QueueError("bad_request", "id: not a session id")
        ended = await self._write(
            "DELETE FROM sessions WHERE substr(token_hash, 1, 16) = ?", (session_id,)
        )
        if ended == 0:
            raise QueueError("bad_request", "id: no such session")
        await self.audit(actor, "session_ended", session_id)

    async def users(self) -> list[Account]:
        """Every account, by name."""
        async with self.db.execute(
            "SELECT u.username, u.role, u.full_name, u.disabled, "
            "(SELECT MAX(at) FROM audit a WHERE a.actor = u.username AND a.action = 'login') "
            "FROM users u ORDER BY u.username",
        ) as cur:
            rows = await cur.fetchall()
        return [
            Account(name, role, full, bool(disabled), last)
            for name, role, full, disabled, last in rows
        ]

    async def login(
        self, username: str, password: str, *, origin: str = ""
    ) -> tuple[str, str, float]:
        """A new session token for a valid password: (token, role, expires_at)."""
        async with self.db.execute(
            "SELECT role, password_hash FROM users WHERE username = ? AND disabled = 0",
            (username,),
        ) as cur:
            row = await cur.fetchone()
        valid = await _hashing(_verify_user, password, None if row is None else row[1])
        if row is None or not valid:
            await self.audit(username, "login_failed", origin)
            raise QueueError("bad_login")
        token = secrets.token_urlsafe(32)
        now = time.time()
        await self._write(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (_token_hash(token), username, now, now + SESSION_SECONDS),
        )
        await self.audit(username, "login", origin)
        return token, row[0], now + SESSION_SECONDS

    async def end_sessions(self, username: str) -> int:
        """End every session of an account (it can sign in again); how many there were."""
        return await self._write("DELETE FROM sessions WHERE username = ?", (username,))

    async def session(self, token: str) -> Officer | None:
        """The officer a token belongs to, while the session is valid."""
        async with self.db.execute(
            "SELECT u.username, u.role, u.full_name FROM sessions s "
            "JOIN users u USING (username) "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            (_token_hash(token), time.time()),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else Officer(*row)
