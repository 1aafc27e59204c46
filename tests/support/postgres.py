"""A real, throw-away PostgreSQL server for tests: Debian's `postgresql` binaries, a
cluster made with `initdb` in a temporary folder, started with `pg_ctl` on a free
loopback port, removed afterwards.

`initdb` and `pg_ctl` refuse to run as root (CI runs as root): then the cluster belongs
to the `postgres` system user the Debian package creates, and every command runs
through `runuser -u postgres --`. Its folder is made under the system's temporary
directory (world-traversable), never in the checkout, so a fresh clone anywhere works.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.servers import free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def pg_binary(name: str) -> str:
    """`initdb`, `pg_ctl`…: Debian keeps them off PATH, under /usr/lib/postgresql/N/bin."""
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return found


class PgCluster:
    """One cluster: `start`, `stop(mode)`, `restart(mode)`; `dsn(database)`."""

    def __init__(self) -> None:
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="xephang-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.superuser = "postgres"
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self._run(
            pg_binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            self.superuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",  # a test cluster: speed over durability of its set-up
        )
        settings = (
            "listen_addresses = '127.0.0.1'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.folder}'\n"
            "max_connections = 200\n"
            "shared_buffers = 64MB\n"
            "fsync = on\n"
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(settings)

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` (clean), or `immediate` (like a crash: recovery at the next start)."""
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
