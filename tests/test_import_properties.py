"""Property: importing the same notes twice leaves exactly what importing them once leaves."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dva_cards import importer, parse_pool
from dva_cards.extract import extract
from dva_cards.importer import import_notes, load_notes
from dva_cards.sections import LaidOut
from dva_cards.store import Store
from tests.helpers import dump, run

FRAGMENTS = st.sampled_from(
    ["* ", "- ", "1. ", "    ", "\t", "**", "*", "`", " - ", " = ", ": ", "# ", "## ", "Term", "answer",
     "Lambda", "22", "\n", "\n", "\n", "```\n", "<!-- x -->", "| a | b |\n|---|---|\n", "é", "[red]"]
)  # fmt: skip
MARKDOWNISH = st.lists(FRAGMENTS, max_size=60).map("".join)
# State that reaches across sections: front matter, writer's markers, bold as the plain style.
ACROSS_SECTIONS = st.sampled_from(
    ["---\n", "dva-cards: false\n", "<!-- dva-cards: off -->\n", "<!-- dva-cards: on -->\n",
     "<!-- dva-cards: card -->\n", "* **Term** - answer\n" * 10, "* **Idle** timeout closes it\n" * 3,
     "* Lambda - runs code\n", "* **Lambda**\n  * runs code\n"]
)  # fmt: skip
SECTION_NOTES = st.lists(st.one_of(FRAGMENTS, ACROSS_SECTIONS), max_size=60).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MARKDOWNISH, edited=MARKDOWNISH)
def test_import_twice_equals_import_once(text: str, edited: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes.md"
        notes.write_text(text, encoding="utf-8")
        once, twice = Path(tmp) / "once.db", Path(tmp) / "twice.db"
        now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        with Store.open(once) as store:
            import_notes(store, load_notes([notes]), now)
        with Store.open(twice) as store:
            import_notes(store, load_notes([notes]), now)
            import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
        assert dump(once) == dump(twice)

        # The same again with the file read afresh (as after an extractor upgrade): the sync itself changes
        # no card, only the recorded file fingerprint.
        original_version = importer.EXTRACTOR_VERSION
        importer.EXTRACTOR_VERSION = original_version + "-property"
        try:
            with Store.open(twice) as store:
                import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
        finally:
            importer.EXTRACTOR_VERSION = original_version
        assert _without_fingerprints(dump(once)) == _without_fingerprints(dump(twice))

        # After an edit, a second import of the edited file is again a no-op.
        notes.write_text(edited, encoding="utf-8")
        with Store.open(twice) as store:
            import_notes(store, load_notes([notes]), datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
            settled = dump(twice)
            import_notes(store, load_notes([notes]), datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
        assert dump(twice) == settled


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(SECTION_NOTES, min_size=1, max_size=5),
    edit=st.integers(min_value=0, max_value=4),
    replacement=SECTION_NOTES,
)
def test_an_edited_file_imports_alike_whether_its_unchanged_sections_are_reused_or_parsed_again(
    parts: list[str], edit: int, replacement: str
) -> None:
    # The full import parses the edited file whole, as `extract` does, with no section machinery at all:
    # every card of the file is reconciled.
    def whole(text: str, known: object, version: str, *_: object, **__: object) -> LaidOut:
        return LaidOut({}, {}, extract(text))

    original = "\n# Part\n".join(parts)
    parts[edit % len(parts)] = replacement
    edited = "\n# Part\n".join(parts)
    assume(edited != original)  # an unchanged file is skipped by its hash before any section is looked at
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes.md"
        incremental, full = Path(tmp) / "incremental.db", Path(tmp) / "full.db"
        for db in (incremental, full):
            notes.write_text(original, encoding="utf-8")
            with Store.open(db) as store:
                import_notes(store, load_notes([notes]), datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
                notes.write_text(edited, encoding="utf-8")
                if db == full:
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setattr(importer, "lay_out", whole)
                        patch.setattr(parse_pool, "lay_out", whole)
                        import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
                else:
                    import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
        # Everything but the kept section results (a cache the whole-file parse does not fill) is the same.
        assert _without_sections(dump(incremental)) == _without_sections(dump(full))


# Sections that define the same terms under the same headings, so edits move, repeat and take over cards.
DEFINITIONS = st.sampled_from(
    ["* **EC2** - virtual machines\n", "* **S3** - object storage\n", "* **EC2** - again\n",
     "* **Lambda** - functions\n  * **Cold start** - first call\n", "* **S3** - buckets, edited\n",
     "| Term | Definition |\n|---|---|\n| SQS | queues |\n", "## Sub\n", "* plain prose\n", "\n"]
)  # fmt: skip
SECTION = st.tuples(
    st.sampled_from(["Compute", "Storage", "Compute"]), st.lists(DEFINITIONS, min_size=1, max_size=5)
).map(lambda pair: f"# {pair[0]}\n" + "".join(pair[1]))
EDIT = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 5), SECTION),
    st.tuples(st.just("swap"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("remove"), st.integers(0, 5), st.just("")),
    st.tuples(st.just("insert"), st.integers(0, 5), SECTION),
    # In place, the line count kept: the sections after it stay where they were.
    st.tuples(st.just("answer"), st.integers(0, 5), st.sampled_from([" - ", "| SQS | "])),
    st.tuples(st.just("answer"), st.integers(0, 5), st.sampled_from([" - ", "| SQS | "])),
)


def _edited(parts: list[str], edit: tuple[str, int, object]) -> list[str]:
    kind, index, value = edit
    parts = list(parts)
    at = index % len(parts)
    if kind == "replace":
        parts[at] = str(value)
    elif kind == "swap":
        other = int(str(value)) % len(parts)
        parts[at], parts[other] = parts[other], parts[at]
    elif kind == "remove" and len(parts) > 1:
        del parts[at]
    elif kind == "insert":
        parts.insert(at, str(value))
    elif kind == "answer":
        parts[at] = parts[at].replace(str(value), f"{value}edited ", 1)
    return parts


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(st.lists(SECTION, min_size=1, max_size=5), min_size=1, max_size=2),
    edits=st.lists(st.tuples(st.integers(0, 1), EDIT), min_size=1, max_size=4),
    answer=st.booleans(),
    directory=st.booleans(),
)
def test_edits_over_several_imports_give_what_full_imports_give(
    files: list[list[str]], edits: list[tuple[int, tuple[str, int, object]]], answer: bool, directory: bool
) -> None:
    """Notes edited and imported again and again, as a directory deck (titles in the contexts) or one file:
    reconciling only the cards of changed sections leaves exactly what reconciling every card leaves, with
    the cards' reviews kept alike."""

    def whole(text: str, known: object, version: str, *_: object, **__: object) -> LaidOut:
        return LaidOut({}, {}, extract(text))

    states = [list(parts) for parts in files]
    texts = [["".join(parts) for parts in states]]
    for which, edit in edits:
        states[which % len(states)] = _edited(states[which % len(states)], edit)
        texts.append(["".join(parts) for parts in states])
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes"
        notes.mkdir()
        dumps = {}
        for mode in ("incremental", "full"):
            db = Path(tmp) / f"{mode}.db"
            seen = []
            for step, contents in enumerate(texts):
                for index, text in enumerate(contents):
                    (notes / f"file{index}.md").write_text(text, encoding="utf-8")
                now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC) + timedelta(hours=step)
                with Store.open(db) as store, pytest.MonkeyPatch.context() as patch:
                    if mode == "full":
                        patch.setattr(importer, "lay_out", whole)
                        patch.setattr(parse_pool, "lay_out", whole)
                    given = [notes] if directory else [notes / "file0.md"]
                    result = import_notes(store, load_notes(given), now)
                seen.append(result.to_json())
                if answer and step == 0:
                    _answer_every_card(db)
            dumps[mode] = (_without_sections(dump(db)), seen)
        assert dumps["incremental"] == dumps["full"]


def _answer_every_card(db: Path) -> None:
    """Every card as if answered, so a card that loses its history would show."""
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        connection.execute("UPDATE card SET reps = 3, interval = 9, ease = 2.1")
        connection.commit()
    finally:
        connection.close()


def _without_sections(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    return {table: values for table, values in rows.items() if table != "source_section"}


def _without_fingerprints(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    # Files and their sections are recorded under hashes that include the extractor's version.
    return {
        table: content for table, content in rows.items() if table not in ("source_file", "source_section")
    }


# -- through the command line: arbitrary text, any line endings, any accepted encoding ----------------------------

ANY_CHARACTER = st.characters(blacklist_categories=["Cs"])  # every code point UTF-8 can carry
UNICODE_NOTES = st.lists(st.one_of(FRAGMENTS, st.text(ANY_CHARACTER, max_size=12)), max_size=40).map("".join)
LINE_ENDINGS = st.sampled_from(["\n", "\r\n", "\r"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=UNICODE_NOTES, newline=LINE_ENDINGS, encoding=ENCODINGS)
def test_cli_import_of_any_unicode_is_clean_and_a_second_import_is_a_no_op(
    text: str, newline: str, encoding: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collection.db"
        notes = Path(tmp) / "notes.md"
        notes.write_bytes(text.replace("\n", newline).encode(encoding))
        first = run("--db", str(db), "import", "--json", str(notes))
        assert first.exception is None or isinstance(first.exception, SystemExit), first.exception
        if "\x00" in text:  # refused: NUL is no text
            assert first.exit_code == 1 and len(first.stderr.strip().splitlines()) == 1
            # UTF-16 of a leading NUL starts FF FE 00 00: the byte order mark of UTF-32, and refused as such.
            assert "NUL" in first.stderr or "binary" in first.stderr or "UTF-32" in first.stderr
            assert _card_count(db) == 0
            return
        assert first.exit_code == 0, first.stderr
        settled = dump(db)
        again = run("--db", str(db), "import", "--json", str(notes))
        assert again.exit_code == 0, again.stderr
        summary = json.loads(again.stdout)
        assert (summary["added"], summary["updated"], summary["retired"]) == (0, 0, 0)
        assert dump(db) == settled
        listing = run("--db", str(db), "cards")
        assert listing.exit_code == 0, listing.stderr
        assert "\x1b" not in listing.stdout  # no note text reaches the terminal as a control sequence


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=UNICODE_NOTES)
def test_line_endings_bom_and_encoding_never_change_the_cards(text: str) -> None:
    text = text.replace("\x00", "")
    variants = [
        text.encode("utf-8"),
        text.replace("\n", "\r\n").encode("utf-8"),
        text.replace("\n", "\r").encode("utf-8"),
        text.encode("utf-8-sig"),
        text.replace("\n", "\r\n").encode("utf-16"),
    ]
    expected = _drafts(variants[0])
    for data in variants[1:]:
        assert _drafts(data) == expected


def _drafts(data: bytes) -> list[tuple[object, ...]]:
    from dva_cards.extract import extract
    from dva_cards.sources import decode_notes

    result = extract(decode_notes(data, Path("notes.md")))
    return [(card.context, card.front, card.back, card.line, card.occurrence) for card in result.cards]


def _card_count(db: Path) -> int:
    if not db.exists():
        return 0
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        return int(connection.execute("SELECT count(*) FROM card").fetchone()[0])
    finally:
        connection.close()
