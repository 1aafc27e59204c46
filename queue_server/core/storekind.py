"""Which store a `--db` names: a SQLite file (the default) or a PostgreSQL URL (issue 19).

Apart from `core/pgstore.py` so that a SQLite site imports no PostgreSQL driver."""

from __future__ import annotations

from pathlib import Path

SCHEMES = ("postgresql://", "postgres://")


def pgstore_wanted(db: str | Path) -> bool:
    """Whether `--db` names a PostgreSQL database rather than a SQLite file."""
    return str(db).startswith(SCHEMES)


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer version of the server (either store)."""
