"""Opening collections: creation, migrations matching the models, refusing what is not ours or too new."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dva_cards import collection
from dva_cards.errors import CollectionError
from dva_cards.resources import migrations_dir
from dva_cards.store import Store
from tests.conftest import BUNDLED_DECK
from tests.helpers import dump, run, run_json


def test_known_revisions_match_the_migration_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    script = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == collection.SCHEMA_REVISIONS
    assert script.get_current_head() == collection.SCHEMA_HEAD


def test_migrated_schema_matches_the_models(db_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from dva_cards.models import SQLModel

    Store.open(db_path).close()
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_creating_a_collection_does_not_load_the_models(tmp_path: Path) -> None:
    """The models are what migrations are checked against (above); creating or upgrading a collection at
    runtime runs the migrations alone."""
    probe = (
        "import sys; from pathlib import Path; from dva_cards.store import Store; "
        "Store.open(Path(sys.argv[1])).close(); "
        "print(sorted(m for m in ('dva_cards.models', 'sqlmodel') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "new.db")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_new_collection_uses_wal_and_is_at_head(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        revision = store.connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert revision == collection.SCHEMA_HEAD


def test_default_collection_lives_in_the_platform_data_dir(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DVA_CARDS_DB")
    path = collection.default_collection_path()
    assert path.name == "collection.db" and path.parent.name == "dva-cards"
    assert str(path).startswith(str(isolated_home))


def _refused(path: Path, message: str) -> None:
    before = path.read_bytes()
    result = run("--db", str(path), "cards")
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert not list(path.parent.glob(path.name + "*.bak"))


def test_newer_schema_is_refused_untouched(db_path: Path) -> None:
    Store.open(db_path).close()
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    _refused(db_path, "newer than this dva-cards knows")


def test_random_bytes_are_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(bytes(range(256)) * 64)
    _refused(path, "not an SQLite database")


def test_truncated_collection_is_refused_untouched(tmp_path: Path, db_path: Path) -> None:
    run_json("import", str(BUNDLED_DECK))
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(db_path.read_bytes()[:5000])
    _refused(truncated, "damaged")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (x)")
    connection.close()
    _refused(path, "not a dva-cards collection")


def test_locked_collection_is_one_line_and_unchanged(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json("import", str(BUNDLED_DECK))
    before = dump(db_path)
    monkeypatch.setattr(collection, "BUSY_TIMEOUT_MS", 100)
    notes = tmp_path / "n.md"
    notes.write_text("* **X** - y\n", encoding="utf-8")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run("import", str(notes))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code != 0
    assert "busy" in result.stderr
    assert dump(db_path) == before


def test_opening_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="directory"):
        Store.open(tmp_path)
