"""Opening a collection: locate it, check what it is, create it, or migrate it with Alembic when it is behind.

Nothing here imports SQLAlchemy or Alembic unless an older collection has to be migrated: opening an
up-to-date collection costs one sqlite3 connection and one query, and a new one is created from the current
schema's SQL (schema.py) in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .errors import CollectionError

# Every revision this version knows, oldest first; tests check it against migrations/versions.
SCHEMA_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0007", "0008", "0009", "0010", "0011")
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


# Tables every revision has: a file with an `alembic_version` but without these is another program's.
_OUR_TABLES = frozenset({"alembic_version", "deck", "card", "review"})
# `PRAGMA quick_check` before the first write reads the whole file: done when it costs little (a collection of
# tens of thousands of cards and reviews), beyond that `dva-cards check` is the full check.
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


def connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing, current collection, or a new one (created and migrated), that cannot write
    until `allow_writes` has verified the collection.

    A reading command never changes the file, and a damaged or foreign file is refused before anything
    (journal mode included) is set on it. The connection is SQLite's ordinary one with `query_only` on: it
    takes part in WAL locking like any writer, and closing it folds a `-wal` a crash left into the file.
    """
    check_collection_path(path)
    revision = _inspect(path)
    if revision is None or revision != SCHEMA_HEAD:
        with _migration_lock(path):
            # Another dva-cards may have created or upgraded it while this one waited for the lock.
            revision = _inspect(path)
            if revision is None or revision != SCHEMA_HEAD:
                _migrate(path, revision)
    if _has_pending_wal(path):
        _verify(path, "opened")  # closing the connection would fold the -wal into a damaged file
    return _reading_connection(path)


def schema_revision(path: Path) -> str | None:
    """The revision of the collection at `path` (None: nothing there yet), read without changing anything."""
    return _inspect(path)


def copy_collection(path: Path, target: Path) -> None:
    """A consistent copy of the collection (SQLite's online backup), read without writing to it."""
    source = sqlite3.connect(Path(os.path.realpath(path)).as_uri() + "?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def open_for_check(path: Path) -> tuple[sqlite3.Connection, str]:
    """A connection that cannot write, and the schema revision, of the collection at `path` as it is: nothing
    is created or upgraded (`dva-cards check` reports; it does not change what it examines)."""
    revision = _inspect(path)
    if revision is None:
        raise CollectionError(f"no collection at {path} yet")
    return _reading_connection(path), revision


class AheadCheck:
    """`quick_check` of a collection started ahead of its first write, on a thread and a connection of its
    own: a command with work to do before it writes (an import parsing notes) has the check run meanwhile,
    since SQLite lets go of the interpreter while it reads. It checks the collection as committed when it
    runs; `allow_writes` takes its findings, or checks again itself if it could not run."""

    running: set[AheadCheck] = set()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._problems: list[str] | None = None  # None: not run, or failed (the writer checks itself)
        self._thread = threading.Thread(target=self._run, name="dva-cards quick_check", daemon=True)
        AheadCheck.running.add(self)
        self._thread.start()

    def _run(self) -> None:
        with suppress(sqlite3.Error):
            self._problems = _quick_check_apart(self.path)

    def problems(self) -> list[str] | None:
        """What the check found (empty when sound); None when it could not run."""
        self._thread.join()
        AheadCheck.running.discard(self)
        return self._problems


def end_ahead_checks() -> None:
    """Wait for every check started ahead: before a fork, since the child of a process with other threads
    running may deadlock on a lock one of them held."""
    for check in list(AheadCheck.running):
        check.problems()


def check_ahead(path: Path) -> AheadCheck | None:
    """Start the check `allow_writes` would run, when it would run one (see `AheadCheck`)."""
    try:
        small = path.stat().st_size <= QUICK_CHECK_MAX_BYTES
    except OSError:
        return None
    return AheadCheck(path) if small else None


def allow_writes(connection: sqlite3.Connection, path: Path, ahead: AheadCheck | None = None) -> None:
    """Let `connection` write, once the collection is verified (`quick_check` when cheap; its findings taken
    from `ahead` when that ran)."""
    try:
        if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            found = ahead.problems() if ahead is not None else None
            problems = integrity_problems(connection, quick=True) if found is None else found
            if problems:
                raise CollectionError(
                    f"collection {path} is damaged ({problems[0]}); it was not changed. "
                    "`dva-cards check` tells more; restore a backup"
                )
        connection.execute("PRAGMA query_only=OFF")
    except sqlite3.DatabaseError as error:
        raise CollectionError(f"collection {path} is damaged or unreadable: {error}") from None
    except OSError as error:
        raise CollectionError(f"cannot open collection {path}: {error.strerror or error}") from None


def integrity_problems(connection: sqlite3.Connection, *, quick: bool) -> list[str]:
    """What SQLite's integrity check finds wrong (`quick_check` skips the index contents); empty when sound."""
    pragma = "quick_check" if quick else "integrity_check"
    rows = [str(row[0]) for row in connection.execute(f"PRAGMA {pragma}")]
    return [] if rows == ["ok"] else rows


def check_collection_path(path: Path) -> None:
    """Only a regular file, or nothing, may be a collection: never a device, a FIFO or a directory.

    A `-wal` or `-shm` without its database is refused: a new collection would adopt it and be corrupt.
    """
    try:
        status = path.stat()  # follows a symlink: a symlinked collection is the file it points to
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise CollectionError(f"cannot open collection {path}: {error.strerror or error}") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        what = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise CollectionError(f"collection path {path} is {what}; give a file path with --db")
    if status is None or status.st_size == 0:
        for suffix in ("-wal", "-shm"):
            leftover = _sibling(path, suffix)
            if os.path.lexists(leftover):
                raise CollectionError(
                    f"{leftover} is left without its collection {path.name}: it may hold another collection's "
                    f"answers. Restore {path.name} beside it, or move {leftover.name} away to start a new one"
                )


def _sibling(path: Path, suffix: str) -> Path:
    real = Path(os.path.realpath(path))
    return real.with_name(real.name + suffix)


def _has_pending_wal(path: Path) -> bool:
    try:
        return _sibling(path, "-wal").stat().st_size > 0
    except OSError:
        return False


def _reading_connection(path: Path) -> sqlite3.Connection:
    connection = _raw_connection(path)
    try:
        connection.execute("PRAGMA query_only=ON")
        connection.execute("SELECT 1 FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        connection.close()
        if _sibling(path, "-wal").exists():
            raise CollectionError(f"cannot read collection {path}: {error}") from None
        # A read-only directory: WAL readers need a `-shm` they cannot create there. With no `-wal` the file
        # alone is the whole collection, so it is read as such; nothing can be written there anyway.
        real = Path(os.path.realpath(path))
        connection = sqlite3.connect(real.as_uri() + "?immutable=1", uri=True, isolation_level=None)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise CollectionError(f"collection {path} is damaged or unreadable: {error}") from None
    connection.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across a crash of this process
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _raw_connection(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.Error as error:
        raise CollectionError(f"cannot open collection {path}: {error}") from None
    return connection


def _verify(path: Path, doing: str) -> None:
    """A damaged collection is not backed up, migrated or folded: each would spread or hide the damage."""
    if path.stat().st_size > QUICK_CHECK_MAX_BYTES:
        return
    try:
        problems = _quick_check_apart(path)
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems:
        raise CollectionError(f"collection {path} is damaged ({problems[0]}); it was not {doing} or changed")


def _quick_check_apart(path: Path) -> list[str]:
    """`quick_check` of the collection on a read-only connection of its own (closed after)."""
    real = Path(os.path.realpath(path))
    connection = sqlite3.connect(real.as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return integrity_problems(connection, quick=True)
    finally:
        connection.close()


def _inspect(path: Path) -> str | None:
    """The collection's schema revision; None for a new or empty file. Refuses anything else untouched."""
    check_collection_path(path)
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
            if not tables >= _OUR_TABLES:
                schema = "" if row is None else f" (schema {row[0]})"
                raise CollectionError(
                    f"{path} is another program's database{schema}, not a dva-cards collection"
                )
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
        _verify(path, "upgraded")
        backup = backup_collection(path, revision)
        try:
            _upgrade(path, path)
            _use_wal(path)
        except BaseException:
            # The failed upgrade changed nothing: the backup would only pile up, one more on every run.
            backup.unlink(missing_ok=True)
            raise
        return
    real = Path(os.path.realpath(path))  # a symlinked collection path stays a symlink
    building = real.with_name(real.name + ".new")
    building.unlink(missing_ok=True)  # left by a creation that was killed; the lock is ours now
    try:
        _create(building, path)
        _use_wal(building)
        os.replace(building, real)
    finally:
        building.unlink(missing_ok=True)


def _create(target: Path, path: Path) -> None:
    """A new collection at head: the current schema's statements and the head's stamp, in one transaction.

    No migration history to replay, and neither Alembic nor SQLAlchemy to load (a third of a second): the
    statements are what the migrations leave, verbatim (tests/test_schema_current.py compares the two).
    """
    from .schema import REVISION, ROWS, STATEMENTS

    if REVISION != SCHEMA_HEAD:  # a new migration without its statements in schema.py
        _upgrade(target, path)
        return
    try:
        connection = sqlite3.connect(target, isolation_level=None)
    except sqlite3.Error as error:
        raise CollectionError(f"cannot create collection {path}: {error}") from None
    try:
        connection.execute("BEGIN IMMEDIATE")
        for statement in (*STATEMENTS, *ROWS):
            connection.execute(statement)
        connection.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (SCHEMA_HEAD,))
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        raise CollectionError(f"could not create collection {path}: {error}") from None
    finally:
        connection.close()


def _use_wal(target: Path) -> None:
    """WAL mode is a property of the file, set once when it is created or upgraded (readers never set it)."""
    connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
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
        # SQLAlchemy's message carries the statement and a web link: the driver's own words are the one line.
        cause = getattr(error, "orig", None) or error
        raise CollectionError(f"could not upgrade collection {path}, it was not changed: {cause}") from error
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
            # Never through a symlink, never onto a device or FIFO: a regular file of our own or nothing.
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise CollectionError(f"{lock} is in the way (not a regular file): move it away")
            handle = os.fdopen(fd, "a+b")  # noqa: SIM115 - held across the yield
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
    """A consistent copy (SQLite's online backup) beside the collection, before a migration touches it.

    The backup is a new regular file: whatever already has its name (a file, a link, a FIFO) is left alone and
    the backup refused; a failed copy leaves no empty or partial file behind.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{revision}-{stamp}.bak")
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except OSError as error:
        raise CollectionError(
            f"cannot write the backup {target} before upgrading: {error.strerror or error}"
        ) from None
    try:
        copy_collection(path, target)
    except BaseException as error:
        target.unlink(missing_ok=True)
        if isinstance(error, sqlite3.Error):
            raise CollectionError(f"cannot back up collection {path} before upgrading: {error}") from None
        raise
    return target
