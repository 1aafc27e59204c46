"""Kiosks', displays' and rating pads' tokens: registered, hashed, revoked.

A token is shown once, when a device is registered (or taken from the TOML file that
seeds a new database), and stored only as its SHA-256: a copy of the database does not
let anyone connect as a kiosk. The known devices are kept in memory — a hello is
answered without a database read — and written through the store's writer thread.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any

from queue_protocol.errors import QueueError
from queue_server.core.accounts import Accounts, verify_password
from queue_server.core.store import Store
from queue_server.domain.config import DEVICE_ROLES, Device

# the sample site's tokens: public, so a site still using one is warned at every start
SAMPLE_TOKEN = re.compile(r".*(-change-me|-demo-).*")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceKeys:
    """Device id → `Device` (its `token` is the hash), for the ones not revoked."""

    def __init__(self, store: Store, active: dict[str, Device] | None = None) -> None:
        self.store = store
        self.active: dict[str, Device] = {} if active is None else active
        self._by_hash: dict[str, Device] = {}
        self.sample: set[str] = set()  # ids whose token is one of the sample site's

    async def load(self, seed: Iterable[Device], now: float) -> None:
        """Read the devices; those of `seed` (the TOML file) not yet known are added."""
        rows = await self.store.write(_read_all)
        known = {row[0] for row in rows}
        fresh = [d for d in seed if d.id not in known]
        if fresh:
            await self.store.write(
                lambda conn: _transaction(
                    conn,
                    (
                        _INSERT,
                        [
                            (
                                d.id,
                                d.role,
                                token_hash(d.token),
                                now,
                                "tệp cấu hình",
                                _sample(d.token),
                            )
                            for d in fresh
                        ],
                    ),
                )
            )
            rows = await self.store.write(_read_all)
        for device_id, role, hashed, sample, revoked in rows:
            if revoked is None:
                self._keep(Device(device_id, role, hashed), bool(sample))

    def find(self, token: str) -> Device | None:
        return self._by_hash.get(token_hash(token))

    async def register(self, device_id: str, role: str, actor: str, now: float) -> str:
        """A new device; its token, which is not kept anywhere, is returned once."""
        if role not in DEVICE_ROLES:
            raise QueueError("bad_request", f"role must be one of {', '.join(DEVICE_ROLES)}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", device_id):
            raise QueueError("bad_request", "id: lower-case a-z, 0-9, '-' or '_'")
        if device_id in self.active:
            raise QueueError("bad_request", f"id: device {device_id!r} exists; revoke it first")
        token = f"{device_id}-{secrets.token_urlsafe(24)}"
        hashed = token_hash(token)

        await self.store.write(
            lambda conn: _transaction(
                conn,
                ("DELETE FROM devices WHERE id = ? AND revoked_at IS NOT NULL", [(device_id,)]),
                (_INSERT, [(device_id, role, hashed, now, actor, 0)]),
            )
        )
        self._keep(Device(device_id, role, hashed), False)
        return token

    async def revoke(self, device_id: str, now: float) -> Device:
        device = self.active.get(device_id)
        if device is None:
            raise QueueError("bad_request", f"no device {device_id!r}")
        await self.store.write(
            lambda conn: _transaction(
                conn, ("UPDATE devices SET revoked_at = ? WHERE id = ?", [(now, device_id)])
            )
        )
        del self.active[device_id]
        self._by_hash.pop(device.token, None)
        self.sample.discard(device_id)
        return device

    async def listing(self) -> list[dict[str, Any]]:
        rows = await self.store.write(
            lambda conn: conn.execute(
                "SELECT id, role, created_at, created_by, sample, revoked_at FROM devices"
                " ORDER BY revoked_at IS NOT NULL, id"
            ).fetchall()
        )
        keys = ("id", "role", "created_at", "created_by", "sample", "revoked_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def _keep(self, device: Device, sample: bool) -> None:
        self.active[device.id] = device
        self._by_hash[device.token] = device
        if sample:
            self.sample.add(device.id)


# the accounts `scripts/run.sh` makes for the demo, with their public passwords
DEMO_ACCOUNTS = {"demo": "demo-1234", "lanh-dao": "lanh-dao-1234", "quan-tri": "quan-tri-1234"}


async def sample_secrets(accounts: Accounts, keys: DeviceKeys) -> str | None:
    """One loud line naming every sample token and demo account still in use, if any."""
    parts = []
    if keys.sample:
        parts.append(
            f"devices {', '.join(sorted(keys.sample))} still use the sample site's tokens"
            " (register them again in /quan-tri, Thiết bị, and revoke the old ones)"
        )
    demo = []
    for username, password in DEMO_ACCOUNTS.items():
        stored = await accounts.password_hash(username)
        if stored is not None and verify_password(password, stored):
            demo.append(username)
    if demo:
        parts.append(
            f"the demo accounts {', '.join(demo)} are enabled with their public passwords"
            " (disable them or reset their passwords in /quan-tri, Người dùng)"
        )
    return "CẢNH BÁO / WARNING: " + "; ".join(parts) if parts else None


def _sample(token: str) -> int:
    return int(bool(SAMPLE_TOKEN.fullmatch(token)))


def _read_all(conn: Any) -> list[tuple]:
    return conn.execute(
        "SELECT id, role, token_hash, sample, revoked_at FROM devices ORDER BY rowid"
    ).fetchall()


_INSERT = (
    "INSERT INTO devices (id, role, token_hash, created_at, created_by, sample)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def _transaction(conn: Any, *statements: tuple[str, list[tuple]]) -> None:
    """Each (SQL, rows) run over its rows, all in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            conn.executemany(sql, rows)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
