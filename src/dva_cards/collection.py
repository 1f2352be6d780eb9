"""Opening a collection: locate it, check what it is, migrate it with Alembic when it is behind.

Nothing here imports SQLAlchemy or Alembic unless a migration has to run: opening an up-to-date collection
costs one sqlite3 connection and one query.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from .errors import CollectionError

# Every revision this version knows, oldest first; tests check it against migrations/versions.
SCHEMA_REVISIONS = ("0001",)
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

_SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


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
        uri = path.resolve().as_uri() + "?mode=ro"
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
    """Back up an existing collection, then bring it to head with Alembic. A new file starts at head."""
    if revision is not None:
        backup_collection(path, revision)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    from alembic import command
    from alembic.config import Config

    from .resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    try:
        command.upgrade(config, "head")
    except Exception as error:
        raise CollectionError(f"could not upgrade collection {path}: {error}") from error


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
