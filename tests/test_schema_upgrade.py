"""Schema upgrades lose nothing; a newer or damaged collection is refused and left exactly as it was.

`fixtures/collection-0001.db` is a learner's collection as schema 0001 wrote it (built by
`fixtures/make_0001_collection.py` from the standard library only). Opening it with this version:
at head 0001 nothing is migrated and no backup is made; once head moves on, it is backed up beside itself
(`.bak`) and migrated, and every 0001 row — every card, every review — is still there, value for value.

A synthetic revision on top of head (a throwaway copy of migrations/) checks the upgrade machinery itself
today: backup, migration, one transaction (a failing or killed migration changes nothing).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dva_cards import collection, resources
from tests.fixtures.reliability import cli_command, integrity, run_cli, subprocess_env
from tests.helpers import dump, run, run_json, write

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE = FIXTURES / "collection-0001.db"
MAKER = FIXTURES / "make_0001_collection.py"
MIGRATES = collection.SCHEMA_HEAD != "0001"


def _maker() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_0001_collection", MAKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_0001(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every 0001 table, restricted to the 0001 columns (a later schema may add columns)."""
    reference = sqlite3.connect(FIXTURE)
    try:
        tables = {
            table: [column[1] for column in reference.execute(f'PRAGMA table_info("{table}")')]
            for (table,) in reference.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if table != "alembic_version"
        }
    finally:
        reference.close()
    connection = sqlite3.connect(db)
    try:
        result = {}
        for table, columns in tables.items():
            names = ", ".join(f'"{column}"' for column in columns)
            result[table] = sorted(connection.execute(f'SELECT {names} FROM "{table}"').fetchall(), key=repr)
        return result
    finally:
        connection.close()


def revision_of(db: Path) -> str:
    connection = sqlite3.connect(db)
    try:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        connection.close()


def siblings(db: Path) -> list[str]:
    return sorted(path.name for path in db.parent.iterdir() if path.name.startswith(db.name))


@pytest.fixture
def old_collection(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "collection.db"
    shutil.copyfile(FIXTURE, db)
    return db


# -- the fixture itself -----------------------------------------------------------------------------------------


def test_fixture_is_exactly_what_its_script_makes(tmp_path: Path) -> None:
    made = tmp_path / "made.db"
    subprocess.run([sys.executable, str(MAKER), str(made)], check=True, cwd=tmp_path)
    assert made.read_bytes() == FIXTURE.read_bytes()


def test_fixture_is_a_0001_collection_with_history() -> None:
    assert revision_of(FIXTURE) == "0001"
    assert integrity(FIXTURE) == ["ok"]
    rows = rows_0001(FIXTURE)
    assert len(rows["card"]) == 20 and len(rows["review"]) >= 40 and len(rows["deck"]) == 2
    kinds = {row[5] for row in rows["review"]}
    assert kinds == {"review", "drill", "cram"}


# -- opening a 0001 collection with this version ----------------------------------------------------------------


@pytest.mark.parametrize("migrates", [MIGRATES], ids=["migrated past 0001" if MIGRATES else "0001 is head"])
def test_a_0001_collection_opens_with_every_card_and_review_intact(
    migrates: bool, old_collection: Path
) -> None:
    before = rows_0001(old_collection)
    listing = run("--db", str(old_collection), "cards", "--json", "--retired")
    assert listing.exit_code == 0, listing.stderr
    assert revision_of(old_collection) == collection.SCHEMA_HEAD
    assert rows_0001(old_collection) == before
    assert integrity(old_collection) == ["ok"]
    backups = sorted(old_collection.parent.glob("collection.db.0001-*.bak"))
    if migrates:
        assert len(backups) == 1
        assert dump(backups[0]) == dump(FIXTURE)  # the backup is the collection as it was before
    else:
        assert backups == []  # nothing to migrate, nothing to back up
    # Only the collection (with SQLite's WAL files) and the backup: no lock or temporary file is left.
    assert set(siblings(old_collection)) <= {"collection.db", "collection.db-wal", "collection.db-shm"} | {
        backup.name for backup in backups
    }

    cards = {card["front"]: card for card in json.loads(listing.stdout)}
    assert len(cards) == 20
    assert cards["Elastic Beanstalk"]["retired"] is True
    assert cards["Decorator"]["leech"] is True and cards["Decorator"]["suspended"] is True
    assert cards["EFS"]["suspended"] is True
    assert (cards["Lambda"]["reps"], cards["Lambda"]["interval"], cards["Lambda"]["ease"]) == (5, 150, 3000)
    assert cards["Übergröße"]["back"] == "ünïcödé term → 日本語"

    # Opening it again changes nothing and backs up nothing more.
    assert run("--db", str(old_collection), "cards").exit_code == 0
    assert sorted(old_collection.parent.glob("*.bak")) == backups
    assert rows_0001(old_collection) == before


def test_an_upgraded_0001_collection_passes_check(old_collection: Path) -> None:
    """Through 0004 (memories replayed from the log) and 0005: every card's state and memory is the replay of its
    log, by the same replays `config set scheduler` and `check` use, and stays so after an answer."""
    assert run("--db", str(old_collection), "cards", "--limit", "1").exit_code == 0  # upgrades
    checked = run("--db", str(old_collection), "check")
    assert checked.exit_code == 0, checked.output
    assert f"schema: {collection.SCHEMA_HEAD} (current)" in checked.stdout
    assert "every card equals the replay of its review log" in checked.stdout
    assert run("--db", str(old_collection), "review", input=" \n4\n q\n").exit_code == 0
    assert run("--db", str(old_collection), "check").exit_code == 0


def test_an_opened_0001_collection_keeps_working(old_collection: Path, tmp_path: Path) -> None:
    """Stats read its history, a review adds to it, and importing its notes again finds every card."""
    before = rows_0001(old_collection)
    stats = run("--db", str(old_collection), "stats", "--json")
    assert stats.exit_code == 0, stats.stderr
    session = run("--db", str(old_collection), "review", input=" \n4\n q\n")
    assert session.exit_code == 0, session.stderr
    after = rows_0001(old_collection)
    assert set(before["review"]) < set(after["review"])
    assert len(after["review"]) == len(before["review"]) + 1

    maker = _maker()
    notes = tmp_path / "notes"
    for name, text in maker.NOTES.items():
        write(notes / name, text)
    # One file at a time: each file of 0001's notes is a deck of its own name.
    imported = run_json("--db", str(old_collection), "import", *(str(notes / name) for name in maker.NOTES))
    assert (imported["added"], imported["retired"], imported["restored"]) == (0, 0, 0)
    assert imported["unchanged"] + imported["updated"] == len(maker.DRAFTS)
    ids_before = {row[0] for row in before["card"]}
    ids_after = {row[0] for row in rows_0001(old_collection)["card"]}
    assert ids_after == ids_before  # the same cards: their schedules and histories stay theirs


@pytest.mark.parametrize("migrates", [MIGRATES], ids=["migrated past 0001" if MIGRATES else "0001 is head"])
def test_several_processes_opening_a_0001_collection_at_once(migrates: bool, old_collection: Path) -> None:
    before = rows_0001(old_collection)
    home = old_collection.parent
    commands = [
        ["cards", "--json"],
        ["stats", "--json"],
        ["config", "list", "--json"],
        ["cards", "--retired"],
    ]
    processes = [
        subprocess.Popen(
            [*cli_command(), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(home, old_collection),
            cwd=home,
        )
        for args in commands
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert revision_of(old_collection) == collection.SCHEMA_HEAD
    assert rows_0001(old_collection) == before
    assert len(list(home.glob("*.bak"))) == (1 if migrates else 0)


# -- the upgrade machinery, with a synthetic revision on top of head --------------------------------------------

PROBE = "9001"


@pytest.fixture
def probe_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Makes this process's dva-cards know one more revision, PROBE, whose upgrade() is the given body."""

    def install(body: str) -> Path:
        migrations = tmp_path / "migrations"
        shutil.copytree(resources.migrations_dir(), migrations, ignore=shutil.ignore_patterns("__pycache__"))
        (migrations / "versions" / f"{PROBE}_probe.py").write_text(
            f'"""Probe revision for the tests."""\n\n'
            f"import sqlalchemy as sa\nfrom alembic import op\n\n"
            f'revision = "{PROBE}"\ndown_revision = "{collection.SCHEMA_HEAD}"\n'
            f"branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade() -> None:\n{body}\n\n\ndef downgrade() -> None:\n    pass\n",
            encoding="utf-8",
        )
        monkeypatch.setattr(resources, "migrations_dir", lambda: migrations)
        monkeypatch.setattr(collection, "SCHEMA_REVISIONS", (*collection.SCHEMA_REVISIONS, PROBE))
        monkeypatch.setattr(collection, "SCHEMA_HEAD", PROBE)
        return migrations

    return install


GOOD_PROBE = """
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("probe", sa.Integer(), nullable=False, server_default="7"))
    op.create_table("probe_table", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_probe", "review", ["quality"])
"""

FAILING_PROBE = """
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("probe", sa.Integer(), nullable=False, server_default="7"))
    op.create_table("probe_table", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("UPDATE card SET ease = 1300")
    op.execute("DELETE FROM review")
    raise RuntimeError("probe migration failed halfway")
"""


def _columns(db: Path, table: str) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return [column[1] for column in connection.execute(f'PRAGMA table_info("{table}")')]
    finally:
        connection.close()


def _tables(db: Path) -> set[str]:
    connection = sqlite3.connect(db)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()


def test_an_older_collection_is_backed_up_then_migrated(old_collection: Path, probe_revision: Any) -> None:
    if MIGRATES:  # bring the fixture to today's head first, so the probe is the one step left
        assert run("--db", str(old_collection), "cards").exit_code == 0
    before = rows_0001(old_collection)
    before_dump = dump(old_collection)
    probe_revision(GOOD_PROBE)
    result = run("--db", str(old_collection), "cards", "--json", "--retired")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 20
    assert revision_of(old_collection) == PROBE
    assert "probe" in _columns(old_collection, "card") and "probe_table" in _tables(old_collection)
    assert rows_0001(old_collection) == before
    [backup] = old_collection.parent.glob(f"collection.db.{collection.SCHEMA_REVISIONS[-2]}-*.bak")
    assert dump(backup) == before_dump
    assert integrity(old_collection) == ["ok"] and integrity(backup) == ["ok"]


def test_a_failing_migration_changes_nothing_and_says_so_in_one_line(
    old_collection: Path, probe_revision: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if MIGRATES:
        assert run("--db", str(old_collection), "cards").exit_code == 0
    before_dump = dump(old_collection)
    start = revision_of(old_collection)
    backups = sorted(old_collection.parent.glob("*.bak"))
    probe_revision(FAILING_PROBE)
    for _ in range(2):  # each failed attempt leaves no backup, empty or not
        result = run("--db", str(old_collection), "cards")
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "could not upgrade collection" in lines[0] and "failed halfway" in lines[0]
        assert "Traceback" not in result.output and "[SQL:" not in lines[0]
        assert sorted(old_collection.parent.glob("*.bak")) == backups
    # One transaction: the new column, the new table, the UPDATE and the DELETE are all gone.
    assert dump(old_collection) == before_dump
    assert revision_of(old_collection) == start
    assert "probe" not in _columns(old_collection, "card")
    monkeypatch.undo()  # the real dva-cards opens it as if nothing had happened
    assert run("--db", str(old_collection), "cards").exit_code == 0
    assert rows_0001(old_collection) == rows_0001(FIXTURE)


SLOW_PROBE = """
    import pathlib, time
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("probe", sa.Integer(), nullable=False, server_default="7"))
    op.execute("DELETE FROM review")
    pathlib.Path(__file__).with_name("started").touch()
    time.sleep(60)
"""

OPEN_WITH_PROBE = """
import sys
from pathlib import Path
from dva_cards import collection, resources
from dva_cards.store import Store

migrations = Path(sys.argv[2])
resources.migrations_dir = lambda: migrations
collection.SCHEMA_REVISIONS = (*collection.SCHEMA_REVISIONS, "{probe}")
collection.SCHEMA_HEAD = "{probe}"
Store.open(Path(sys.argv[1])).close()
"""


def test_a_migration_killed_halfway_leaves_the_collection_as_it_was(
    old_collection: Path, probe_revision: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if MIGRATES:
        assert run("--db", str(old_collection), "cards").exit_code == 0
    before_dump = dump(old_collection)
    start = revision_of(old_collection)
    migrations = probe_revision(SLOW_PROBE)
    monkeypatch.undo()  # the probe runs in the subprocess only
    script = tmp_path / "open_with_probe.py"
    script.write_text(OPEN_WITH_PROBE.format(probe=PROBE), encoding="utf-8")
    home = old_collection.parent
    process = subprocess.Popen(
        [sys.executable, str(script), str(old_collection), str(migrations)],
        env=subprocess_env(home, old_collection),
        cwd=home,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (migrations / "versions" / "started").exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert integrity(old_collection) == ["ok"]
    assert revision_of(old_collection) == start
    assert dump(old_collection) == before_dump
    # The lock died with the process: the real dva-cards opens the collection at once.
    started = time.monotonic()
    opened = run_cli(["cards", "--json"], home, old_collection)
    assert opened.returncode == 0, opened.stderr
    assert time.monotonic() - started < 20
    assert rows_0001(old_collection) == rows_0001(FIXTURE)


# -- refusing what this version must not touch --------------------------------------------------------------------


def _future(db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode = WAL")  # as a newer dva-cards would leave it
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()


def _future_with_live_wal(db: Path) -> None:
    """A newer dva-cards still has it open (or crashed): part of its content only in the -wal file."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.execute("UPDATE card SET front = front || ' (edited by a newer version)'")
    frozen = db.with_name("frozen")
    frozen.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{db}{suffix}", frozen / f"{db.name}{suffix}")
    connection.close()
    for suffix in ("", "-wal"):
        os.replace(frozen / f"{db.name}{suffix}", f"{db}{suffix}")
    frozen.rmdir()


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def _header_only(db: Path) -> None:
    db.write_bytes(db.read_bytes()[:100])


def _zero_header(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[:100] = bytes(100)
    db.write_bytes(bytes(data))


def _random_bytes(db: Path) -> None:
    db.write_bytes(os.urandom(64 * 1024))


def _sqlite_header_then_garbage(db: Path) -> None:
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))


def _schema_page_garbled(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[100:4096] = bytes((index * 37) % 256 for index in range(100, 4096))
    db.write_bytes(bytes(data))


def _other_app(db: Path) -> None:
    db.unlink()
    connection = sqlite3.connect(db)
    connection.executescript(
        "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places VALUES (1, 'x');"
    )
    connection.close()


def _other_app_with_alembic(db: Path) -> None:
    """Another Alembic-managed app's database: a revision id dva-cards never had."""
    db.unlink()
    connection = sqlite3.connect(db)
    connection.executescript(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);"
        "INSERT INTO alembic_version VALUES ('ae1027a6acf');"
        "CREATE TABLE users (id INTEGER PRIMARY KEY);"
    )
    connection.close()


def _no_revision_row(db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("DELETE FROM alembic_version")
    connection.commit()
    connection.close()


REFUSALS = [
    (_future, "newer than this dva-cards knows"),
    (_future_with_live_wal, "newer than this dva-cards knows"),
    (_truncated, "damaged"),
    (_header_only, "damaged"),
    (_zero_header, "not an SQLite database"),
    (_random_bytes, "not an SQLite database"),
    (_sqlite_header_then_garbage, "damaged"),
    (_schema_page_garbled, "damaged"),
    (_other_app, "not a dva-cards collection"),
    (_other_app_with_alembic, "schema ae1027a6acf"),
    (_no_revision_row, "no schema revision"),
]
COMMANDS = [
    ["cards"],
    ["import", "NOTES"],
    ["review"],
    ["stats"],
    ["stats", "--json"],
    ["config", "set", "new-per-day", "5"],
    ["export", "OUT.apkg"],
]


@pytest.mark.parametrize(
    ("damage", "message"), REFUSALS, ids=[damage.__name__.strip("_") for damage, _ in REFUSALS]
)
def test_a_collection_this_version_must_not_touch_is_refused_untouched(
    damage: Callable[[Path], None], message: str, old_collection: Path, tmp_path: Path
) -> None:
    damage(old_collection)
    home = old_collection.parent
    files_before = {name: (home / name).read_bytes() for name in siblings(old_collection)}
    notes = write(tmp_path / "notes.md", "* **X** - y\n")
    for args in COMMANDS:
        args = [
            str(notes) if arg == "NOTES" else str(tmp_path / "out.apkg") if arg == "OUT.apkg" else arg
            for arg in args
        ]
        result = run("--db", str(old_collection), *args, input="q\n")
        assert result.exit_code != 0, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("dva-cards: error: ") and message in lines[0], (args, lines[0])
        assert "Traceback" not in result.output
        # Byte for byte as it was, and nothing new beside it: no -wal, -shm, .bak, lock or temporary file.
        # (Reading a WAL that is already there takes its index, -shm: SQLite's derived data, no content.)
        files_after = {name: (home / name).read_bytes() for name in siblings(old_collection)}
        if damage is _future_with_live_wal:
            files_after.pop("collection.db-shm", None)
        assert files_after == files_before, args
    assert not (tmp_path / "out.apkg").exists()


def test_refusal_through_the_real_entry_point(old_collection: Path) -> None:
    _future(old_collection)
    before = old_collection.read_bytes()
    result = run_cli(["cards"], old_collection.parent, old_collection)
    assert result.returncode == 2
    assert result.stderr == (
        f"dva-cards: error: collection {old_collection} has schema 9999, newer than this dva-cards knows "
        f"(up to {collection.SCHEMA_HEAD}): upgrade dva-cards\n"
    )
    assert old_collection.read_bytes() == before
    assert siblings(old_collection) == ["collection.db"]


@pytest.mark.parametrize("name", ["what?.db", "100%.db", "#1.db", "my notes – ü.db", "[red]x.db"])
def test_a_collection_path_is_a_path_not_a_url(name: str, tmp_path: Path) -> None:
    """`?`, `#` and `%` in the collection's path once reached Alembic as a URL: another file got the schema."""
    db = tmp_path / "dir" / name
    notes = write(tmp_path / "n.md", "* **A** - b\n")
    assert run_json("--db", str(db), "import", str(notes))["added"] == 1
    assert [card["front"] for card in run_json("--db", str(db), "cards")] == ["A"]
    assert sorted(path.name for path in db.parent.iterdir() if not path.name.endswith(("-wal", "-shm"))) == [
        name
    ]
    assert revision_of(db) == collection.SCHEMA_HEAD


def test_a_symlinked_collection_path_stays_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "synced" / "collection.db"
    target.parent.mkdir()
    link = tmp_path / "collection.db"
    link.symlink_to(target)
    notes = write(tmp_path / "n.md", "* **A** - b\n")
    assert run_json("--db", str(link), "import", str(notes))["added"] == 1
    assert link.is_symlink() and target.is_file()
    assert revision_of(target) == collection.SCHEMA_HEAD
