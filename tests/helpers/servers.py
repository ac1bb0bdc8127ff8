"""Real database and queue servers of the tests' own: PostgreSQL (initdb in a temporary folder,
run as the `postgres` user, on a Unix socket only) and Redis (on loopback). Both need root, as
the suite's set-up gives it; neither touches a server the machine may already run."""

from __future__ import annotations

import contextlib
import itertools
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


class PostgresServer:
    """One PostgreSQL server: `start`, `stop` (as a power cut or an administrator would: clients
    are cut off mid-transaction), `new_database` (a fresh empty database's SQLAlchemy URL)."""

    def __init__(self, port: int):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            pytest.fail("PostgreSQL is missing; run: bash scripts/setup.sh --test")
        self.bin_dir, self.port = found[-1].parent, port
        self.user = pwd.getpwnam("postgres")
        self.folder = Path(tempfile.mkdtemp(prefix="scan-station-pg-"))
        shutil.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self._names = itertools.count(1)
        self._as_postgres("initdb", "-D", self.folder / "data", "-A", "trust", "-U", "postgres", "--no-sync",
                          "-E", "UTF8")

    def _as_postgres(self, program: str, *args: object) -> None:
        subprocess.run(
            ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
             self.bin_dir / program, *map(str, args)],
            check=True, capture_output=True, cwd=self.folder,
        )

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", self.folder / "data", "-l", self.folder / "log", "-w", "start", "-o",
                          f"-k {self.folder} -c listen_addresses='' -c fsync=off -p {self.port}")

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop")

    def new_database(self, template: str = "") -> str:
        """A new database's SQLAlchemy URL: empty, or a copy of the database at URL `template`
        (which nobody may be connected to)."""
        import psycopg

        name = f"scan_{next(self._names)}"
        copy = f" TEMPLATE {template.split('@/', 1)[1].split('?', 1)[0]}" if template else ""
        with psycopg.connect(host=str(self.folder), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}{copy}")
        return f"postgresql+psycopg://postgres@/{name}?host={self.folder}&port={self.port}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A Redis server on a free loopback port, nothing saved; yields its URL."""
    import redis

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing; run: bash scripts/setup.sh --test")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def redis_keys(url: str) -> list[tuple[bytes, bytes]]:
    """Every key of the Redis database at `url`, dumped (a queue's jobs, to `restore_keys` elsewhere)."""
    import redis

    client = redis.Redis.from_url(url)
    return [(key, client.dump(key)) for key in client.keys("*")]


def restore_keys(url: str, keys: list[tuple[bytes, bytes]]) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key, value in keys:
        client.restore(key, 0, value)
