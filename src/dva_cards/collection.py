"""Opening a collection: locate it, check what it is, create it, or migrate it with Alembic when it is behind.

Nothing here imports SQLAlchemy or Alembic unless an older collection has to be migrated: opening an
up-to-date collection costs one sqlite3 connection and one query, and a new one is created from the current
schema's SQL (schema.py) in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .errors import CollectionError

# Every revision this version knows, oldest first; tests check it against migrations/versions.
SCHEMA_REVISIONS = ("0001", "0002", "0003", "0004", "0007", "0008")
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

_SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
MIGRATION_WAIT_S = 120  # a big collection's upgrade may take a while


def default_collection_path() -> Path:
    configured = os.environ.get("DVA_CARDS_DB")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_path

    return user_data_path("dva-cards", appauthor=False) / "collection.db"


def connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing, current collection, or a new one (created and migrated)."""
    revision = _inspect(path)
    if revision is None or revision != SCHEMA_HEAD:
        with _migration_lock(path):
            # Another dva-cards may have created or upgraded it while this one waited for the lock.
            revision = _inspect(path)
            if revision is None or revision != SCHEMA_HEAD:
                _migrate(path, revision)
    connection = _raw_connection(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across a crash of this process
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _raw_connection(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as error:
        raise CollectionError(f"cannot open collection {path}: {error}") from None
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def _inspect(path: Path) -> str | None:
    """The collection's schema revision; None for a new or empty file. Refuses anything else untouched."""
    if path.is_dir():
        raise CollectionError(f"collection path is a directory: {path}")
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise CollectionError(f"cannot read collection {path}: {error.strerror or error}") from None
    if header != _SQLITE_HEADER:
        raise CollectionError(f"{path} is not a dva-cards collection (not an SQLite database)")
    try:
        real = path.resolve()
        uri = real.as_uri() + "?mode=ro"
        if not any(real.with_name(real.name + suffix).exists() for suffix in ("-wal", "-shm", "-journal")):
            # The file alone is the whole database: read it as such, so that inspecting a collection this
            # version then refuses leaves no -wal/-shm beside it (a read-only WAL reader creates them).
            uri += "&immutable=1"
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "alembic_version" not in tables:
                if tables:
                    raise CollectionError(f"{path} is an SQLite database but not a dva-cards collection")
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise CollectionError(f"collection {path} is damaged or unreadable: {error}") from None
    if row is None:
        raise CollectionError(f"{path} has no schema revision: not a dva-cards collection")
    revision = str(row[0])
    if revision not in SCHEMA_REVISIONS:
        raise CollectionError(
            f"collection {path} has schema {revision}, newer than this dva-cards knows (up to {SCHEMA_HEAD}): "
            "upgrade dva-cards"
        )
    return revision


def _migrate(path: Path, revision: str | None) -> None:
    """Back up an existing collection, then bring it to head with Alembic. A new file is created at head.

    A new collection is built under a temporary name and renamed into place, so another dva-cards started at
    the same moment never sees it half-made (tables without a revision look like another app's database).
    """
    if revision is not None:
        backup_collection(path, revision)
        _upgrade(path, path)
        return
    real = Path(os.path.realpath(path))  # a symlinked collection path stays a symlink
    building = real.with_name(real.name + ".new")
    building.unlink(missing_ok=True)  # left by a creation that was killed; the lock is ours now
    try:
        _create(building, path)
        os.replace(building, real)
    finally:
        building.unlink(missing_ok=True)


def _create(target: Path, path: Path) -> None:
    """A new collection at head: the current schema's statements and the head's stamp, in one transaction.

    No migration history to replay, and neither Alembic nor SQLAlchemy to load (a third of a second): the
    statements are what the migrations leave, verbatim (tests/test_schema_current.py compares the two).
    """
    from .schema import REVISION, STATEMENTS

    if REVISION != SCHEMA_HEAD:  # a new migration without its statements in schema.py
        _upgrade(target, path)
        return
    try:
        connection = sqlite3.connect(target, isolation_level=None)
    except sqlite3.Error as error:
        raise CollectionError(f"cannot create collection {path}: {error}") from None
    try:
        connection.execute("BEGIN IMMEDIATE")
        for statement in STATEMENTS:
            connection.execute(statement)
        connection.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (SCHEMA_HEAD,))
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        raise CollectionError(f"could not create collection {path}: {error}") from None
    finally:
        connection.close()


def _upgrade(target: Path, path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, event

    from .resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # The connection is handed over, not a URL: a path is no URL (`?`, `#` and `%` mean something there).
    # The driver's own transaction handling is off and the whole upgrade runs in one BEGIN IMMEDIATE ...
    # COMMIT, DDL included (SQLAlchemy's recipe for pysqlite), so a failed or killed migration changes nothing.
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None),
    )
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as error:
        raise CollectionError(f"could not upgrade collection {path}: {error}") from error
    finally:
        engine.dispose()


@contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    """One dva-cards at a time creates or upgrades a collection: the others wait here, then find it done.

    An OS lock on `<collection>.lock` (released by the OS if the holder dies, even by kill -9). SQLite's own
    locks cannot serve: Alembic works through connections of its own. The holder deletes the file before it
    lets go, so nothing is left beside the collection; a waiter that then gets the lock of a deleted file
    starts over with the current one.
    """
    real = Path(os.path.realpath(path))
    lock = real.with_name(real.name + ".lock")
    deadline = time.monotonic() + MIGRATION_WAIT_S
    while True:
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock, "a+b")  # noqa: SIM115 - held across the yield
        except OSError as error:
            raise CollectionError(f"cannot create collection {path}: {error.strerror or error}") from None
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                handle.close()
                raise CollectionError(
                    f"collection {path} is being created or upgraded by another dva-cards; try again"
                )
            time.sleep(0.05)
        try:
            if os.path.samestat(os.fstat(handle.fileno()), os.stat(lock)):
                break
        except OSError:
            pass
        handle.close()
    try:
        yield
    finally:
        with suppress(OSError):  # Windows keeps an open file: the next holder reuses it
            lock.unlink()
        handle.close()  # releases the lock


def _try_lock(handle: BinaryIO) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def backup_collection(path: Path, revision: str) -> Path:
    """A consistent copy (SQLite's online backup) beside the collection, before a migration touches it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{revision}-{stamp}.bak")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target
