"""Sections: extracting a file section by section, reusing unchanged sections, gives exactly `extract`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from random import Random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import sections
from dva_cards.extract import Extraction, extract
from dva_cards.sections import (
    SectionCards,
    SectionResult,
    extract_sections,
    result_from_record,
    result_to_record,
    split_sections,
)

VERSION = "test"
FRAGMENTS = st.sampled_from(
    ["* ", "- ", "1. ", "    ", "\t", "**", "*", "`", " - ", " = ", ": ", "# ", "## ", "Term", "answer",
     "Lambda", "22", "\n", "\n", "\n", "\n\n# EC2\n", "\n\n# S3\n", "\n\n#\n", "\n# Lambda\n", "```\n",
     "~~~\n", "<!--\n", "-->\n", "<!-- x -->", "| a | b |\n|---|---|\n", "> ", "é", "\r\n", "[x]: /u\n",
     "[x]", "* **Term** - answer\n", "&nbsp;\n# EC2\n", "<div>\n", "  * *Sub* - nested\n", "\n\n",
     # State that reaches across sections: front matter, writer's markers, bold as the plain style.
     "---\n", "dva-cards: false\n", "---\ntitle: x\n---\n", "<!-- dva-cards: off -->\n",
     "<!-- dva-cards: on -->\n", "<!-- dva-cards: card -->\n", "* **Term** - answer\n" * 10,
     "* **Idle** timeout closes it\n" * 4, "* Lambda - runs code\n", "* **Lambda**\n  * runs code\n"]
)  # fmt: skip
MARKDOWNISH = st.lists(FRAGMENTS, max_size=80).map("".join)
NOTES = """# EC2
* **EC2** - virtual machines
* **AMI** - an image

# S3
* **Bucket** - a container
* **EC2** - not this one

# EC2
* **EC2** - again, a second occurrence
"""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MARKDOWNISH)
def test_section_by_section_is_the_whole_file(text: str) -> None:
    extraction = extract_sections(text, {}, VERSION)[0]
    assert extraction == extract(text)
    assert extraction.title == extract(text).title  # not part of `==`: the file's title in a deck of files


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(MARKDOWNISH, min_size=1, max_size=6),
    edit=st.integers(min_value=0, max_value=5),
    replacement=MARKDOWNISH,
)
def test_an_edited_file_reusing_the_old_sections_is_extracted_as_a_whole(
    parts: list[str], edit: int, replacement: str
) -> None:
    original = "\n\n# Part\n".join(parts)
    _, known = extract_sections(original, {}, VERSION)
    parts[edit % len(parts)] = replacement
    edited = "\n\n# Part\n".join(parts)
    extraction = extract_sections(edited, known, VERSION)[0]
    assert extraction == extract(edited)
    assert extraction.title == extract(edited).title


def test_only_the_changed_section_is_parsed_again(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    first, known = extract_sections(NOTES, {}, VERSION)
    parsed: list[str] = []
    real = sections.parse_section

    def spy(part: str) -> sections.SectionResult:
        parsed.append(part)
        return real(part)

    monkeypatch.setattr(sections, "parse_section", spy)
    edited = NOTES.replace("a container", "a container of objects")
    second, _ = extract_sections(edited, known, VERSION)
    assert parsed == ["# S3\n* **Bucket** - a container of objects\n* **EC2** - not this one\n"]
    assert second == extract(edited)
    assert [card.occurrence for card in second.cards if card.front == "EC2"] == [0, 0, 1]
    assert [card.line for card in second.cards] == [card.line for card in first.cards]


def test_a_fence_open_at_a_section_end_takes_the_next_heading_in() -> None:
    text = "# A\n* **X** - x\n\n```\n\n# B\n* **Y** - y\n```\n\n# C\n* **Z** - z\n"
    result = extract_sections(text, {}, VERSION)[0]
    assert result == extract(text)
    assert [card.front for card in result.cards] == ["X", "Z"]


def test_link_references_make_the_whole_file_one_piece() -> None:
    text = "# A\n* **[x]** - see\n\n# B\n[x]: https://example.com\n"
    extraction, kept = extract_sections(text, {}, VERSION)
    assert extraction == extract(text)
    assert kept == {}


def test_sections_start_at_top_level_headings() -> None:
    lines = ["intro", "", "# A", "text", "&nbsp;", "# B", "", "## sub", " # indented", "#", "x", "#hashtag"]
    assert split_sections(lines) == [(0, 2), (2, 5), (5, 9), (9, 12)]


def test_comments_in_fenced_shell_snippets_are_no_sections() -> None:
    lines = ["# A", "```bash", "", "# list functions", "aws lambda list-functions", "```", "", "# B", "x"]
    assert split_sections(lines) == [(0, 7), (7, 9)]
    text = "\n".join(lines)
    assert extract_sections(text, {}, VERSION)[0] == extract(text)


def test_a_section_result_survives_its_record() -> None:
    _, known = extract_sections(NOTES, {}, VERSION)
    assert any(result.cards for result in known.values())
    for result in known.values():
        assert result_from_record(result_to_record(result, (3, 40))) == (result, (3, 40))


@pytest.mark.parametrize(
    "damage",
    [
        lambda record: record[:-3],  # cut short
        lambda record: b"something else" + record,  # not a record
        lambda record: record.replace(b"section 2\x00", b"section 2\x00\xff", 1),  # a newer marshal format
        lambda record: record.replace(b"virtual machines", b"virtual machinez", 1),  # a draft's byte changed
    ],
)
def test_a_record_this_python_cannot_read_is_none(damage: object) -> None:
    _, known = extract_sections(NOTES, {}, VERSION)
    result = next(result for result in known.values() if result.cards)
    assert callable(damage)
    assert result_from_record(damage(result_to_record(result))) is None


def test_a_large_file_keeps_every_card_when_a_fence_spans_a_parsing_boundary() -> None:
    from tests.conftest import BUNDLED_DECK

    deck = BUNDLED_DECK.read_text(encoding="utf-8")
    deck = deck if deck.endswith("\n") else deck + "\n"
    # Five copies run past the 4,000 lines a large file is parsed in; the deck's shell snippets hold
    # `# comment` lines that must not become headings.
    assert len(extract(deck * 5).cards) == 5 * len(extract(deck).cards)
    assert extract_sections(deck * 5, {}, VERSION)[0] == extract(deck * 5)


def test_a_boundary_inside_a_fence_moves_on_without_parsing_the_rest_of_the_file_whole() -> None:
    from dva_cards import extract as extract_module
    from tests.conftest import BUNDLED_DECK

    deck = BUNDLED_DECK.read_text(encoding="utf-8")
    deck = deck if deck.endswith("\n") else deck + "\n"
    lines = extract_module.normalize_source(deck * 10).split("\n")
    starts = [start for start, _ in extract_module._parse_in_sections(lines, {})]
    # A `# comment` in a shell snippet sits where a part would end: the part runs on to a later boundary,
    # not to the end of the file (every token of which would then be held at once).
    longest = max(end - start for start, end in zip(starts, [*starts[1:], len(lines)], strict=True))
    assert len(starts) > 2
    assert longest < 2 * extract_module._SECTION_LINES
    assert len(extract(deck * 10).cards) == 10 * len(extract(deck).cards)


BOLD_SLIDES = "".join(f"* **Point {n}** is made here\n" for n in range(12))
PLAIN_NOTES = "".join(f"* Term{n} - answer {n}\n" for n in range(4)) + "* **Bold** - a term\n"
# A bold line over sub-bullets: a term, unless bold is the file's plain style (then a heading-like bullet).
BOLD_LINE = "* **Lambda**\n  * runs code\n"


def test_bold_as_the_plain_style_is_decided_for_the_file_as_a_whole_parse_does() -> None:
    # The file as a whole has bold as its plain style; its short last section alone would not.
    text = f"# Slides\n{BOLD_SLIDES}\n# Glossary\n{BOLD_LINE}"
    assert extract_sections(text, {}, VERSION)[0] == extract(text)
    assert "Lambda" not in [card.front for card in extract(text).cards]
    # Reusing the first section after an edit of the second still reads the file in one mode.
    _, known = extract_sections(text, {}, VERSION)
    edited = text.replace("runs code", "runs your code")
    assert extract_sections(edited, known, VERSION)[0] == extract(edited)
    # Plain notes beside a bold-only section: the whole file is not bold enough, the section alone is.
    mixed = f"# Glossary\n{PLAIN_NOTES * 3}\n# Slides\n{BOLD_SLIDES}{BOLD_LINE}"
    _, known = extract_sections(mixed, {}, VERSION)
    assert extract_sections(mixed, known, VERSION)[0] == extract(mixed)
    assert "Lambda" in [card.front for card in extract(mixed).cards]


def test_sections_of_a_file_without_bold_mode_are_reused() -> None:
    text = f"# A\n{PLAIN_NOTES}\n# B\n{PLAIN_NOTES}"
    extraction, known = extract_sections(text, {}, VERSION)
    assert extraction == extract(text)
    assert len(known) == 2


def test_a_marker_turns_carding_off_across_sections() -> None:
    text = f"# A\n<!-- dva-cards: off -->\n{PLAIN_NOTES}\n# B\n{PLAIN_NOTES}\n# C\n<!-- dva-cards: on -->\n"
    text += PLAIN_NOTES
    _, known = extract_sections(text.replace("<!-- dva-cards: off -->\n", ""), {}, VERSION)
    extraction, _ = extract_sections(text, known, VERSION)
    assert extraction == extract(text)
    assert {card.context for card in extraction.cards} == {("C",)}


def test_front_matter_that_turns_the_file_off_holds_for_every_section() -> None:
    body = f"# A\n{PLAIN_NOTES}\n# B\n{PLAIN_NOTES}"
    _, known = extract_sections(body, {}, VERSION)
    text = f"---\ndva-cards: false\n---\n{body}"
    assert extract_sections(text, known, VERSION)[0] == extract(text) == Extraction((), ())
    kept = f"---\ntitle: notes\n---\n{body}"
    assert extract_sections(kept, known, VERSION)[0] == extract(kept)


def test_a_large_bold_file_is_extracted_as_a_whole() -> None:
    # Over 4,000 lines `extract` decides bold's mode piece by piece, pieces that sections cannot mirror.
    text = "".join(f"# Part {n}\n{BOLD_SLIDES}{PLAIN_NOTES * 2}\n" for n in range(200))
    extraction, known = extract_sections(text, {}, VERSION)
    assert extraction == extract(text)
    assert known == {}


# -- files parsed in several pieces ------------------------------------------------------------------------

# Blocks of a long file: prose that pads it past the piece length, bold-heavy lists (bold as the plain style
# in a piece of their own), fences that may run across a piece boundary, headings of every level.
LONG_BLOCKS = st.sampled_from(
    ["Some prose line.\n" * 700, "* **Term** - answer\n" * 40, "* **Bold** words\n" * 12 + "* plain\n",
     "```\n", "```bash\n# comment\n```\n", "<!--\n", "-->\n", "\n# Top\n", "\n## Sub\n", "\n### Deep\n",
     "* Lambda - runs code\n* **S3** - storage\n", "\n\n", "| Term | Definition |\n|---|---|\n| a | b |\n"]
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(LONG_BLOCKS, min_size=8, max_size=40), edit=st.integers(0, 39), replacement=LONG_BLOCKS
)
def test_a_file_of_several_pieces_extracts_section_by_section_as_a_whole(
    blocks: list[str], edit: int, replacement: str
) -> None:
    text = "".join(blocks) + "Some prose line.\n" * 4100
    laid = sections.lay_out(text, {}, VERSION)
    assert laid.extraction() == extract(text)
    blocks[edit % len(blocks)] = replacement
    edited = "".join(blocks) + "Some prose line.\n" * 4100
    assert sections.lay_out(edited, laid.sections, VERSION).extraction() == extract(edited)


def test_a_long_file_without_bold_pieces_is_read_section_by_section() -> None:
    from tests.conftest import BUNDLED_DECK

    deck = BUNDLED_DECK.read_text(encoding="utf-8")
    copies = "".join(deck.replace("\n# ", f"\n# {number} ") + "\n" for number in range(3))
    laid = sections.lay_out(copies, {}, VERSION)
    known, layout = laid.sections, laid.layout
    assert laid.extraction() == extract(copies)
    assert known and sum(len(starts) for starts in layout.values()) == len(split_sections(copies.split("\n")))
    edited = copies.replace("a cluster of data centers", "a cluster of data centres", 1)
    parsed: list[str] = []
    real = sections.parse_section

    def spy(part: str) -> sections.SectionResult:
        parsed.append(part)
        return real(part)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sections, "parse_section", spy)
        again = sections.lay_out(edited, known, VERSION).extraction()
    assert again == extract(edited)
    assert len(parsed) == 1 and "data centres" in parsed[0]


def test_a_bold_piece_of_a_long_file_has_it_extracted_whole() -> None:
    prose = "Some prose line.\n" * 4100
    text = f"# A\n{prose}\n# B\n" + "* **Term** - answer\n" * 30
    laid = sections.lay_out(text, {}, VERSION)
    assert laid.extraction() == extract(text)
    assert laid.sections == {} and laid.layout == {}


# -- sections parsed ahead, all at once (as on several cores) ------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(MARKDOWNISH, min_size=1, max_size=6), edit=st.integers(0, 5), replacement=MARKDOWNISH)
def test_sections_parsed_ahead_give_what_parsing_them_in_turn_gives(
    parts: list[str], edit: int, replacement: str
) -> None:
    original = "\n\n# Part\n".join(parts)
    known = sections.lay_out(original, {}, VERSION).sections
    parts[edit % len(parts)] = replacement
    edited = "\n\n# Part\n".join(parts)
    for before in ({}, known):
        asked: list[list[str]] = []

        def backwards(texts: Sequence[str]) -> list[sections.SectionResult]:
            """Parses in another order than the file's, as processes finishing out of order would."""
            asked.append(list(texts))  # noqa: B023 (used at once, within this iteration)
            return [sections.parse_section(text) for text in reversed(texts)][::-1]

        ahead = sections.lay_out(edited, before, VERSION, backwards)
        assert ahead == sections.lay_out(edited, before, VERSION)
        for texts in asked:  # each section at most once, and only those whose result is not known
            assert len(set(texts)) == len(texts)
            assert not {sections.section_hash(text, VERSION) for text in texts} & before.keys()


def test_only_sections_without_a_known_result_are_parsed_ahead() -> None:
    known = sections.lay_out(NOTES, {}, VERSION).sections
    edited = NOTES.replace("a container", "a container of objects")
    asked: list[Sequence[str]] = []

    def record(texts: Sequence[str]) -> list[sections.SectionResult]:
        asked.append(texts)
        return [sections.parse_section(text) for text in texts]

    assert sections.lay_out(edited, known, VERSION, record).extraction() == extract(edited)
    assert asked == [["# S3\n* **Bucket** - a container of objects\n* **EC2** - not this one\n"]]


def test_sections_kept_by_an_earlier_version_or_unreadable_are_parsed_again(tmp_path: Path) -> None:
    """Upgrading lets go of the JSON results earlier versions kept, and a record this Python cannot read
    counts as none: the edited file's cards are then those of a full import of it."""
    import sqlite3
    from datetime import UTC, datetime

    from dva_cards.importer import import_notes, load_notes
    from dva_cards.store import Store

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    notes = tmp_path / "notes.md"
    first = "# A\n* **EC2** - machines\n* **S3** - objects\n\n# B\n* **X** - one\n\n# C\n* **Y** - two\n"
    notes.write_text(first, encoding="utf-8")
    edited = first.replace("one", "uno") + "\n# D\n* **Z** - three\n"

    def cards(db: Path) -> list[tuple[str, ...]]:
        with sqlite3.connect(db) as connection:
            return connection.execute(
                "SELECT id, context, front, back, line FROM card WHERE retired_at IS NULL ORDER BY id"
            ).fetchall()

    incremental, full = tmp_path / "incremental.db", tmp_path / "full.db"
    with Store.open(incremental) as store:
        import_notes(store, load_notes([notes]), now)
    with sqlite3.connect(incremental) as connection:
        rows = connection.execute("SELECT hash FROM source_section ORDER BY hash").fetchall()
        assert len(rows) == 3
        # As the version before kept them: JSON text, in a collection of its schema.
        connection.execute("UPDATE source_section SET result = '[1, [], []]' WHERE hash = ?", rows[0])
        connection.execute("UPDATE source_section SET result = ? WHERE hash = ?", (b"dva-cards", rows[1][0]))
        connection.execute("UPDATE alembic_version SET version_num = '0010'")
    with Store.open(incremental) as store:
        kept = store.connection.execute("SELECT hash FROM source_section ORDER BY hash").fetchall()
        assert kept == rows[1:]  # the JSON row is gone; the unreadable record is only skipped when read
        assert len(store.section_results("notes", str(notes))[0]) == 1
    notes.write_text(edited, encoding="utf-8")
    with Store.open(incremental) as store:
        import_notes(store, load_notes([notes]), now)
    with Store.open(full) as store:
        import_notes(store, load_notes([notes]), now)
    assert cards(incremental) == cards(full)
    assert "uno" in {row[3] for row in cards(full)}


def _pieces_agree_by_every_item(lines: list[str], placed: Sequence[tuple[int, SectionResult]]) -> bool:
    """`_pieces_agree` counting every list item of the file one by one, as a reference."""
    from bisect import bisect_left

    from dva_cards.extract import is_bold_everywhere, piece_ends

    if any(result.item_lines is None or result.bold_is_plain for _, result in placed):
        return False
    items = [start + line for start, result in placed for line in result.item_lines or ()]
    bold = [start + line for start, result in placed for line in result.bold_item_lines]
    start = 0
    for end in piece_ends(lines, lambda *_: False):
        count = bisect_left(items, end) - bisect_left(items, start)
        if is_bold_everywhere(count, bisect_left(bold, end) - bisect_left(bold, start)):
            return False
        start = end
    return True


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.floats(0.6, 0.95))
def test_pieces_are_counted_by_section_as_item_by_item(seed: int, share: float) -> None:
    # A long file of sections whose second-level headings are where a whole parse may end a piece, so
    # pieces end inside sections; its list items are bold near the share that makes bold the plain style.
    random = Random(seed)
    lines: list[str] = []
    placed: list[tuple[int, SectionResult]] = []
    while len(lines) < 9000:
        start, size = len(lines), random.randint(20, 400)
        body = ["# Part"] + [
            ("" if index % 10 == 8 else "## Sub" if index % 10 == 9 else "* x") for index in range(size - 1)
        ]
        items = tuple(index for index, line in enumerate(body) if line == "* x")
        bold = tuple(index for index in items if random.random() < share)
        cards = SectionCards.of(())
        placed.append(
            (
                start,
                SectionResult(
                    size, cards, (), False, False, len(items), len(bold), False, None, items, bold, ()
                ),
            )
        )
        lines += body
    assert sections._pieces_agree(lines, placed) == _pieces_agree_by_every_item(lines, placed)


_LINES = st.sampled_from(
    [
        "# A",
        "# B",
        "#",
        "## Sub",
        "* **T** - d",
        "```",
        "```sh",
        "~~~",
        "  ```",
        "# in code?",
        "",
        "text",
        "````",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_LINES, max_size=40),
    st.integers(0, 40),
    st.sampled_from(["replace", "insert", "delete"]),
    _LINES,
)
def test_sections_known_from_the_last_import_are_split_as_a_scan_splits_them(
    original: list[str], at: int, edit: str, line: str
) -> None:
    edited = list(original)
    where = at % (len(edited) + 1)
    if edit == "insert":
        edited.insert(where, line)
    elif edited and where < len(edited):
        edited[where : where + 1] = [] if edit == "delete" else [line]
    lines = "\n".join(edited).split("\n")
    expected = sections.split_sections(lines)
    # What the last import kept: the sections the scan found, and the parts a real extraction laid out (a
    # section whose fence runs on is extracted with the rest of the file in one piece).
    old_lines = "\n".join(original).split("\n")
    scanned: dict[str, SectionResult] = {}
    layout: dict[str, tuple[int, ...]] = {}
    for start, end in sections.split_sections(old_lines):
        digest = sections.section_hash("\n".join(old_lines[start:end]), VERSION)
        scanned[digest] = SectionResult(end - start, SectionCards.of(()), (), False, False, 0, 0, False)
        layout[digest] = (*layout.get(digest, ()), start)
    laid = sections.lay_out("\n".join(original), {}, VERSION)
    for known, previous in ((scanned, layout), (laid.sections, laid.layout)):
        split = sections._split_known(lines, VERSION, sections._followed_sections(previous, known))
        assert [(section.start, section.end) for section in split] == expected
        assert all(section.text == "\n".join(lines[section.start : section.end]) for section in split)
        assert all(section.digest == sections.section_hash(section.text, VERSION) for section in split)
