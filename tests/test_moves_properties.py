"""Property: however notes are reorganised, every definition that survives keeps its own card and history.

Random notes (a deck of a few files, headings, definitions with distinct terms) go through a random sequence of
edits, each followed by an import of every file together: a bullet moved to another heading (of any file), a
heading renamed, bullets reordered, a file split in two, a file renamed, an answer edited slightly, a term
edited. Each definition is given its own review count once; after every import each definition's card still
has it, no two definitions share one, and importing the same notes again changes nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards.importer import import_notes, load_notes
from dva_cards.store import Store
from tests.helpers import dump

WORDS = ("instances", "storage", "bucket", "queue", "region", "zone", "scale", "cache", "latency", "policy",
         "role", "key", "stream", "shard", "table", "index", "function", "event", "log", "metric", "alarm",
         "volume", "snapshot", "image", "network", "subnet", "route", "gateway", "cluster", "task")  # fmt: skip
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Definition:
    uid: int
    term: str
    answer: list[str]


@dataclass
class Section:
    heading: str
    items: list[Definition] = field(default_factory=list)


@dataclass
class NotesFile:
    name: str
    title: str
    sections: list[Section] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"# {self.title}", ""]
        for section in self.sections:
            lines += [f"## {section.heading}", ""]
            lines += [f"* **{item.term}** - {' '.join(item.answer)}" for item in section.items]
            lines.append("")
        return "\n".join(lines)


@dataclass
class Notes:
    files: list[NotesFile]
    fresh: int = 0  # a counter for new names, so every term, heading and file name stays unique

    def name(self, prefix: str) -> str:
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    def sections(self) -> list[Section]:
        return [section for each in self.files for section in each.sections]

    def items(self) -> list[Definition]:
        return [item for section in self.sections() for item in section.items]


@st.composite
def notes_strategy(draw: st.DrawFn) -> Notes:
    notes = Notes([])
    uid = 0
    for _ in range(draw(st.integers(1, 3))):
        notes_file = NotesFile(notes.name("file") + ".md", notes.name("Title "))
        for _ in range(draw(st.integers(1, 3))):
            section = Section(notes.name("Heading "))
            for _ in range(draw(st.integers(0, 4))):
                answer = draw(st.lists(st.sampled_from(WORDS), min_size=6, max_size=10))
                section.items.append(Definition(uid, notes.name("Term "), answer))
                uid += 1
            notes_file.sections.append(section)
        notes.files.append(notes_file)
    return notes


EDITS = ("move", "rename heading", "reorder", "split file", "rename file", "edit answer", "edit term")


def apply_edit(notes: Notes, edit: str, draw: st.DrawFn) -> None:
    sections, items = notes.sections(), notes.items()
    if edit == "move" and items:
        item = draw(st.sampled_from(items))
        for section in sections:
            if item in section.items:
                section.items.remove(item)
        target = draw(st.sampled_from(sections))
        target.items.insert(draw(st.integers(0, len(target.items))), item)
    elif edit == "rename heading":
        draw(st.sampled_from(sections)).heading = notes.name("Renamed ")
    elif edit == "reorder":
        section = draw(st.sampled_from(sections))
        section.items = draw(st.permutations(section.items))
    elif edit == "split file":
        source = draw(st.sampled_from(notes.files))
        if len(source.sections) > 1:
            cut = draw(st.integers(1, len(source.sections) - 1))
            part = NotesFile(notes.name("part") + ".md", notes.name("Part "), source.sections[cut:])
            source.sections = source.sections[:cut]
            notes.files.append(part)
    elif edit == "rename file":
        renamed = draw(st.sampled_from(notes.files))
        renamed.name = notes.name("renamed") + ".md"
        if draw(st.booleans()):
            renamed.title = notes.name("New title ")
    elif edit == "edit answer" and items:
        item = draw(st.sampled_from(items))
        item.answer[draw(st.integers(0, len(item.answer) - 1))] = "changed"
    elif edit == "edit term" and items:
        draw(st.sampled_from(items)).term = notes.name("Edited ")


def write_all(root: Path, notes: Notes) -> list[Path]:
    for stale in root.glob("*.md"):
        stale.unlink()
    paths = [root / each.name for each in notes.files]
    for notes_file, path in zip(notes.files, paths, strict=True):
        path.write_text(notes_file.text(), encoding="utf-8")
    return paths


def live_cards(db: Path) -> dict[tuple[str, str], int]:
    """(context, front) -> reps of every card not retired."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT context, front, reps FROM card WHERE retired_at IS NULL").fetchall()
    return {(context, front): reps for context, front, reps in rows}


def expected_reps(notes: Notes) -> dict[tuple[str, str], int]:
    """Each definition's card by where it now sits, with the review count given to that definition."""
    return {
        (f"{each.title} › {section.heading}", item.term): item.uid + 1
        for each in notes.files
        for section in each.sections
        for item in section.items
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes=notes_strategy(), data=st.data())
def test_every_surviving_definition_keeps_its_own_history(notes: Notes, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, db = Path(tmp) / "notes", Path(tmp) / "collection.db"
        root.mkdir()
        now = START
        with Store.open(db) as store:
            import_notes(store, load_notes(write_all(root, notes)), now, deck="deck")
        # Each definition's own review count: distinct, so a shared history would show.
        with sqlite3.connect(db) as connection:
            for key, reps in expected_reps(notes).items():
                connection.execute("UPDATE card SET reps = ? WHERE context = ? AND front = ?", (reps, *key))
        assert live_cards(db) == expected_reps(notes)
        for edit in data.draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=6)):
            apply_edit(notes, edit, data.draw)
            now += timedelta(days=1)
            paths = write_all(root, notes)
            with Store.open(db) as store:
                import_notes(store, load_notes(paths), now, deck="deck")
            assert live_cards(db) == expected_reps(notes), edit
            settled = dump(db)
            with Store.open(db) as store:
                again = import_notes(store, load_notes(paths), now + timedelta(hours=1), deck="deck")
            assert dump(db) == settled
            assert (again.counts.added, again.counts.moved, again.counts.retired) == (0, 0, 0)
