"""A new collection is created from schema.py's SQL, not by replaying the migrations; both must agree exactly."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from dva_cards import collection, schema
from dva_cards.store import Store

PROBE = """
import json, sys
from pathlib import Path
from dva_cards.store import Store
Store.open(Path(sys.argv[1])).close()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def schema_of(path: Path) -> dict[str, Any]:
    """Everything SQLite knows of a collection's structure, and its stamp."""
    connection = sqlite3.connect(path)
    try:
        return {
            "master": connection.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall(),
            "columns": {
                table: connection.execute(f"PRAGMA table_xinfo({table})").fetchall()
                for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            },
            "stamp": connection.execute("SELECT version_num FROM alembic_version").fetchall(),
            "pragmas": [
                connection.execute(f"PRAGMA {name}").fetchall()
                for name in ("user_version", "application_id", "auto_vacuum", "encoding", "page_size")
            ],
        }
    finally:
        connection.close()


def test_the_statements_are_those_of_the_head_revision() -> None:
    assert schema.REVISION == collection.SCHEMA_HEAD


def test_a_new_collection_is_exactly_what_the_migrations_make(tmp_path: Path) -> None:
    migrated = tmp_path / "migrated.db"
    collection._upgrade(migrated, migrated)  # every migration from an empty file, as older versions did
    created = tmp_path / "created.db"
    Store.open(created).close()
    assert schema_of(created) == schema_of(migrated)
    for path in (created, migrated):  # the logical clock's one row, which its triggers only update
        connection = sqlite3.connect(path)
        try:
            assert connection.execute("SELECT id, counter FROM sync_clock").fetchall() == [(1, 0)]
        finally:
            connection.close()
    assert schema_of(created)["stamp"] == [(collection.SCHEMA_HEAD,)]


def test_creating_a_collection_loads_neither_alembic_nor_sqlalchemy(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "new.db")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "dva_cards" in loaded
    assert not loaded & {"alembic", "sqlalchemy", "sqlmodel", "pydantic"}
    assert (tmp_path / "new.db").exists()
