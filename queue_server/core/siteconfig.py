"""The site configuration file: read from the disk, validated by the domain."""

from __future__ import annotations

from pathlib import Path

from queue_server.domain.config import ConfigError, SiteConfig, read_config


def load_config(path: str | Path) -> SiteConfig:
    """Read and validate a site configuration file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    return read_config(raw, str(path))
