"""`dva-cards import` against hostile input: a correct import, or one line on stderr and the collection as it was.

Every case starts from a collection that already holds the bundled deck and some review history. A case either
imports (and says exactly what it must have imported, while every row that was there stays as it was), or
fails with one line on stderr, a non-zero exit and a byte-for-byte equal `dump` — never a traceback.
"""

from __future__ import annotations

import codecs
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dva_cards import importer
from dva_cards.extract import extract
from dva_cards.store import Store
from tests.fixtures.reliability import answer, bundled_template, copy_collection, run_cli
from tests.helpers import dump, run, run_json, write

__all__ = ["bundled_template"]  # the session fixture, imported for pytest


@dataclass
class Imported:
    """What a successful case imported: the JSON summary and the cards of the decks it created."""

    summary: dict[str, Any]
    cards: list[dict[str, Any]]
    base: Path

    def fronts(self) -> list[str]:
        return [card["front"] for card in self.cards]


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], list[str]]  # builds the input under a directory, returns the import arguments
    error: str | None = None  # the refusal it must print; None: it must import
    check: Callable[[Imported], None] | None = None
    during: Callable[[Path], AbstractContextManager[Any]] | None = None  # interference while it runs


def _file(name: str, content: str | bytes) -> Callable[[Path], list[str]]:
    def setup(base: Path) -> list[str]:
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return [str(path)]

    return setup


def _cards(*fronts: str) -> Callable[[Imported], None]:
    def check(result: Imported) -> None:
        assert result.summary["added"] == len(fronts)
        assert sorted(result.fronts()) == sorted(fronts)

    return check


def _no_cards(result: Imported) -> None:
    assert result.summary["added"] == 0
    assert result.cards == []


def _as_extracted(text: str) -> Callable[[Imported], None]:
    """Exactly what the extractor makes of the text, card for card."""

    def check(result: Imported) -> None:
        drafts = extract(text).cards
        assert result.summary["added"] == len(drafts)
        by_line = sorted((card["line"], card["front"], card["back"]) for card in result.cards)
        assert by_line == sorted((draft.line, draft.front, draft.back) for draft in drafts)

    return check


# -- inputs -------------------------------------------------------------------------------------------------


def _missing(base: Path) -> list[str]:
    return [str(base / "missing.md")]


def _missing_among_good(base: Path) -> list[str]:
    good = write(base / "good.md", "* **Good** - would land\n")
    return [str(good), str(base / "missing.md")]


def _empty_dir(base: Path) -> list[str]:
    (base / "empty").mkdir()
    return [str(base / "empty")]


def _dir_without_md(base: Path) -> list[str]:
    write(base / "notes" / "readme.txt", "* **Txt** - not markdown\n")
    write(base / "notes" / ".hidden.md", "* **Hidden** - skipped\n")
    write(base / "notes" / ".git" / "x.md", "* **Git** - skipped\n")
    return [str(base / "notes")]


def _symlink_loop(base: Path) -> list[str]:
    (base / "a.md").symlink_to(base / "b.md")
    (base / "b.md").symlink_to(base / "a.md")
    return [str(base / "a.md")]


def _dir_with_symlink_loops(base: Path) -> list[str]:
    notes = base / "notes"
    write(notes / "real.md", "* **Real** - found once\n")
    (notes / "self").symlink_to(notes, target_is_directory=True)  # a directory loop: entered once
    return [str(notes)]


def _dir_with_file_loop(base: Path) -> list[str]:
    notes = base / "notes"
    write(notes / "real.md", "* **Real** - found once\n")
    (notes / "loop.md").symlink_to(notes / "loop.md")  # never skipped in silence
    return [str(notes)]


def _dir_with_dangling_link(base: Path) -> list[str]:
    notes = base / "notes"
    write(notes / "real.md", "* **Real** - found once\n")
    (notes / "dangling.md").symlink_to(base / "nowhere.md")
    return [str(notes)]


def _dangling_symlink(base: Path) -> list[str]:
    (base / "dangling.md").symlink_to(base / "nowhere.md")
    return [str(base / "dangling.md")]


def _fifo(base: Path) -> list[str]:
    os.mkfifo(base / "pipe.md")  # reading it would block forever
    return [str(base / "pipe.md")]


def _bad_file_among_many(base: Path) -> list[str]:
    for index in range(30):
        write(base / "notes" / f"n{index:02}.md", f"* **Term {index}** - answer {index}\n")
    (base / "notes" / "n15.md").write_bytes(b"* **Bad** - caf\xe9\n")
    return [str(base / "notes")]


def _same_file_twice(base: Path) -> list[str]:
    path = write(base / "twice.md", "* **Once** - only once\n")
    return [str(path), str(base / "." / "twice.md"), str(path)]


def _spaces_and_unicode(base: Path) -> list[str]:
    path = write(
        base / "my notes – ünïcødé" / "Überblick 日本語 notes.md", "# Über\n* **Straße** - 道 road\n"
    )
    return [str(path)]


def _markup_in_path(base: Path) -> list[str]:
    return [str(base / "[bold]x[/bold] [link=evil]y[/link].md")]


BIG_DEEP = "".join("  " * depth + f"* **T{depth}** - a{depth}\n" for depth in range(1000))
MANY_BULLETS = "# Many\n" + "".join(f"* **T{index}** - a{index}\n" for index in range(100_000))
HTML = (
    "<div>\n* **InHtml** - html block, not extracted\n</div>\n\n"
    "* **XSS** - <script>alert(1)</script> and <img src=x onerror=alert(2)>\n"
    "* <b>Html</b> - a raw-HTML term is no term\n"
)
MARKUP = (
    "# [red]Section[/]\n"
    "* **[red]Alarm[/]** - [bold]not bold[/bold] [/]\n"
    "* **[link=https://evil.example]click[/link]** - [blink]x[/blink] [on red]y\n"
    "* **[/]** - a closing tag alone\n"
)


def _check_big_deep(result: Imported) -> None:
    _as_extracted(BIG_DEEP)(result)
    top = next(card for card in result.cards if card["front"] == "T0")
    assert "T999" in top["back"]  # levels past the parser's nesting limit still show in the ancestors' backs


def _check_many(result: Imported) -> None:
    assert result.summary["added"] == 100_000
    assert len(result.cards) == 100_000
    assert {card["front"] for card in result.cards} == {f"T{index}" for index in range(100_000)}


def _check_markup(result: Imported) -> None:
    fronts = {card["front"]: card for card in result.cards}
    assert set(fronts) == {"[red]Alarm[/]", "[link=https://evil.example]click[/link]", "[/]"}
    assert fronts["[red]Alarm[/]"]["back"] == "[bold]not bold[/bold] [/]"
    assert fronts["[red]Alarm[/]"]["context"] == "[red]Section[/]"


# -- interference while the import runs ---------------------------------------------------------------------

VERSION_A = "# A\n" + "".join(f"* **A{index}** - first version {index}\n" for index in range(300))
VERSION_B = "# B\n" + "".join(f"* **B{index}** - second version {index}\n" for index in range(200))


@contextmanager
def _rewritten_atomically(base: Path) -> Iterator[None]:
    """Another program (an editor saving) keeps replacing the file while it is read."""
    yield from _writer(base / "changing.md", atomic=True)


@contextmanager
def _rewritten_in_place(base: Path) -> Iterator[None]:
    """Another program keeps truncating and rewriting the file in place: a read may see half of it."""
    yield from _writer(base / "changing.md", atomic=False)


def _writer(path: Path, *, atomic: bool) -> Iterator[None]:
    stop = threading.Event()

    def loop() -> None:
        versions = (VERSION_A, VERSION_B, "", VERSION_A[: len(VERSION_A) // 2])
        index = 0
        while not stop.is_set():
            text = versions[index % len(versions)].encode()
            index += 1
            if atomic:
                temporary = path.with_name(".changing.tmp")
                temporary.write_bytes(text)
                os.replace(temporary, path)
            else:
                with path.open("r+b") as handle:
                    handle.truncate(0)
                    for start in range(0, len(text), 512):
                        handle.write(text[start : start + 512])
                        handle.flush()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _changing(base: Path) -> list[str]:
    return _file("changing.md", VERSION_A)(base)


def _check_one_whole_version(result: Imported) -> None:
    fronts = set(result.fronts())
    versions = [{draft.front for draft in extract(text).cards} for text in (VERSION_A, VERSION_B, "")]
    assert fronts in versions or fronts == {
        draft.front for draft in extract(VERSION_A[: len(VERSION_A) // 2]).cards
    }


def _check_some_version(result: Imported) -> None:
    """A torn read imports what it read; the next import after the writer stops converges (tested below)."""
    assert result.summary["added"] == len(result.cards)


@contextmanager
def _replaced_after_discovery(base: Path, replacement: Callable[[Path], None]) -> Iterator[None]:
    original = importer.read_notes

    def racing(path: Path, *found_in: Any) -> Any:
        replacement(path)
        return original(path, *found_in)

    importer.read_notes = racing
    try:
        yield
    finally:
        importer.read_notes = original


def _deleted_after_discovery(base: Path) -> AbstractContextManager[None]:
    return _replaced_after_discovery(base, lambda path: path.unlink())


def _made_invalid_after_discovery(base: Path) -> AbstractContextManager[None]:
    return _replaced_after_discovery(base, lambda path: path.write_bytes(b"* **X** - \xff\xfe\xfa\n"))


def _made_directory_after_discovery(base: Path) -> AbstractContextManager[None]:
    def swap(path: Path) -> None:
        path.unlink()
        path.mkdir()

    return _replaced_after_discovery(base, swap)


CASES = [
    # paths
    Case("missing path", _missing, error="no such file or directory"),
    Case("missing path among good ones", _missing_among_good, error="no such file or directory"),
    Case("empty directory", _empty_dir, error="no .md files in directory"),
    Case("directory without visible .md", _dir_without_md, error="no .md files in directory"),
    Case("symlink loop", _symlink_loop, error="symlink loop"),
    Case("directory with symlink loops", _dir_with_symlink_loops, check=_cards("Real")),
    Case(
        "directory with a file symlink loop",
        _dir_with_file_loop,
        error="loop.md: too many levels of symbolic links",
    ),
    Case("directory with a dangling symlink", _dir_with_dangling_link, error="dangling.md is a broken link"),
    Case("dangling symlink", _dangling_symlink, error="no such file or directory"),
    Case("named pipe", _fifo, error="not a regular file"),
    Case("one bad file among 30", _bad_file_among_many, error="n15.md is not valid UTF-8"),
    Case("same file given three times", _same_file_twice, check=_cards("Once")),
    Case("path with spaces and unicode", _spaces_and_unicode, check=_cards("Straße")),
    Case(
        "markup in a missing path",
        _markup_in_path,
        error="[bold]x[/bold] [link=evil]y[/link]",
    ),
    # bytes and encodings
    Case("empty file", _file("empty.md", b""), check=_no_cards),
    Case("whitespace only", _file("blank.md", " \n\t\n\r\n"), check=_no_cards),
    Case("only a BOM", _file("bom.md", codecs.BOM_UTF8), check=_no_cards),
    Case(
        "binary file", _file("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01"), error="binary file"
    ),
    Case("NUL bytes", _file("nul.md", b"* **A** - b\x00c\n"), error="binary file"),
    Case("NUL after 8 KB of text", _file("late-nul.md", b"* **A** - b\n" * 1000 + b"\x00"), error="NUL"),
    Case(
        "invalid UTF-8 on line 3", _file("bad.md", b"# H\n* **A** - b\n* **C** - \xc3\x28\n"), error="line 3"
    ),
    Case("truncated UTF-8 at the end", _file("cut.md", "* **A** - é".encode()[:-1]), error="not valid UTF-8"),
    Case(
        "UTF-8 encoded surrogate", _file("surrogate.md", b"* **A** - \xed\xa0\x80\n"), error="not valid UTF-8"
    ),
    Case(
        "UTF-16 LE with BOM", _file("u16le.md", "# Ü\r\n* **Ä** - ö\r\n".encode("utf-16")), check=_cards("Ä")
    ),
    Case(
        "UTF-16 BE with BOM",
        _file("u16be.md", codecs.BOM_UTF16_BE + "* **Ω** - omega\n".encode("utf-16-be")),
        check=_cards("Ω"),
    ),
    Case(
        "UTF-16 odd length",
        _file("odd.md", "* **A** - b\n".encode("utf-16") + b"x"),
        error="not valid UTF-16",
    ),
    Case("UTF-16 with a NUL", _file("u16nul.md", "* **A** - b\x00c\n".encode("utf-16")), error="NUL"),
    Case("UTF-32 with BOM", _file("u32.md", "* **A** - b\n".encode("utf-32")), error="UTF-32"),
    Case(
        "UTF-8 BOM and CRLF", _file("crlf.md", codecs.BOM_UTF8 + b"# H\r\n* **A** - b\r\n"), check=_cards("A")
    ),
    Case("CR-only line endings", _file("cr.md", "# H\r* **A** - a\r* **B** - b\r"), check=_cards("A", "B")),
    Case(
        "terminal escapes",
        _file("escape.md", "* **\x1b[31mred\x1b[0m** - \x1b]52;c;cHduZWQ=\x07 \x9b2J x\x7f\n"),
        check=_cards("\ufffd[31mred\ufffd[0m"),
    ),
    # sizes and depths
    Case("1 MB single line", _file("line.md", "* **Long** - " + "x" * 1_000_000), check=_cards("Long")),
    Case("1 MB line of plain text", _file("prose.md", "word " * 200_000), check=_no_cards),
    Case("1,000-deep nested definitions", _file("deep.md", BIG_DEEP), check=_check_big_deep),
    Case(
        "1,000-deep blockquotes",
        _file("quotes.md", ">" * 1000 + " * **T** - x\n"),
        check=_as_extracted(">" * 1000 + " * **T** - x\n"),
    ),
    Case("100,000 bullets", _file("many.md", MANY_BULLETS), check=_check_many),
    Case(
        "10,000-character term",
        _file("term.md", "* **" + "t" * 10_000 + "** - long\n"),
        check=_cards("t" * 10_000),
    ),
    Case(
        "20,000 unclosed brackets",
        _file("brackets.md", "* **B** - " + "[" * 20_000 + "\n"),
        check=_cards("B"),
    ),
    # markup
    Case("HTML and script tags", _file("html.md", HTML), check=_as_extracted(HTML)),
    Case("Rich markup in terms and answers", _file("markup.md", MARKUP), check=_check_markup),
    Case("only headings", _file("headings.md", "# A\n## B\nC\n===\n###### D **E** - f\n"), check=_no_cards),
    Case(
        "only code",
        _file(
            "code.md", "```\n* **Fenced** - x\n```\n\n    * **Indented** - y\n~~~md\n* **Tilde** - z\n~~~\n"
        ),
        check=_no_cards,
    ),
    Case(
        "only tables",
        _file("table.md", "| left | right |\n|---|---|\n| **A** - b | * **C** - d |\n"),
        check=_no_cards,
    ),
    Case(
        "unterminated fence",
        _file("fence.md", "* **Before** - kept\n\n```python\n* **Inside** - never a card\n"),
        check=_cards("Before"),
    ),
    Case("only an HTML comment", _file("comment.md", "<!--\n* **A** - b\n"), check=_no_cards),
    # the file changes under the import
    Case(
        "rewritten atomically while read",
        _changing,
        check=_check_one_whole_version,
        during=_rewritten_atomically,
    ),
    Case("rewritten in place while read", _changing, check=_check_some_version, during=_rewritten_in_place),
    Case(
        "deleted after discovery",
        _file("gone.md", "* **A** - b\n"),
        error="cannot read",
        during=_deleted_after_discovery,
    ),
    Case(
        "invalid after discovery",
        _file("flip.md", "* **A** - b\n"),
        error="not valid UTF-8",
        during=_made_invalid_after_discovery,
    ),
    Case(
        "directory after discovery",
        _file("swap.md", "* **A** - b\n"),
        error="cannot read",
        during=_made_directory_after_discovery,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_import_of_hostile_input(case: Case, tmp_path: Path, db_path: Path, bundled_template: Path) -> None:
    copy_collection(bundled_template, db_path)
    before = dump(db_path)
    base = tmp_path / "input"
    base.mkdir()
    args = case.setup(base)
    during = case.during(base) if case.during is not None else nullcontext()
    with during:
        result = run("import", "--json", *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if case.error is not None:
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("dva-cards: error: ")
        assert case.error in lines[0]
        assert result.stdout == ""
        assert dump(db_path) == before
        return
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    after = dump(db_path)
    for table, rows in before.items():
        if table == "sync_clock":  # a counter every write advances, not a record
            continue
        assert set(rows) <= set(after[table]), f"{table}: a row that was there changed or went"
    assert after["review"] == before["review"]
    cards = _cards_of_new_decks(db_path, {row[0] for row in before["deck"]})
    assert case.check is not None
    case.check(Imported(summary=json.loads(result.stdout), cards=cards, base=base))


def _cards_of_new_decks(db_path: Path, old_deck_ids: set[int]) -> list[dict[str, Any]]:
    connection = sqlite3.connect(db_path)
    try:
        cursor = connection.execute("SELECT deck_id, front, back, context, line, retired_at FROM card")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        connection.close()
    return [row for row in rows if row["deck_id"] not in old_deck_ids]


def test_a_file_torn_while_read_converges_on_the_next_import(tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path / "changing.md", VERSION_A)
    for _ in range(3):
        with _rewritten_in_place(tmp_path):
            result = run("import", str(path))
        assert result.exit_code == 0 or len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    write(path, VERSION_B)
    assert run("import", str(path)).exit_code == 0
    fronts = {card["front"] for card in run_json("cards")}
    assert fronts == {draft.front for draft in extract(VERSION_B).cards}


def test_rich_markup_prints_literally_in_cards_review_and_skip_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write(tmp_path / "markup.md", MARKUP + "* **[red]Empty[/red]** - \n")
    result = run("import", "--verbose", str(notes))
    assert result.exit_code == 0, result.stderr
    assert "* **[red]Empty[/red]** -" in result.stdout
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no cell is cut short with an ellipsis
    listing = run("cards", "--deck", "markup")
    assert listing.exit_code == 0
    for literal in (
        "[red]Alarm[/]",
        "[link=https://evil.example]click[/link]",
        "[bold]not bold[/bold]",
        "[/]",
    ):
        assert literal in listing.stdout
    session = run("review", "--deck", "markup", input=" \n4\n" * 3)
    assert session.exit_code == 0, session.stderr
    for literal in (
        "[red]Alarm[/]",
        "[bold]not bold[/bold]",
        "[link=https://evil.example]click[/link]",
        "[blink]x[/blink] [on red]y",
        "[red]Section[/]",
    ):
        assert literal in session.stdout, literal
    cram = run("review", "--cram", "--seed", "1", "--deck", "markup", input=" \n0\n" * 3 + "q\n")
    assert cram.exit_code == 0, cram.stderr
    assert "[red]Alarm[/]" in cram.stdout


def test_rich_markup_prints_literally_in_stats(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "markup.md", MARKUP)
    assert run("import", "--deck", "[red]deck[/red]", str(notes)).exit_code == 0
    today = date.today()
    with Store.open(db_path) as store:
        for (card_id,) in store.connection.execute("SELECT id FROM card").fetchall():
            answer(store, card_id, 4, today - timedelta(days=10))  # learned...
            answer(
                store, card_id, 1, today - timedelta(days=9)
            )  # ...and lapsed: a hardest card, a weak section
    for args in (["stats"], ["stats", "--deck", "[red]deck[/red]"]):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        for literal in (
            "[red]deck[/red]",
            "[red]Section[/]",
            "[red]Alarm[/]",
            "[link=https://evil.example]click",
        ):
            assert literal in result.stdout, (args, literal)
    figures = run_json("stats")
    assert "[red]Alarm[/]" in json.dumps(figures, ensure_ascii=False)


def test_deck_named_with_markup_prints_literally(tmp_path: Path) -> None:
    notes = write(tmp_path / "n.md", "* **A** - b\n")
    assert run("import", "--deck", "[red]deck[/red]", str(notes)).exit_code == 0
    assert "[red]deck[/red]" in run("cards").stdout
    session = run("review", "--deck", "[red]deck[/red]", input=" \n5\n")
    assert session.exit_code == 0, session.stderr
    assert "[red]deck[/red]" in session.stdout


def test_terminal_escapes_never_reach_the_terminal(tmp_path: Path) -> None:
    notes = write(tmp_path / "esc.md", "# \x1b]0;title\x07H\n* **\x1b[2Jclear** - \x1b[31mred\x9b0m\n")
    assert run("import", str(notes)).exit_code == 0
    for output in (run("cards").stdout, run("review", "--deck", "esc", input=" \n4\n").stdout):
        assert "\x1b" not in output and "\x9b" not in output and "\x07" not in output
        assert "clear" in output


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "--deck", "", "x.md"],
        ["import", "--deck", "   ", "x.md"],
        ["import", "--no-such-option", "x.md"],
        ["cards", "--limit", "0"],
        ["cards", "--deck", "[red]nope[/red]"],
    ],
    ids=["no path", "empty deck", "blank deck", "unknown option", "bad limit", "unknown deck with markup"],
)
def test_bad_arguments_fail_cleanly_and_change_nothing(
    args: list[str], tmp_path: Path, db_path: Path, bundled_template: Path
) -> None:
    copy_collection(bundled_template, db_path)
    before = dump(db_path)
    write(tmp_path / "x.md", "* **X** - y\n")
    result = run_cli(args, tmp_path, db_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if args[-1] == "[red]nope[/red]":
        assert result.stderr.strip() == "dva-cards: error: unknown deck '[red]nope[/red]' (decks: aws-dva)"
    assert dump(db_path) == before


def test_real_process_prints_one_line_for_hostile_files(
    tmp_path: Path, db_path: Path, bundled_template: Path
) -> None:
    """The same refusals through the real entry point, stderr unprocessed by any test runner."""
    copy_collection(bundled_template, db_path)
    before = dump(db_path)
    targets = [
        _symlink_loop(tmp_path),
        _file("bin.md", b"\x00\x01\x02")(tmp_path),
        _file("u32.md", "x".encode("utf-32"))(tmp_path),
        _markup_in_path(tmp_path),
    ]
    for target in targets:
        result = run_cli(["import", *target], tmp_path, db_path)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("dva-cards: error: "), (
            result.stderr
        )
        assert result.stdout == ""
    assert dump(db_path) == before
