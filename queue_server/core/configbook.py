"""The configuration as versions in the database: seed, read, export, compare.

A version is the whole validated document written as canonical TOML (`canonical`),
so a key added to the configuration later needs nothing here. The TOML file seeds a
new database as version 1; every later version is written by the single writer in
the same transaction as its `ConfigChanged` event (`core/engine.py`), and a restore
is a new version holding an old document. Devices are not in the versions: their
tokens live hashed in the `devices` table (`core/devicekeys.py`).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Mapping
from typing import Any

import tomli_w

from queue_server.core.store import Store
from queue_server.domain.config import SiteConfig, read_config

SEED_AUTHOR = "tệp cấu hình"  # the author of version 1, seeded from the TOML file
NOT_VERSIONED = ("devices",)  # kept in their own table, tokens hashed


def canonical(document: Mapping[str, Any]) -> str:
    """The document as TOML text, without the devices: what a version stores and exports."""
    return tomli_w.dumps({k: v for k, v in document.items() if k not in NOT_VERSIONED})


def config_of(text: str, version: int, given: SiteConfig | None = None) -> SiteConfig:
    """A stored version, validated again (by the same validator as the file); `given`
    itself when it was read from that very document (the server was started with the
    file that seeded it: tests hand in a configuration changed after reading)."""
    if given is not None and canonical(given.document) == text:
        return given
    return with_catalogue(read_config(text.encode(), f"version {version}"), given)


def with_catalogue(config: SiteConfig, source: SiteConfig | None) -> SiteConfig:
    """`config` with the procedure catalogue `source` holds, when both name the same file
    (`[procedures] catalogue`): a version stores the file's name, not the catalogue read
    from it at start, so without this a change made in /quan-tri (or a restart after
    one) would leave the kiosk's guides and the dossier desk without procedures."""
    if (
        source is not None
        and not config.procedures
        and config.procedures_file == source.procedures_file
    ):
        return dataclasses.replace(config, procedures=source.procedures)
    return config


def document_of(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def diff(old: str, new: str, old_name: str = "before", new_name: str = "after") -> str:
    """A unified diff of two versions' TOML, for the audit log and the admin screen."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=1
        )
    )


class ConfigBook:
    """Reads the versions; version 1 is written here, the others by the writer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def current(self, seed: SiteConfig, now: float) -> tuple[int, SiteConfig]:
        """The latest version; a new database is seeded with `seed` (the TOML file)."""
        latest = await self.store.config_version()
        if latest is not None:
            return latest[0], config_of(latest[1], latest[0], seed)
        text = canonical(seed.document)

        def write(conn: Any) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO config_versions (version, at, author, note, document)"
                    " VALUES (1, ?, ?, ?, ?)",
                    (now, SEED_AUTHOR, seed.source, text),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self.store.write(write)
        return 1, seed

    async def text(self, version: int) -> str | None:
        found = await self.store.config_version(version)
        return None if found is None else found[1]

    async def versions(self) -> list[dict[str, Any]]:
        """Every version, newest first, without the documents."""
        async with self.store.reader.execute(
            "SELECT version, at, author, note FROM config_versions ORDER BY version DESC"
        ) as cursor:
            rows = await cursor.fetchall()
        return [{"version": v, "at": at, "author": a, "note": n} for v, at, a, n in rows]
