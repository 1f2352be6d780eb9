"""Steady sections: which cards of an edited file an import leaves unread, and that it never leaves a card
that another import changed in the meantime."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards.extract import CardDraft
from dva_cards.identity import with_title
from dva_cards.importer import import_notes, load_notes
from dva_cards.sections import SectionCards, SectionResult
from dva_cards.steady import draft_key, lines_agree, merged, steady_ranges, untouched_ranges
from dva_cards.store import Store
from tests.helpers import import_meanwhile

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _result(lines: int, title: str | None = None, drafts: tuple[CardDraft, ...] = ()) -> SectionResult:
    return SectionResult(lines, SectionCards.of(drafts), (), False, False, 0, 0, False, title, (), (), ())


def _section(start: int, lines: int, *drafts: CardDraft) -> tuple[int, SectionResult]:
    """A section starting at `start` (0-based), its drafts' lines counted from its own first line."""
    return start, _result(lines, drafts=drafts)


def _draft(line: int, front: str, context: tuple[str, ...] = ("A",)) -> CardDraft:
    return CardDraft(context, front, "answer", line, 0)


def test_a_section_is_steady_where_the_same_text_started_last_time() -> None:
    results = {"a": _result(3), "b": _result(2), "c": _result(4)}
    previous = {"a": (0,), "b": (3,), "c": (5,)}
    assert steady_ranges(previous, {"a": (0,), "b": (3,), "c": (5,)}, results, titled=False) == [
        (1, 3),
        (4, 5),
        (6, 9),
    ]
    # `b` moved down a line: it and what follows are reconciled.
    assert steady_ranges(previous, {"a": (0,), "b": (4,), "c": (6,)}, results, titled=False) == [(1, 3)]


def test_a_titled_file_keeps_nothing_when_the_sections_up_to_its_title_changed() -> None:
    results = {"intro": _result(2), "new": _result(2), "titled": _result(3, "Title"), "rest": _result(2)}
    previous = {"intro": (0,), "titled": (2,), "rest": (5,)}
    assert steady_ranges(previous, {"new": (0,), "titled": (2,), "rest": (5,)}, results, titled=True) == []
    assert steady_ranges(previous, {"new": (0,), "titled": (2,), "rest": (5,)}, results, titled=False) == [
        (3, 5),
        (6, 7),
    ]


def test_a_term_shared_with_a_changed_section_makes_a_section_unsteady() -> None:
    steady = [_section(0, 3, _draft(2, "EC2")), _section(3, 3, _draft(2, "S3"))]
    reconciled = [_draft(8, "ec2 ")]
    assert untouched_ranges(steady, reconciled, [], None) == [(4, 6)]  # `ec2 ` is the term EC2
    assert untouched_ranges(steady, [], [("A", "s3")], None) == [(1, 3)]  # a retired card of the file
    assert untouched_ranges(steady, [], [], None) == [(1, 3), (4, 6)]


def test_in_a_titled_file_keys_are_compared_with_the_title_leading_their_contexts() -> None:
    steady = [_section(0, 3, _draft(2, "EC2")), _section(3, 3, _draft(2, "S3", ("Notes", "A")))]
    # The reconciled drafts and the stored cards carry the title already.
    assert untouched_ranges(steady, [_draft(8, "EC2", ("Notes", "A"))], [], "Notes") == [(4, 6)]
    assert untouched_ranges(steady, [_draft(8, "EC2", ("A",))], [], "Notes") == [(1, 3), (4, 6)]
    assert untouched_ranges(steady, [], [("Notes › A", "s3")], "Notes") == [(1, 3)]


def test_cards_must_stand_on_the_steady_lines() -> None:
    steady = [_section(0, 3, _draft(2, "EC2")), _section(3, 3, _draft(2, "S3"))]
    assert lines_agree(steady, [5, 2])
    assert not lines_agree(steady, [2])
    assert not lines_agree(steady, [2, 6])


def test_adjacent_ranges_are_looked_up_as_one() -> None:
    assert merged([(1, 3), (4, 6), (9, 9), (10, 12)]) == [(1, 6), (9, 12)]


def test_an_import_between_parsing_and_writing_leaves_no_stale_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third version's second section is the first version's again, where it was: steady by the
    sections read when parsing. But a second import wrote its edited version between that parsing and the
    write, so its card must be reconciled, not left as the second import wrote it."""
    notes = tmp_path / "notes.md"
    db = tmp_path / "collection.db"
    first = "# A\n* **EC2** - machines\n\n# B\n* **X** - one\n"
    second = "# A\n* **EC2** - machines\n\n# B\n* **X** - two\n"
    third = "# A\n* **EC2** - virtual machines\n\n# B\n* **X** - one\n"
    notes.write_text(first, encoding="utf-8")
    with Store.open(db) as store:
        import_notes(store, load_notes([notes]), NOW)
    notes.write_text(third, encoding="utf-8")
    import_meanwhile(monkeypatch, notes, db, second, third, NOW)
    with Store.open(db) as store:
        import_notes(store, load_notes([notes]), NOW)
    with sqlite3.connect(db) as connection:
        backs = dict(connection.execute("SELECT front, back FROM card WHERE retired_at IS NULL").fetchall())
    assert backs == {"EC2": "virtual machines", "X": "one"}


_draft_in_section = st.builds(
    _draft,
    st.integers(1, 5),
    st.sampled_from(["S3", "s3", "IAM", "EC2"]),
    st.sampled_from([("A",), ("A", "B"), ("B",), ("T", "A")]),
)
_sections = st.lists(st.lists(_draft_in_section, max_size=4), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_sections, st.lists(st.booleans(), min_size=8, max_size=8), st.sampled_from([None, "T"]))
def test_a_section_is_dropped_exactly_when_one_of_its_keys_is_touched(
    sections: list[list[CardDraft]], steady_flags: list[bool], title: str | None
) -> None:
    def in_file(draft: CardDraft, start: int) -> CardDraft:
        return draft._replace(context=with_title(draft.context, title), line=start + draft.line)

    placed = [_section(5 * index, 5, *drafts) for index, drafts in enumerate(sections)]
    flagged = list(zip(placed, steady_flags, strict=False))
    steady = [each for each, flag in flagged if flag]
    reconciled = [
        in_file(draft, start) for (start, result), flag in flagged if not flag for draft in result.cards
    ]
    touched = {draft_key(draft) for draft in reconciled}
    expected = [
        (start + 1, start + result.line_count)
        for start, result in steady
        if not any(draft_key(in_file(draft, start)) in touched for draft in result.cards)
    ]
    assert untouched_ranges(steady, reconciled, (), title) == expected
    assert lines_agree(
        steady, [start + line for start, result in reversed(steady) for line in result.cards.lines]
    )
