"""aiohttp imported without reading the whole CA bundle (issue 18: idle ≤ 50 MiB).

aiohttp builds two TLS client contexts when it is imported (`aiohttp/connector.py`),
and OpenSSL reads the system's whole CA bundle (`ca-certificates.crt`, ≈ 140
certificates) into each: ≈ 2 MB of a server that may never open a TLS connection.
While aiohttp is imported here, the bundle file is hidden (`SSL_CERT_FILE` names no
file), so those two contexts keep only OpenSSL's CA directory (`/etc/ssl/certs`, a
file per certificate under its subject hash, kept beside the bundle by Debian's
`update-ca-certificates`), from which OpenSSL reads a certificate when a server's
chain asks for it. The same authorities are trusted. Nothing else changes: the
environment is restored at once, and every context made afterwards
(`ssl.create_default_context()`, the Zalo and mail channels' own) reads the bundle as
before. Nothing is hidden when the environment chooses another bundle
(`SSL_CERT_FILE`) or the directory in force (`SSL_CERT_DIR`, else OpenSSL's own)
holds no hashed certificates (another layout).

`python -m queue_server` imports this module before anything imports aiohttp.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
from collections.abc import Iterator

HASHED = re.compile(r"[0-9a-f]{8}\.[0-9]+")
NO_BUNDLE = "/nonexistent/xephang-ca-bundle-read-later"


def hashed_directory(path: str | None) -> bool:
    """True if `path` holds certificates under their subject hash (`1a2b3c4d.0`)."""
    if not path:
        return False
    try:
        return any(HASHED.fullmatch(name) for name in os.listdir(path))
    except OSError:
        return False


def same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


@contextlib.contextmanager
def bundle_read_later() -> Iterator[bool]:
    """Within: TLS contexts made trust the CA directory only; True if it was so."""
    paths = ssl.get_default_verify_paths()
    name = paths.openssl_cafile_env
    chosen = os.environ.get(name)
    if (chosen and not same_file(chosen, paths.openssl_cafile)) or not hashed_directory(
        paths.capath
    ):
        yield False  # another bundle was chosen, or no directory to fall back on
        return
    os.environ[name] = NO_BUNDLE
    try:
        yield True
    finally:
        if chosen is None:
            del os.environ[name]
        else:
            os.environ[name] = chosen


with bundle_read_later():
    import aiohttp  # noqa: F401  (its two contexts: see the module's text)
