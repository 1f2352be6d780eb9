"""Property: an import going file by file -- each file reconciled and written before the next is read, the
retirements a move may undo held back until every file is in -- leaves exactly the collection, and gives
exactly the summary, of the import reconciling each deck as one whole (tests/reference_import.py).

Random decks of a few files go through random edits, each followed by an import of every file together:
definitions moved within and between files (titles shared, so ids collide across files), removed and brought
back, files copied, renamed and deleted, imports with `--prune` and dry runs. The cards carry answers, and
the collection has been synced, so a lost history, a card written twice or a spurious deletion would show.
"""

from __future__ import annotations

import copy
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import importer, parse_pool
from dva_cards.importer import ImportResult, import_notes, load_notes
from dva_cards.store import Store
from tests.helpers import dump, import_meanwhile
from tests.reference_import import import_whole

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TERMS = ("EC2", "S3", "Lambda", "SQS", "Kinesis", "VPC")
ANSWERS = {
    term: f"{term} stores runs queues streams networks things for the cloud platform" for term in TERMS
}
TITLES = ("Alpha", "Beta")  # two files may share a title: their cards' ids then collide
HEADINGS = ("Compute", "Storage", "Network")
NAMES = ("a.md", "b.md", "c.md", "d.md")


@dataclass
class Bullet:
    term: str
    edited: bool = False  # its answer changed by a word: still recognised when it moves

    def line(self) -> str:
        answer = ANSWERS[self.term] + (" today" if self.edited else "")
        return f"* **{self.term}** - {answer}\n"


@dataclass
class Section:
    heading: str
    bullets: list[Bullet] = field(default_factory=list)


@dataclass
class Notes:
    title: str
    sections: list[Section]

    def text(self) -> str:
        # Each heading is top-level: every section is parsed, and may stay steady, on its own.
        parts = [f"# {self.title}\n\n"]
        for section in self.sections:
            parts.append(
                f"# {section.heading}\n" + "".join(bullet.line() for bullet in section.bullets) + "\n"
            )
        return "".join(parts)


BULLETS = st.builds(Bullet, st.sampled_from(TERMS), st.booleans())
SECTIONS = st.builds(Section, st.sampled_from(HEADINGS), st.lists(BULLETS, max_size=4))
NOTES = st.builds(Notes, st.sampled_from(TITLES), st.lists(SECTIONS, min_size=1, max_size=3))
EDITS = ("move", "move", "remove", "restore", "add", "edit", "heading", "rename", "copy", "drop")


def edit(
    files: dict[str, Notes], removed: list[tuple[Section, Bullet]], kind: str, data: st.DataObject
) -> None:
    sections = [section for notes in files.values() for section in notes.sections]
    bullets = [(section, bullet) for section in sections for bullet in section.bullets]
    if kind == "move" and bullets:
        section, bullet = data.draw(st.sampled_from(bullets))
        section.bullets.remove(bullet)
        target = data.draw(st.sampled_from(sections))
        target.bullets.insert(data.draw(st.integers(0, len(target.bullets))), bullet)
    elif kind == "remove" and bullets:
        section, bullet = data.draw(st.sampled_from(bullets))
        section.bullets.remove(bullet)
        removed.append((section, bullet))
    elif kind == "restore" and removed:  # back where it was: its card, retired, comes back
        section, bullet = removed.pop(data.draw(st.integers(0, len(removed) - 1)))
        section.bullets.insert(data.draw(st.integers(0, len(section.bullets))), bullet)
    elif kind == "add" and sections:
        section = data.draw(st.sampled_from(sections))
        section.bullets.insert(data.draw(st.integers(0, len(section.bullets))), data.draw(BULLETS))
    elif kind == "edit" and bullets:
        _, bullet = data.draw(st.sampled_from(bullets))
        bullet.edited = not bullet.edited
    elif kind == "heading" and sections:
        data.draw(st.sampled_from(sections)).heading = data.draw(st.sampled_from(HEADINGS))
    elif kind in ("rename", "copy") and files:
        name = data.draw(st.sampled_from(sorted(files)))
        other = data.draw(st.sampled_from(NAMES))
        files[other] = files.pop(name) if kind == "rename" else copy.deepcopy(files[name])
    elif kind == "drop" and len(files) > 1:
        del files[data.draw(st.sampled_from(sorted(files)))]


def write(root: Path, files: dict[str, Notes]) -> list[Path]:
    for stale in root.glob("*.md"):
        if stale.name not in files:
            stale.unlink()
    for name, notes in files.items():
        path = root / name
        text = notes.text()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(root / name for name in files)


def answer_and_sync(db: Path) -> None:
    """Every card answered once (its own count, its answer in the log) and the collection synced: its cards
    carry a clock, which a write to them clears."""
    with sqlite3.connect(db) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM card ORDER BY id")]
        for number, identity in enumerate(ids, start=1):
            connection.execute("UPDATE card SET reps = ?, interval = ?, due = '2026-11-20' WHERE id = ?",
                               (number, number, identity))  # fmt: skip
            connection.execute(
                "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, "
                "ease_before, interval_before, due_before, drill_before, lapses_before, leech_before, "
                "suspended_before, reps_after, ease_after, interval_after, due_after, drill_after, lapses_after, "
                "uid, clock) VALUES (?, '2026-11-02 10:00:00', '2026-11-02', 4, 'review', 1000, 0, 2500, 0, "
                "NULL, 0, 0, 0, 0, ?, 2500, ?, '2026-11-20', 0, 0, ?, ?)",
                (identity, number, number, f"uid-{identity}", number),
            )
        connection.execute("UPDATE sync_clock SET counter = counter + ? WHERE id = 1", (len(ids) + 1,))
        connection.execute(
            "UPDATE card SET clock = (SELECT counter FROM sync_clock WHERE id = 1), clock_device = NULL"
        )


def summary(result: ImportResult) -> dict[str, object]:
    return {**result.to_json(), "cards": [card.to_json() for card in result.cards]}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.dictionaries(st.sampled_from(NAMES), NOTES, min_size=1, max_size=3),
    mode=st.sampled_from(["directory", "deck", "files"]),
    steps=st.lists(
        st.tuples(st.lists(st.sampled_from(EDITS), min_size=1, max_size=4), st.booleans(), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    data=st.data(),
)
def test_file_by_file_import_equals_whole_deck_import(
    first: dict[str, Notes], mode: str, steps: list[tuple[list[str], bool, bool]], data: st.DataObject
) -> None:
    """`mode`: the notes imported as a directory (one deck, each file's title leading its contexts), as files
    into one deck named with `--deck`, or as files each into its own deck."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notes"
        root.mkdir()
        whole, by_file = Path(tmp) / "whole.db", Path(tmp) / "by-file.db"
        files = first
        removed: list[tuple[Section, Bullet]] = []
        deck = "notes" if mode == "deck" else None
        for db in (whole, by_file):
            with Store.open(db) as store:
                paths = write(root, files)
                import_notes(store, load_notes([root] if mode == "directory" else paths), START, deck=deck)
            answer_and_sync(db)
        assert dump(whole) == dump(by_file)
        now = START
        for edits, prune, dry_run in steps:
            for kind in edits:
                edit(files, removed, kind, data)
            paths = write(root, files)
            given = [root] if mode == "directory" else paths
            now += timedelta(days=1)
            with Store.open(whole) as store:
                expected = import_whole(
                    store, load_notes(given), now, deck=deck, prune=prune, dry_run=dry_run
                )
            with Store.open(by_file) as store:
                result = import_notes(store, load_notes(given), now, deck=deck, prune=prune, dry_run=dry_run)
            assert summary(result) == summary(expected)
            assert dump(by_file) == dump(whole)


# -- how the files go: each one parsed, reconciled and written before the next ------------------------------


def _numbered_notes(root: Path, count: int) -> list[Path]:
    root.mkdir()
    paths = [root / f"n{index}.md" for index in range(count)]
    for index, path in enumerate(paths):
        path.write_text(f"# N{index}\n* **T{index}** - answer {index}\n", encoding="utf-8")
    return paths


def test_files_beyond_the_read_ahead_are_parsed_under_the_lock_as_the_files_before_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _numbered_notes(tmp_path / "notes", 6)
    events: list[str] = []
    parse = parse_pool.lay_out

    def parsing(text: str, *args: Any, **options: Any) -> Any:
        events.append(f"parse {text.split()[1]}")
        return parse(text, *args, **options)

    write_plan = Store.write_file_plan

    def writing(self: Store, deck_id: int, plan: Any, *args: Any) -> None:
        events.append(f"write {Path(plan.source).stem.upper()}")
        write_plan(self, deck_id, plan, *args)

    transaction = Store.transaction

    @contextmanager
    def locking(self: Store, **options: Any) -> Iterator[None]:
        with transaction(self, **options):
            events.append("lock")
            yield

    monkeypatch.setattr(importer, "READ_AHEAD_BYTES", 2 * paths[0].stat().st_size)  # two files
    monkeypatch.setattr(parse_pool, "lay_out", parsing)
    monkeypatch.setattr(Store, "write_file_plan", writing)
    monkeypatch.setattr(Store, "transaction", locking)
    with Store.open(tmp_path / "collection.db") as store:
        result = import_notes(store, load_notes([tmp_path / "notes"]), START)
    assert result.counts.added == 6
    assert events == [
        "parse N0", "parse N1", "lock",  # read ahead: parsed before the write lock
        "write N0", "parse N2", "write N1", "parse N3", "write N2", "parse N4", "write N3", "parse N5",
        "write N4", "write N5",
    ]  # fmt: skip


def test_a_file_s_drafts_are_let_go_once_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _numbered_notes(tmp_path / "notes", 5)
    made: list[weakref.ref[Any]] = []

    class Tracked(importer.ParsedFile):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(weakref.ref(self))

    held = []
    write_plan = Store.write_file_plan

    def writing(self: Store, *args: Any) -> None:
        held.append(sum(1 for parsed in made if parsed() is not None))
        write_plan(self, *args)

    monkeypatch.setattr(importer, "ParsedFile", Tracked)
    monkeypatch.setattr(importer, "READ_AHEAD_BYTES", 1)  # every file a batch of its own
    monkeypatch.setattr(Store, "write_file_plan", writing)
    with Store.open(tmp_path / "collection.db") as store:
        import_notes(store, load_notes(paths), START, deck="notes")
    assert held == [1, 1, 1, 1, 1]  # the file being written, never the files before it


def test_a_file_unchanged_when_read_but_imported_otherwise_before_the_write_lock_is_parsed_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read unchanged since its last import, the file is not parsed; another import then records other text
    for it before this one takes the write lock: the text this import read is parsed and imported after all."""
    notes = tmp_path / "notes.md"
    db = tmp_path / "collection.db"
    first, other = "# A\n* **EC2** - machines\n", "# A\n* **S3** - buckets\n"
    notes.write_text(first, encoding="utf-8")
    with Store.open(db) as store:
        import_notes(store, load_notes([notes]), START)
    import_meanwhile(monkeypatch, notes, db, other, first, START)
    with Store.open(db) as store:
        result = import_notes(store, load_notes([notes]), START + timedelta(hours=1))
    assert (result.counts.restored, result.counts.retired) == (1, 1)
    with sqlite3.connect(db) as connection:
        live = connection.execute("SELECT front FROM card WHERE retired_at IS NULL").fetchall()
    assert live == [("EC2",)]
