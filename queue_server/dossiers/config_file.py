"""`[dossiers]` read from the site configuration file (validated by the domain)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from queue_server.domain.config import ConfigError, SiteConfig
from queue_server.domain.dossier_config import DossierConfig, parse_dossier_config


def load_dossier_config(path: str | Path, site: SiteConfig) -> DossierConfig:
    """The file's `[dossiers]` table (the built-in store when there is none)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read: {exc}") from None
    table = data.get("dossiers", {})
    if not isinstance(table, dict):
        raise ConfigError(str(path), "dossiers", "must be a table")
    return parse_dossier_config(table, str(path), tuple(site.services))
