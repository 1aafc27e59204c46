"""The site configuration file: read from the disk, validated by the domain."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from queue_server.domain.config import ConfigError, SiteConfig, read_config
from queue_server.domain.procedure_import import parse_catalogue


def load_config(path: str | Path) -> SiteConfig:
    """Read and validate a site configuration file, and the procedure catalogue it
    names (`[procedures] catalogue`, relative to the file)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    config = read_config(raw, str(path))
    if not config.procedures_file:
        return config
    file = Path(path).parent / config.procedures_file
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "is not UTF-8 text"
        raise ConfigError(str(path), "procedures.catalogue", f"{file}: {problem}") from None
    catalogue = parse_catalogue(text, str(file), config.services)
    return dataclasses.replace(config, procedures=catalogue)
