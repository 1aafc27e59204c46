"""Issue 18 (idle memory): the served process imports aiohttp without OpenSSL reading
the whole CA bundle into aiohttp's two default TLS contexts (`core/tls.py`), and those
contexts still verify a server by the CA directory — and refuse one they do not trust.
Real TLS over loopback: trustme's authorities, an aiohttp HTTPS server, aiohttp's
client with its default context, in a child process (the import happens once)."""

import json
import os
import shutil
import ssl
import subprocess
import sys

import pytest
import trustme

from tests.support import ROOT

CHILD = r"""
import asyncio, json, os, ssl, sys
from queue_server.core import tls  # as python -m queue_server does, before aiohttp
import aiohttp
from aiohttp import web
from aiohttp import connector


async def fetch(port):
    try:
        async with aiohttp.ClientSession() as http:  # aiohttp's default: verified
            async with http.get(f"https://localhost:{port}/") as resp:
                return await resp.text()
    except aiohttp.ClientConnectorCertificateError:
        return "refused"


async def main():
    out = {"read_at_import": connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509"]}
    for name in ("trusted", "untrusted"):
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(sys.argv[1] + f"/{name}.pem")
        app = web.Application()
        app.router.add_get("/", lambda request: web.Response(text="ok"))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        out[name] = await fetch(port)
        await runner.cleanup()
    out["env_after"] = os.environ.get("SSL_CERT_FILE")
    print(json.dumps(out))


asyncio.run(main())
"""


def hash_name(ca_pem) -> str:
    out = subprocess.run(
        ["openssl", "x509", "-subject_hash", "-noout", "-in", str(ca_pem)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip() + ".0"


@pytest.fixture
def certificates(tmp_path):
    """A CA directory holding one authority (under its hash, as update-ca-certificates
    lays it out), a server certificate it signed, and one from an unknown authority."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command (Debian's openssl, a ca-certificates dependency)")
    known, unknown = trustme.CA(), trustme.CA()
    directory = tmp_path / "certs"
    directory.mkdir()
    known.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    (directory / hash_name(tmp_path / "ca.pem")).write_bytes(known.cert_pem.bytes())
    for name, ca in (("trusted", known), ("untrusted", unknown)):
        cert = ca.issue_cert("localhost")
        cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / f"{name}.pem"))
    return tmp_path, directory


def run_child(tmp_path, env: dict[str, str]) -> dict:
    """CHILD's findings, in the environment of this process without its own choice of
    certificates, plus `env`."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        env={**inherited, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.parametrize("named", [False, True], ids=["bundle-unset", "default-bundle-named"])
def test_aiohttp_reads_no_bundle_at_import_and_still_verifies_by_the_directory(certificates, named):
    tmp_path, directory = certificates
    env = {"SSL_CERT_DIR": str(directory)}
    if named:  # as on machines whose environment names the system bundle itself
        env["SSL_CERT_FILE"] = ssl.get_default_verify_paths().openssl_cafile
    out = run_child(tmp_path, env)
    assert out["read_at_import"] == 0
    assert out["trusted"] == "ok"
    assert out["untrusted"] == "refused"
    assert out["env_after"] == env.get("SSL_CERT_FILE")  # the environment as it was


def test_another_bundle_chosen_in_the_environment_is_read_as_before(certificates):
    tmp_path, directory = certificates
    chosen = tmp_path / "chosen.pem"
    chosen.write_bytes(trustme.CA().cert_pem.bytes() + trustme.CA().cert_pem.bytes())
    out = run_child(tmp_path, {"SSL_CERT_DIR": str(directory), "SSL_CERT_FILE": str(chosen)})
    assert out["read_at_import"] == 2
    assert out["trusted"] == "ok"  # the directory is trusted as well
    assert out["env_after"] == str(chosen)
