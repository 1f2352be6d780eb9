"""Hostile and faulty situations: nothing outside the collection is overwritten, a damaged or foreign file is
never written, two sessions never leave card state and log apart, and every failure is one line."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dva_cards import collection as collection_module
from dva_cards.errors import CardChanged, UserError
from dva_cards.identity import context_parts, join_context
from dva_cards.replay import disagreements
from dva_cards.store import Store
from tests.fixtures.reliability import cli_command, subprocess_env
from tests.helpers import garble_table, run, write

FIXTURE_0001 = Path(__file__).parent / "fixtures" / "collection-0001.db"
NOTES = (
    "# Compute\n\n* **EC2** - virtual machines\n* **Lambda** - functions\n\n# Storage\n\n* **S3** - objects\n"
)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def one_error_line(result: Any) -> str:
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dva-cards: error: "), lines[0]
    assert "Traceback" not in result.output and "Usage:" not in result.stderr
    return str(lines[0])


@pytest.fixture
def collection(db_path: Path, tmp_path: Path) -> Path:
    notes = write(tmp_path / "notes" / "aws.md", NOTES)
    assert run("import", str(notes)).exit_code == 0
    return db_path


def siblings(path: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for entry in sorted(path.parent.iterdir()):
        if entry.name.startswith(path.name):
            found[entry.name] = entry.read_bytes() if entry.is_file() else "special"
    return found


def cli(args: list[str], home: Path, db: Path, **options: Any) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(home, db, **options.pop("env", {}))
    if "stdout" not in options:
        options["capture_output"] = True
    options.setdefault("text", True)
    return subprocess.run([*cli_command(), *args], env=env, cwd=home, timeout=120, **options)


# -- 1, 2: only regular files are ever created or replaced -----------------------------------------------------


def _special_files(directory: Path) -> dict[str, Path]:
    fifo = directory / "fifo"
    os.mkfifo(fifo)
    found = {"fifo": fifo, "directory": directory / "folder"}
    found["directory"].mkdir()
    device = directory / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers, in a temp dir
        found["device"] = device
    except PermissionError:
        pass  # not allowed to make device nodes here: the FIFO and the folder still stand for them
    return found


@pytest.mark.parametrize("command", [["cards"], ["config", "set", "new-per-day", "3"], ["import", "NOTES"]])
def test_a_device_fifo_or_folder_is_never_taken_for_a_collection(command: list[str], tmp_path: Path) -> None:
    notes = write(tmp_path / "n.md", NOTES)
    for kind, path in _special_files(tmp_path).items():
        mode = path.lstat().st_mode
        args = [str(notes) if arg == "NOTES" else arg for arg in command]
        line = one_error_line(run("--db", str(path), *args))
        assert "directory" in line or "not a regular file" in line, (kind, line)
        assert path.lstat().st_mode == mode, kind  # still the FIFO, the device, the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["n.md", "fifo", "folder", *(["null"] if (tmp_path / "null").exists() else [])]
    )


def test_export_refuses_a_device_fifo_or_folder(collection: Path, tmp_path: Path) -> None:
    for kind, path in _special_files(tmp_path).items():
        mode = path.lstat().st_mode
        line = one_error_line(run("export", str(path), "--format", "csv"))
        assert "not a regular file" in line, (kind, line)
        assert path.lstat().st_mode == mode
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(
    collection: Path, tmp_path: Path
) -> None:
    target = write(tmp_path / "real" / "cards.txt", "an older export\n")
    link = tmp_path / "cards.txt"
    link.symlink_to(target)
    result = run("export", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8").startswith("#separator:tab")
    dangling = tmp_path / "new.txt"
    dangling.symlink_to(tmp_path / "real" / "made.txt")
    assert run("export", str(dangling)).exit_code == 0
    assert dangling.is_symlink() and (tmp_path / "real" / "made.txt").read_text(encoding="utf-8")


def test_export_to_a_pipe_through_dev_stdout_is_refused(collection: Path) -> None:
    done = cli(["export", "/dev/stdout", "--format", "csv"], collection.parent, collection)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "dva-cards: error: cannot write /dev/stdout: it is a FIFO, not a regular file\n"


# -- 3: a stale -wal/-shm without its database ------------------------------------------------------------------


@pytest.mark.parametrize("database", ["missing", "empty"])
@pytest.mark.parametrize("leftover", ["-wal", "-shm"])
def test_a_leftover_wal_without_its_database_is_refused(
    collection: Path, database: str, leftover: str
) -> None:
    stale = collection.with_name(collection.name + leftover)
    stale.write_bytes(b"frames of a lost collection")
    collection.unlink()
    if database == "empty":
        collection.write_bytes(b"")
    before = siblings(collection)
    line = one_error_line(run("cards"))
    assert f"{stale.name} is left without its collection" in line and "move" in line
    assert one_error_line(run("config", "set", "new-per-day", "3")) == line
    assert siblings(collection) == before


# -- 4, 5: a damaged or foreign file is never written ----------------------------------------------------------


def test_a_damaged_collection_is_refused_by_every_writing_command(collection: Path, tmp_path: Path) -> None:
    reader = sqlite3.connect(collection)
    card_id = reader.execute("SELECT id FROM card LIMIT 1").fetchone()[0]
    reader.close()
    garble_table(collection, "review")
    before = siblings(collection)
    notes = write(tmp_path / "more.md", "# X\n\n* **Y** - z\n")
    writing = (
        ["import", str(notes)],
        ["config", "set", "new-per-day", "3"],
        ["review"],
        ["suspend", card_id],
    )
    for args in writing:
        line = one_error_line(run(*args, input=" \n4\nq\n"))
        assert "damaged" in line or "malformed" in line, (args, line)
        assert siblings(collection) == before, args


def _foreign(path: Path, revision: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("revision", ["0001", "0003", "0005"])
def test_another_programs_database_is_never_switched_to_wal_or_backed_up(
    revision: str, tmp_path: Path
) -> None:
    path = tmp_path / "other.db"
    _foreign(path, revision)
    before = siblings(path)
    for _ in range(2):
        line = one_error_line(run("--db", str(path), "config", "set", "new-per-day", "3"))
        assert "another program's database" in line and "[SQL:" not in line and "Background" not in line
    assert siblings(path) == before  # journal mode included: the header bytes are the same
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


# -- 6: two sessions on one card ---------------------------------------------------------------------------------


def _grade(store: Store, card_id: str, quality: int, seen: Any) -> int:
    from dva_cards.grading import LeechPolicy, grade

    graded = grade(
        card_id, seen, quality, today=NOW.date(), at=NOW, duration_ms=1000, leeches=LeechPolicy(8, False)
    )
    return store.record_answer(graded.answer)


def test_an_answer_over_a_state_another_session_changed_is_refused(collection: Path) -> None:
    with Store.open(collection) as a, Store.open(collection) as b:
        card_id = a.connection.execute("SELECT id FROM card WHERE front = 'EC2'").fetchone()[0]
        seen_by_a = a.review_card(card_id)
        seen_by_b = b.review_card(card_id)
        assert seen_by_a is not None and seen_by_b is not None
        review_a = _grade(a, card_id, 5, seen_by_a.schedule)
        with pytest.raises(CardChanged):
            _grade(b, card_id, 1, seen_by_b.schedule)  # B still shows the card as it was
        a.undo_answer(review_a, card_id, seen_by_a.schedule)
        assert not [d for d in disagreements(a.card_logs()) if d.state_differs or d.broken_links]


def test_undo_after_another_sessions_answer_is_refused(collection: Path) -> None:
    with Store.open(collection) as a, Store.open(collection) as b:
        card_id = a.connection.execute("SELECT id FROM card WHERE front = 'EC2'").fetchone()[0]
        seen_by_a = a.review_card(card_id)
        assert seen_by_a is not None
        review_a = _grade(a, card_id, 5, seen_by_a.schedule)
        seen_by_b = b.review_card(card_id)  # B loads the card after A's answer, and grades it
        assert seen_by_b is not None
        _grade(b, card_id, 1, seen_by_b.schedule)
        with pytest.raises(CardChanged):
            a.undo_answer(review_a, card_id, seen_by_a.schedule)
        assert not [d for d in disagreements(a.card_logs()) if d.state_differs or d.broken_links]
    assert run("check").exit_code == 0


class _Keys:
    """Scripted keys; a callable in the script runs at that point (another session acting meanwhile)."""

    def __init__(self, script: list[str | Callable[[], None]]) -> None:
        self.script = script

    def read_key(self) -> str:
        while self.script and callable(self.script[0]):
            action = self.script.pop(0)
            assert callable(action)
            action()
        if not self.script:
            raise EOFError
        key = self.script.pop(0)
        assert isinstance(key, str)
        return key

    def paused(self) -> Any:
        from contextlib import nullcontext

        return nullcontext()


def _session(store: Store, script: list[str | Callable[[], None]]) -> str:
    from rich.console import Console

    from dva_cards.review import run_session
    from dva_cards.settings import effective

    out = Console(file=(buffer := __import__("io").StringIO()), width=120, color_system=None)
    run_session(store, effective({}), now=lambda: NOW, console=out, keys=_Keys(script), tz=UTC)
    return buffer.getvalue()


def test_a_session_whose_card_was_answered_elsewhere_reloads_it_and_says_so(collection: Path) -> None:
    with Store.open(collection) as b, Store.open(collection) as other:
        first = b.connection.execute("SELECT id FROM card ORDER BY source, line LIMIT 1").fetchone()[0]

        def answer_elsewhere() -> None:
            seen = other.review_card(first)
            assert seen is not None
            _grade(other, first, 5, seen.schedule)

        shown = _session(b, [" ", answer_elsewhere, "1", "q"])
        assert "changed by another dva-cards meanwhile: reloaded, not recorded" in shown
        assert b.connection.execute("SELECT quality FROM review").fetchall() == [(5,)]
    assert run("check").exit_code == 0


def test_a_session_cannot_undo_over_another_sessions_answer(collection: Path) -> None:
    with Store.open(collection) as a, Store.open(collection) as other:
        first = a.connection.execute("SELECT id FROM card ORDER BY source, line LIMIT 1").fetchone()[0]

        def answer_elsewhere() -> None:
            seen = other.review_card(first)
            assert seen is not None
            _grade(other, first, 1, seen.schedule)

        shown = _session(a, [" ", "5", answer_elsewhere, "u", "q"])
        assert "Cannot undo: another dva-cards changed this card since" in shown
        qualities = sorted(q for (q,) in a.connection.execute("SELECT quality FROM review"))
        assert qualities == [1, 5]
    assert run("check").exit_code == 0


# -- 7: the context separator inside headings -------------------------------------------------------------------


def test_join_context_is_undone_by_context_parts_whatever_the_parts() -> None:
    for parts in [("A › B",), ("A", "B"), ("a\\›b", "c"), ("›",), ("x ›", "› y")]:
        assert context_parts(join_context(parts)) == parts
    assert join_context(("A › B",)) != join_context(("A", "B"))


def test_headings_holding_the_separator_keep_their_histories_when_reordered(
    db_path: Path, tmp_path: Path
) -> None:
    notes = write(tmp_path / "n.md", "# A › B\n\n* **X** - one\n\n# A\n\n## B\n\n* **X** - two\n")
    assert run("import", str(notes)).exit_code == 0
    cards = {card["back"]: card for card in json.loads(run("cards", "--json").stdout)}
    assert cards["one"]["context"] != cards["two"]["context"]
    write(notes, "# A\n\n## B\n\n* **X** - two\n\n# A › B\n\n* **X** - one\n")
    result = run("import", str(notes), "--json")
    assert json.loads(result.stdout)["unchanged"] == 2
    again = {card["back"]: card["id"] for card in json.loads(run("cards", "--json").stdout)}
    assert again == {back: card["id"] for back, card in cards.items()}


SYNC_TRIGGERS = (
    "review_sync",
    "review_sync_delete",
    "card_sync_update",
    "card_sync_delete",
    "setting_sync_insert",
    "setting_sync_update",
    "setting_sync_delete",
)


def test_migration_0005_escapes_old_contexts_and_keeps_every_id(db_path: Path, tmp_path: Path) -> None:
    notes = write(
        tmp_path / "n.md", "# A › B\n\n* **X** - one\n\n# A\n\n## B\n\n* **X** - two\n* **Y** - y\n"
    )
    assert run("import", str(notes)).exit_code == 0
    assert run("review", input=" \n4\n \n5\nq\n").exit_code == 0
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE card SET context = replace(context, '\\›', '›')")  # as 0004 stored them
    connection.execute("UPDATE alembic_version SET version_num = '0004'")
    # What the revisions after 0005 add goes too, so the collection is what 0004 left.
    connection.executescript(
        "DROP TRIGGER review_deck; DROP INDEX ix_review_deck_day; ALTER TABLE review DROP COLUMN deck_id;"
        " DROP TABLE source_section; DROP INDEX ix_card_exam;"
        + "".join(f" DROP TRIGGER {name};" for name in SYNC_TRIGGERS)
        + " DROP INDEX ix_review_uid; DROP INDEX ix_review_clock;"
        " DROP TABLE sync_clock; DROP TABLE card_tombstone; DROP TABLE setting_tombstone; DROP TABLE review_tombstone;"
        " ALTER TABLE review DROP COLUMN uid; ALTER TABLE review DROP COLUMN device;"
        " ALTER TABLE review DROP COLUMN clock; ALTER TABLE card DROP COLUMN clock;"
        " ALTER TABLE card DROP COLUMN clock_device; ALTER TABLE setting DROP COLUMN clock;"
        " ALTER TABLE setting DROP COLUMN clock_device;"
    )
    connection.commit()
    old = {row[0]: row for row in connection.execute("SELECT id, context, front, back, reps FROM card")}
    columns = ", ".join(row[1] for row in connection.execute("PRAGMA table_info(review)"))
    reviews = connection.execute(f"SELECT {columns} FROM review ORDER BY id").fetchall()
    connection.close()
    assert len({context for _, context, *_ in old.values()}) == 1  # the collision
    assert run("cards").exit_code == 0  # upgrades
    connection = sqlite3.connect(db_path)
    new = {row[0]: row for row in connection.execute("SELECT id, context, front, back, reps FROM card")}
    assert connection.execute(f"SELECT {columns} FROM review ORDER BY id").fetchall() == reviews
    connection.close()
    assert new.keys() == old.keys()
    by_back = {row[3]: row[1] for row in new.values()}
    assert context_parts(by_back["one"]) == ("A › B",)
    assert context_parts(by_back["two"]) == ("A", "B") == context_parts(by_back["y"])
    assert [row[4] for row in new.values()] == [row[4] for row in old.values()]


# -- 8: `~` in paths ------------------------------------------------------------------------------------------------


def test_a_literal_tilde_in_the_collection_path_is_the_home_directory(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("DVA_CARDS_DB", "~/cards.db")
    notes = write(tmp_path / "n.md", NOTES)
    assert run("import", str(notes)).exit_code == 0
    assert (isolated_home / "cards.db").is_file()
    assert list(work.iterdir()) == []
    monkeypatch.delenv("DVA_CARDS_DB")
    assert run("--db", "~/cards.db", "cards", "--json").exit_code == 0
    assert run("export", "~/out.txt", "--db", "~/cards.db").exit_code != 0  # global options go first
    assert run("--db", "~/cards.db", "export", "~/out.txt").exit_code == 0
    assert (isolated_home / "out.txt").is_file() and list(work.iterdir()) == []


# -- 9: a dry run never migrates ------------------------------------------------------------------------------------


def test_a_dry_run_on_an_older_collection_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURE_0001, path)
    before = siblings(path)
    notes = write(tmp_path / "n.md", NOTES)
    result = run("--db", str(path), "import", "--dry-run", str(notes), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
    assert siblings(path) == before  # not migrated, no backup


# -- 10: nothing skipped in silence -----------------------------------------------------------------------------


def test_a_symlinked_folder_is_imported_and_a_loop_ends(db_path: Path, tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "more.md", "# More\n\n* **Z** - zed\n")
    notes = tmp_path / "notes"
    write(notes / "a.md", NOTES)
    (notes / "linked").symlink_to(outside.parent)
    (notes / "linked" / "loop").symlink_to(notes)
    result = run("import", str(notes), "--json")
    assert result.exit_code == 0, result.output
    fronts = {card["front"] for card in json.loads(run("cards", "--json").stdout)}
    assert fronts == {"EC2", "Lambda", "S3", "Z"}


def test_a_broken_link_named_md_is_reported(db_path: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write(notes / "a.md", NOTES)
    (notes / "gone.md").symlink_to(tmp_path / "nowhere.md")
    assert "is a broken link" in one_error_line(run("import", str(notes)))
    assert not db_path.exists()


def test_a_tree_1200_folders_deep_imports(db_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        here = os.getcwd()
        os.chdir(root)
        try:
            for _ in range(1200):
                os.mkdir("d")
                os.chdir("d")
            Path("n.md").write_text("# Deep\n\n* **Bottom** - reached\n", encoding="utf-8")
        finally:
            os.chdir(here)
    finally:
        os.close(fd)
    try:
        result = run("import", str(root), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == 1
    finally:
        remove_deep_tree(root)  # shutil.rmtree (pytest's clean-up too) recurses once per level


def remove_deep_tree(root: Path) -> None:
    """Remove a tree of single nested folders of any depth, bottom up, without recursion."""
    here = os.getcwd()
    try:
        os.chdir(root)
        depth = 0
        while os.path.isdir("d"):
            os.chdir("d")
            depth += 1
        for _ in range(depth + 1):
            for name in os.listdir("."):
                (os.rmdir if os.path.isdir(name) and not os.path.islink(name) else os.unlink)(name)
            os.chdir("..")
        os.rmdir(root)
    finally:
        os.chdir(here)


def test_an_import_whose_summary_cannot_be_written_says_it_was_saved(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    db = tmp_path / "c.db"
    notes = write(tmp_path / "n.md", NOTES)
    with open("/dev/full", "w") as full:
        done = cli(["import", str(notes)], tmp_path, db, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 1
    assert done.stderr == (
        "dva-cards: error: the import was saved, but its summary could not be written: No space left on device\n"
    )
    assert sqlite3.connect(db).execute("SELECT count(*) FROM card").fetchone()[0] == 3


# -- terminal injection -------------------------------------------------------------------------------------------


def test_file_and_deck_names_never_reach_the_terminal_raw(db_path: Path, tmp_path: Path) -> None:
    hostile = "x\x1b[2J\x1b]0;owned\x07"
    notes = write(tmp_path / f"{hostile}.md", "# H\x1b[31m\n\n* **A** - b\n* **C** -\n")
    outputs = [
        run("import", "-v", str(notes)),
        run("cards"),
        run("stats"),
        run("review", input=" \n4\nq\n"),
        run("export", str(tmp_path / "out.txt")),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "x\ufffd" in outputs[1].stdout


# -- internal errors become one line ------------------------------------------------------------------------------


def test_any_output_encoding_works(collection: Path) -> None:
    write(collection.parent / "uni.md", "# Ünïcode › 東京\n\n* **Café ☕** - ✓ déjà vu\n")
    assert run("import", str(collection.parent / "uni.md")).exit_code == 0
    for args in (["cards"], ["stats"], ["review"]):
        done = cli(
            args,
            collection.parent,
            collection,
            env={"PYTHONIOENCODING": "iso-8859-1"},
            input="q\n",
            encoding="latin-1",
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""


def test_closed_standard_streams(collection: Path) -> None:
    home = collection.parent
    command = " ".join(f"'{part}'" for part in cli_command())
    env = subprocess_env(home, collection)
    for redirect in ("review <&-", "stats --json >&-", "cards >&- 2>&-", "cards <&-"):
        done = subprocess.run(
            ["sh", "-c", f"{command} {redirect}"],
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            timeout=120,
        )
        assert done.returncode == 0, (redirect, done.stderr)
        assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
    assert not [d for d in disagreements(Store.open(collection).card_logs()) if d.state_differs]
    assert sqlite3.connect(collection).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_editor_command_line_with_an_open_quote_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dva_cards.review import launch_editor

    monkeypatch.setenv("EDITOR", 'vim "')
    with pytest.raises(UserError, match="\\$EDITOR is not a valid command line"):
        launch_editor(tmp_path / "n.md", 3)


def test_a_time_zone_python_cannot_use_is_one_line(collection: Path) -> None:
    for args in (["stats"], ["review"]):
        done = cli(args, collection.parent, collection, env={"TZ": "UTC+99"}, input="q\n")
        assert done.returncode == 1
        assert (
            done.stderr.startswith("dva-cards: error: TZ='UTC+99' cannot be used")
            and done.stderr.count("\n") == 1
        )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["cards", "--limit", "100000000000000000000"], "--limit"),
        (["review", "--new", "9223372036854775808"], "--new"),
        (["cards", "--limit", "x"], "--limit"),
        (["stats", "--days", "0"], "--days"),
        (["nosuch"], "No such command"),
        (["import"], "Missing argument"),
        (["config", "set", "new-per-day", "-5"], "new-per-day must be"),
        (["cards", "--bogus"], "No such option"),
    ],
)
def test_usage_errors_are_one_line(collection: Path, args: list[str], expected: str) -> None:
    assert expected in one_error_line(run(*args))


def test_a_directory_as_db_is_one_line(tmp_path: Path) -> None:
    assert "is a directory" in one_error_line(run("--db", str(tmp_path), "cards"))


# -- as a user who is not root: permissions --------------------------------------------------------------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's own temp folders are private to this one)."""
    path = Path(tempfile.mkdtemp(prefix="dva-cards-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for root, dirs, _ in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(path, ignore_errors=True)


def as_unprivileged(action: Callable[[], Any]) -> Any:
    """Run `action` as `nobody` in a forked child when this is root (root reads and writes anything); its
    result comes back as JSON. Modules it needs are imported before the fork by a first run as root."""
    if os.geteuid() != 0:
        return action()
    if not hasattr(os, "fork"):
        pytest.skip("needs fork to drop root privileges")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            payload = json.dumps(action())
        except BaseException as error:
            payload, status = json.dumps({"child error": repr(error)}), 1
        with os.fdopen(write_end, "w") as out:
            out.write(payload)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        payload = source.read()
    os.waitpid(pid, 0)
    result = json.loads(payload)
    assert not (isinstance(result, dict) and "child error" in result), result
    return result


def _outcome(*args: str) -> list[Any]:
    result = run(*args)
    return [result.exit_code, result.stdout, result.stderr]


def test_cards_reads_a_collection_in_a_read_only_folder(shared_dir: Path, tmp_path: Path) -> None:
    db = shared_dir / "c.db"
    notes = write(tmp_path / "n.md", NOTES)
    assert run("--db", str(db), "import", str(notes)).exit_code == 0
    assert _outcome("--db", str(db), "cards")[0] == 0  # warm: every module imported before the fork
    db.chmod(0o644)
    shared_dir.chmod(0o555)
    before = siblings(db)
    code, out, err = as_unprivileged(lambda: _outcome("--db", str(db), "cards"))
    assert code == 0, err
    assert "EC2" in out
    code, out, err = as_unprivileged(lambda: _outcome("--db", str(db), "config", "set", "new-per-day", "3"))
    assert code != 0 and err.startswith("dva-cards: error: ") and err.count("\n") == 1
    assert siblings(db) == before


def test_unreadable_things_are_one_line(shared_dir: Path, tmp_path: Path) -> None:
    notes = shared_dir / "notes"
    write(notes / "a.md", NOTES)
    write(notes / "private" / "b.md", "# B\n\n* **B** - b\n")
    (notes / "private").chmod(0o700)
    secret = write(shared_dir / "secret.md", NOTES)
    secret.chmod(0o600)
    unreadable_db = shared_dir / "u.db"
    assert run("--db", str(unreadable_db), "import", str(notes / "a.md")).exit_code == 0
    unreadable_db.chmod(0o600)
    db = shared_dir / "own.db"
    assert _outcome("--db", str(db), "cards")[0] == 0  # warm
    db.unlink()

    def attempts() -> list[list[Any]]:
        return [
            _outcome("--db", str(shared_dir / "x.db"), "import", str(notes)),
            _outcome("--db", str(shared_dir / "x.db"), "import", str(secret)),
            _outcome("--db", str(unreadable_db), "cards"),
        ]

    for code, _, err in as_unprivileged(attempts):
        assert code != 0 and err.startswith("dva-cards: error: ") and err.count("\n") == 1, err
    folder, file, collection = (err for _, _, err in as_unprivileged(attempts))
    assert "cannot read directory" in folder and "permission denied" in folder
    assert "not readable" in file or "permission denied" in file
    assert "u.db" in collection


# -- dva-cards check -----------------------------------------------------------------------------------------------


def test_check_reports_a_sound_collection(collection: Path) -> None:
    assert run("review", input=" \n4\n \n1\nq\n").exit_code == 0
    result = run("check")
    assert result.exit_code == 0, result.output
    assert (
        "integrity: ok" in result.stdout
        and f"schema: {collection_module.SCHEMA_HEAD} (current)" in result.stdout
    )
    assert "every card equals the replay of its review log" in result.stdout


def test_check_finds_and_repairs_a_card_its_log_disagrees_with(collection: Path) -> None:
    assert run("review", input=" \n4\n \n5\nq\n").exit_code == 0
    connection = sqlite3.connect(collection)
    card_id = connection.execute("SELECT card_id FROM review LIMIT 1").fetchone()[0]
    connection.execute("UPDATE card SET reps = 0, interval = 0, due = NULL WHERE id = ?", (card_id,))
    connection.commit()
    connection.close()
    result = run("check")
    assert "disagree" in one_error_line(result)
    assert f"1 card differs from the replay of the review log: {card_id}" in result.stdout
    repaired = run("check", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert list(collection.parent.glob("collection.db.repair-*.bak"))
    assert run("check").exit_code == 0


def test_check_compares_the_fsrs_memory_with_the_switchs_replay_and_repairs_it(collection: Path) -> None:
    assert run("config", "set", "scheduler", "fsrs").exit_code == 0
    assert run("review", input=" \n4\n \n5\n \n1\nq\n").exit_code == 0
    assert run("check").exit_code == 0
    connection = sqlite3.connect(collection)
    card_id, stability, difficulty, day = connection.execute(
        "SELECT id, stability, difficulty, memory_day FROM card WHERE stability IS NOT NULL LIMIT 1"
    ).fetchone()
    connection.execute(
        "UPDATE card SET stability = stability * 2, memory_day = NULL WHERE id = ?", (card_id,)
    )
    connection.commit()
    connection.close()
    result = run("check")
    assert "disagree" in one_error_line(result)
    assert f"1 card differs from the replay of the review log: {card_id}" in result.stdout
    assert run("check", "--repair").exit_code == 0
    connection = sqlite3.connect(collection)
    repaired = connection.execute(
        "SELECT stability, difficulty, memory_day FROM card WHERE id = ?", (card_id,)
    ).fetchone()
    connection.close()
    assert repaired == (stability, difficulty, day)
    assert run("check").exit_code == 0


def test_check_passes_after_switching_scheduler_both_ways_and_rescheduling(collection: Path) -> None:
    assert run("review", input=" \n4\n \n3\n \n1\nq\n").exit_code == 0
    assert run("config", "set", "scheduler", "fsrs", "--reschedule").exit_code == 0
    assert run("check").exit_code == 0, run("check").output
    assert run("review", input=" \n5\nq\n").exit_code == 0
    assert run("config", "set", "scheduler", "sm2").exit_code == 0
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "every card equals the replay of its review log" in result.stdout


def test_an_answer_over_a_memory_another_process_changed_is_refused(collection: Path) -> None:
    """The FSRS memory is part of what a session saw: an answer over a different memory writes nothing."""
    with Store.open(collection) as store:
        card_id = store.connection.execute("SELECT id FROM card WHERE front = 'EC2'").fetchone()[0]
        review_id = _grade(store, card_id, 4, store.review_card(card_id).schedule)  # type: ignore[union-attr]
        seen = store.review_card(card_id)
        assert seen is not None and seen.schedule.memory is not None
        with store.transaction():
            store.connection.execute("UPDATE card SET stability = stability + 1 WHERE id = ?", (card_id,))
        reviews = store.counts()[1]
        with pytest.raises(CardChanged):
            _grade(store, card_id, 5, seen.schedule)
        assert store.counts()[1] == reviews  # the answer's log row went with it
        with pytest.raises(CardChanged):  # nor is the first answer undone over the changed memory
            store.undo_answer(review_id, card_id, seen.schedule)


def test_check_on_a_damaged_collection_says_so_and_repair_writes_nothing(collection: Path) -> None:
    garble_table(collection, "review")
    before = siblings(collection)
    result = run("check", "--repair")
    assert "damaged" in one_error_line(result)
    assert "integrity:" in result.stdout and "ok" not in result.stdout.split("integrity:")[1].splitlines()[0]
    assert siblings(collection) == before


def test_a_pruned_card_whose_bullet_returns_takes_the_state_its_answers_left(
    db_path: Path, tmp_path: Path
) -> None:
    notes = write(tmp_path / "n.md", NOTES)
    assert run("import", str(notes)).exit_code == 0
    assert run("review", input=" \n5\nq\n").exit_code == 0
    answered = (
        sqlite3.connect(db_path).execute("SELECT card_id, reps_after, due_after FROM review").fetchone()
    )
    write(notes, "# Storage\n\n* **S3** - objects\n")
    assert run("import", "--prune", str(notes)).exit_code == 0
    write(notes, NOTES)
    assert run("import", str(notes)).exit_code == 0
    back = sqlite3.connect(db_path).execute("SELECT id, reps, due FROM card WHERE id = ?", (answered[0],))
    assert back.fetchone() == answered
    assert run("check").exit_code == 0
