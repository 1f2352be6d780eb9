"""A throwaway PostgreSQL server for the sync tests: `initdb` and `pg_ctl` in a temporary directory, on a free
local port, its unix socket in that directory too; stopped at the end of the session.

Debian's `postgresql` package puts the programs under /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user. Host connections need a password (the tests
pass it through PGPASSWORD, as a learner would); the socket trusts the local user.

Where no server can be started the tests skip, saying why -- unless DVA_CARDS_REQUIRE_PG=1 (CI), where that is
a failure.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "pg-test-secret"
_names = itertools.count()


@dataclass(frozen=True)
class Server:
    port: int
    socket_dir: Path

    def create_database(self) -> str:
        """A new empty database; its `postgresql://` URL (no password in it: PGPASSWORD carries it)."""
        import psycopg

        name = f"sync_{os.getpid()}_{next(_names)}"
        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("DVA_CARDS_REQUIRE_PG") == "1":
        pytest.fail(f"a PostgreSQL server is required (DVA_CARDS_REQUIRE_PG=1) but {reason}")
    pytest.skip(f"no PostgreSQL server for the sync tests: {reason}")


class Unavailable(Exception):
    """No server could be started here; the message says why."""


@contextmanager
def running_server() -> Iterator[Server]:
    """A throwaway server for as long as the block runs (also for the sync benchmark)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install 'dva-cards[sync]')") from None
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Unavailable("initdb/pg_ctl not found (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="dva-cards-pg-")
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        try:
            shutil.chown(root, "postgres")
        except (LookupError, OSError) as error:
            raise Unavailable(
                f"running as root and no `postgres` user to run the server as ({error})"
            ) from None
    data = Path(root) / "data"
    pwfile = Path(root) / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    log = Path(root) / "log"
    try:
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(
            f"the server did not start ({error}; {detail.decode(errors='replace').strip()[:200]})"
        ) from None
    try:
        yield Server(port, Path(root))
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    try:
        with running_server() as server:
            yield server
    except Unavailable as why:
        _unavailable(str(why))


@pytest.fixture
def pg_url(pg_server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database on the session's server, with PGPASSWORD set as a learner would set it."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    return pg_server.create_database()
