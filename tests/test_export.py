"""`dva-cards export` without Anki: building notes from card values, the text format, the CLI and its errors.

Importing the exported files into a real Anki collection is tested in test_export_anki.py.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import genanki  # type: ignore[import-untyped]
import pytest

from dva_cards import export
from dva_cards.domain import CardRow
from dva_cards.errors import UserError
from dva_cards.export import (
    LEECH_TAG,
    SUSPENDED_TAG,
    TEXT_COLUMNS,
    anki_note,
    anki_notes,
    build_package,
    format_for,
    render_back,
    stable_id,
    text_export,
)
from tests.conftest import BUNDLED_DECK
from tests.helpers import run, run_json, write

NOTES = """# EC2
* **EC2** - virtual machines
## EC2 Purchasing Options
* **On-Demand Instances** - pay for what you use
* **Spot Instances** - up to 90% off
# IAM
* **IAM Policies** are JSON documents
    * *Version* - policy language version
"""

OTHER_NOTES = """# Lambda
* **Timeout** - up to 15 minutes
"""


def card(**values: Any) -> CardRow:
    base: dict[str, Any] = {
        "id": "0123456789abcdef", "deck": "aws-dva", "context": "EC2 › EC2 Purchasing Options",
        "front": "Spot Instances", "back": "up to **90%** off", "source": "/home/me/notes/aws-dva.md",
        "line": 12, "reps": 0, "ease": 2500, "interval": 0, "due": None, "lapses": 0,
        "suspended": False, "retired": False, "leech": False,
    }  # fmt: skip
    base.update(values)
    return CardRow(**base)


def set_flags(db_path: Path, front: str, **flags: Any) -> None:
    connection = sqlite3.connect(db_path)
    try:
        for column, value in flags.items():
            if column == "retired":
                connection.execute(
                    "UPDATE card SET retired_at = ? WHERE front = ?",
                    ("2024-01-01 00:00:00.000000" if value else None, front),
                )
            else:
                connection.execute(f"UPDATE card SET {column} = ? WHERE front = ?", (int(value), front))
        connection.commit()
    finally:
        connection.close()


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


# -- format -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "requested", "expected"),
    [
        ("cards.apkg", None, "apkg"),
        ("cards.APKG", None, "apkg"),
        ("cards.txt", None, "csv"),
        ("cards.tsv", None, "csv"),
        ("cards.csv", None, "csv"),
        ("cards.apkg", "csv", "csv"),
        ("cards.txt", "APKG", "apkg"),
        ("cards", "csv", "csv"),
    ],
)
def test_format_from_extension_or_option(name: str, requested: str | None, expected: str) -> None:
    assert format_for(Path(name), requested) == expected


@pytest.mark.parametrize(("name", "requested"), [("cards.zip", None), ("cards", None), ("cards.apkg", "zip")])
def test_unknown_format_is_a_user_error(name: str, requested: str | None) -> None:
    with pytest.raises(UserError):
        format_for(Path(name), requested)


# -- notes from cards ---------------------------------------------------------------------------------------


def test_note_from_card() -> None:
    note = anki_note(card())
    assert note.guid == genanki.guid_for("dva-cards", "0123456789abcdef")
    assert note.deck == "aws-dva::EC2"
    assert note.tags == ("EC2::EC2_Purchasing_Options",)
    assert note.fields == (
        "Spot Instances",
        "<p>up to <strong>90%</strong> off</p>",
        "EC2 › EC2 Purchasing Options",
        "aws-dva.md:12",
    )
    assert not note.suspended


def test_guid_depends_on_the_card_id_only() -> None:
    first = anki_note(card())
    edited = anki_note(card(back="something else entirely", line=99))
    other = anki_note(card(id="fedcba9876543210"))
    assert first.guid == edited.guid != other.guid


def test_retired_cards_are_left_out_and_suspended_ones_tagged() -> None:
    notes = anki_notes(
        [card(id="a", front="kept"), card(id="b", retired=True), card(id="c", front="paused", suspended=True)]
    )
    assert [note.fields[0] for note in notes] == ["kept", "paused"]
    assert notes[1].suspended
    assert SUSPENDED_TAG in notes[1].tags
    assert SUSPENDED_TAG not in notes[0].tags


def test_leech_tag() -> None:
    assert LEECH_TAG in anki_note(card(leech=True)).tags
    assert LEECH_TAG not in anki_note(card()).tags


def test_card_without_context_goes_to_the_deck_itself_untagged() -> None:
    note = anki_note(card(context=""))
    assert note.deck == "aws-dva"
    assert note.tags == ()
    assert note.fields[2] == ""


def test_deck_and_tag_names_are_safe_for_anki() -> None:
    note = anki_note(card(context="Scalability  &  High::Availability › Sub  section › :odd:"))
    assert note.deck == "aws-dva::Scalability & High:Availability"  # `::` in a heading adds no level
    assert note.tags == ("Scalability_&_High:Availability::Sub_section::odd",)
    assert all(" " not in tag for tag in note.tags)


def test_note_text_is_html_escaped() -> None:
    note = anki_note(card(front="<b>x</b> & y", context="A <i> › B", back="<script>alert(1)</script>"))
    assert note.fields[0] == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert "<script>" not in note.fields[1]
    assert "&lt;script&gt;" in note.fields[1]
    assert note.fields[2] == "A &lt;i&gt; › B"


def test_back_is_rendered_markdown_on_one_line() -> None:
    back = "**Auto Scaling Groups** — scale\nout and in\n\n* one\n    * nested `x<y`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    rendered = render_back(back)
    assert "\n" not in rendered and "\t" not in rendered
    assert rendered.startswith("<p><strong>Auto Scaling Groups</strong> — scale out and in</p><ul><li>one")
    assert "<code>x&lt;y</code>" in rendered
    assert "<table><thead><tr><th>a</th><th>b</th></tr></thead>" in rendered


def test_code_blocks_keep_their_lines_and_tabs() -> None:
    rendered = render_back("```\nfirst\n\tsecond\n```")
    assert rendered == "<pre><code>first<br>&#9;second</code></pre>"


def test_unsafe_links_are_not_links() -> None:
    assert "<a" not in render_back("[click](javascript:alert(1))")
    assert '<a href="https://aws.amazon.com">docs</a>' in render_back("[docs](https://aws.amazon.com)")


# -- the package --------------------------------------------------------------------------------------------


def test_ids_are_derived_from_names() -> None:
    assert stable_id("aws-dva::EC2") == stable_id("aws-dva::EC2") != stable_id("aws-dva::IAM")
    assert (1 << 30) <= stable_id("anything") < (1 << 31)
    assert export.note_type().model_id == export.note_type().model_id


def test_package_has_the_deck_hierarchy_with_stable_ids() -> None:
    notes = anki_notes([card(id="a"), card(id="b", context="IAM › IAM Policies"), card(id="c", context="")])
    first, again = build_package(notes), build_package(notes)
    decks = {deck.name: deck.deck_id for deck in first.decks}
    assert set(decks) == {"aws-dva", "aws-dva::EC2", "aws-dva::IAM"}
    assert decks == {deck.name: deck.deck_id for deck in again.decks}
    assert {name: len(deck.notes) for name, deck in zip(decks, first.decks, strict=True)} == {
        "aws-dva": 1, "aws-dva::EC2": 1, "aws-dva::IAM": 1,
    }  # fmt: skip


def test_suspended_cards_are_suspended_in_the_package() -> None:
    package = build_package(anki_notes([card(id="a"), card(id="b", suspended=True)]))
    queues = [card.suspend for deck in package.decks for note in deck.notes for card in note.cards]
    assert queues == [False, True]


def test_note_type_shows_context_above_the_front_and_the_rendered_back() -> None:
    model = export.note_type()
    assert [field["name"] for field in model.fields] == ["Front", "Back", "Context", "Source"]
    (template,) = model.templates
    assert template["qfmt"].index("{{Context}}") < template["qfmt"].index("{{Front}}")
    assert "{{Back}}" in template["afmt"] and "{{FrontSide}}" in template["afmt"]
    assert ".context" in model.css


# -- the text format ----------------------------------------------------------------------------------------


def test_text_export_headers_map_every_column() -> None:
    text = text_export(anki_notes([card()]))
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header == [
        "#separator:tab",
        "#html:true",
        "#notetype:dva-cards",
        "#columns:guid\tdeck\tFront\tBack\tContext\tSource\ttags",
        "#guid column:1",
        "#deck column:2",
        "#tags column:7",
    ]


def test_text_export_rows_read_back_as_the_notes() -> None:
    cards = [
        card(id="a", front="#!/bin/bash", back="a `#` comment\n\n```\nif x:\n\ty = 1\n```"),
        card(id="b", front='say "hi"\tthere', context='Quotes "here" › B'),
        card(id="c", suspended=True, leech=True),
    ]
    notes = anki_notes(cards)
    text = text_export(notes)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = list(csv.reader(io.StringIO(body), delimiter="\t", quotechar='"', strict=True))
    assert rows == [[note.guid, note.deck, *note.fields, " ".join(note.tags)] for note in notes]
    assert all(len(row) == len(TEXT_COLUMNS) for row in rows)
    # one physical line per note: nothing in a field breaks a line
    assert len(text.splitlines()) == 7 + len(notes)
    # a guid or front starting with `#` would read as a comment line: such fields are quoted
    assert not any(line.startswith("#") for line in text.splitlines()[7:])


# -- writing ------------------------------------------------------------------------------------------------


def test_apkg_file_is_a_zip_with_collection(tmp_path: Path) -> None:
    target = tmp_path / "cards.apkg"
    summary = export.export_cards(
        [card(), card(id="x", suspended=True)], target, "apkg", timestamp=1_700_000_000
    )
    assert (summary.notes, summary.suspended, summary.decks) == (2, 1, ("aws-dva::EC2",))
    with zipfile.ZipFile(target) as archive:
        assert set(archive.namelist()) == {"collection.anki2", "media"}
        data = archive.read("collection.anki2")
    database = tmp_path / "inner.anki2"
    database.write_bytes(data)
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("SELECT count(*) FROM notes").fetchone() == (2,)
        assert sorted(connection.execute("SELECT queue FROM cards")) == [(-1,), (0,)]
        assert {row[0] for row in connection.execute("SELECT mod FROM notes")} == {1_700_000_000}
    finally:
        connection.close()
    assert leftovers(tmp_path) == []


def test_new_file_gets_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "cards.txt"
    export.export_cards([card()], target, "csv", timestamp=0)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_nothing_selected_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cards.apkg"
    with pytest.raises(UserError, match="nothing to export"):
        export.export_cards([card(retired=True)], target, "apkg", timestamp=0)
    assert list(tmp_path.iterdir()) == []


# -- the command --------------------------------------------------------------------------------------------


@pytest.fixture
def notes_dir(tmp_path: Path) -> Path:
    write(tmp_path / "notes" / "aws-dva.md", NOTES)
    write(tmp_path / "notes" / "serverless.md", OTHER_NOTES)
    # Each file on its own: a deck of its name (a directory would make one deck, `notes`).
    result = run("import", str(tmp_path / "notes" / "aws-dva.md"), str(tmp_path / "notes" / "serverless.md"))
    assert result.exit_code == 0, result.output
    return tmp_path


def read_rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [dict(zip(TEXT_COLUMNS, row, strict=True)) for row in csv.reader(lines, delimiter="\t")]


@pytest.mark.parametrize(
    ("name", "options", "kind"),
    [
        ("cards.apkg", [], "apkg"),
        ("cards.txt", [], "csv"),
        ("cards.tsv", [], "csv"),
        ("cards.csv", [], "csv"),
        ("cards.txt", ["--format", "csv"], "csv"),
        ("cards.anki", ["--format", "apkg"], "apkg"),
        ("cards.apkg", ["--format", "csv"], "csv"),
    ],
)
def test_export_formats(notes_dir: Path, name: str, options: list[str], kind: str) -> None:
    target = notes_dir / name
    result = run("export", str(target), *options)
    assert result.exit_code == 0, result.output
    assert "exported 6 cards in 3 Anki decks" in result.stdout
    if kind == "apkg":
        assert zipfile.is_zipfile(target)
    else:
        assert target.read_text(encoding="utf-8").startswith("#separator:tab\n#html:true\n")
        assert len(read_rows(target)) == 6
    assert leftovers(notes_dir) == []


def test_export_one_deck(notes_dir: Path) -> None:
    target = notes_dir / "cards.txt"
    result = run("export", str(target), "--deck", "serverless")
    assert result.exit_code == 0, result.output
    rows = read_rows(target)
    assert [(row["deck"], row["Front"], row["tags"]) for row in rows] == [
        ("serverless::Lambda", "Timeout", "Lambda")
    ]


def test_export_rows_match_the_cards(notes_dir: Path) -> None:
    target = notes_dir / "cards.txt"
    assert run("export", str(target), "--deck", "aws-dva").exit_code == 0
    rows = {row["Front"]: row for row in read_rows(target)}
    cards = {entry["front"]: entry for entry in run_json("cards", "--deck", "aws-dva")}
    assert (
        set(rows) == set(cards) == {"EC2", "On-Demand Instances", "Spot Instances", "IAM Policies", "Version"}
    )
    spot = rows["Spot Instances"]
    assert spot["guid"] == genanki.guid_for("dva-cards", cards["Spot Instances"]["id"])
    assert spot["deck"] == "aws-dva::EC2"
    assert spot["tags"] == "EC2::EC2_Purchasing_Options"
    assert spot["Back"] == "<p>up to 90% off</p>"
    assert spot["Context"] == "EC2 › EC2 Purchasing Options"
    assert spot["Source"] == "aws-dva.md:5"
    assert rows["Version"]["tags"] == "IAM::IAM_Policies"
    assert rows["Version"]["deck"] == "aws-dva::IAM"


def test_retired_cards_are_not_exported_suspended_ones_are(notes_dir: Path, db_path: Path) -> None:
    set_flags(db_path, "EC2", retired=True)
    set_flags(db_path, "Version", suspended=True)
    target = notes_dir / "cards.txt"
    result = run("export", str(target), "--deck", "aws-dva")
    assert result.exit_code == 0, result.output
    assert "4 cards" in result.stdout and "1 suspended" in result.stdout
    rows = {row["Front"]: row for row in read_rows(target)}
    assert "EC2" not in rows
    assert rows["Version"]["tags"].split() == ["IAM::IAM_Policies", SUSPENDED_TAG]


def assert_one_line_error(result: Any, text: str) -> None:
    assert result.exit_code != 0
    assert text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unknown_deck_is_an_error(notes_dir: Path) -> None:
    target = notes_dir / "cards.apkg"
    result = run("export", str(target), "--deck", "nope")
    assert_one_line_error(result, "unknown deck 'nope'")
    assert not target.exists()


def test_empty_selection_is_an_error(notes_dir: Path, db_path: Path) -> None:
    set_flags(db_path, "Timeout", retired=True)
    target = notes_dir / "cards.apkg"
    result = run("export", str(target), "--deck", "serverless")
    assert_one_line_error(result, "nothing to export: deck 'serverless' has no cards")
    assert not target.exists()
    assert leftovers(notes_dir) == []


def test_empty_collection_is_an_error(tmp_path: Path) -> None:
    result = run("export", str(tmp_path / "cards.txt"))
    assert_one_line_error(result, "nothing to export: the collection has no cards")
    assert list(tmp_path.iterdir()) == []


def test_unknown_extension_is_an_error(notes_dir: Path) -> None:
    result = run("export", str(notes_dir / "cards.zip"))
    assert_one_line_error(result, "--format apkg|csv")
    result = run("export", str(notes_dir / "cards.apkg"), "--format", "zip")
    assert_one_line_error(result, "unknown export format 'zip'")


def test_missing_directory_is_an_error(notes_dir: Path) -> None:
    result = run("export", str(notes_dir / "nowhere" / "cards.apkg"))
    assert_one_line_error(result, "does not exist")
    assert not (notes_dir / "nowhere").exists()


def test_file_as_directory_is_an_error(notes_dir: Path) -> None:
    (notes_dir / "plain").write_text("", encoding="utf-8")
    result = run("export", str(notes_dir / "plain" / "cards.apkg"))
    assert_one_line_error(result, "is not a directory")


def test_directory_as_target_is_an_error(notes_dir: Path) -> None:
    (notes_dir / "cards.apkg").mkdir()
    result = run("export", str(notes_dir / "cards.apkg"))
    assert_one_line_error(result, "is a directory")


def permissions_enforced() -> bool:
    """False when this user may write to a read-only directory anyway (root, or a filesystem without modes)."""
    with tempfile.TemporaryDirectory() as scratch:
        locked = Path(scratch) / "locked"
        locked.mkdir(mode=0o500)
        try:
            (locked / "probe").touch()
        except PermissionError:
            return True
        finally:
            locked.chmod(0o700)
        return False


needs_permissions = pytest.mark.skipif(
    not permissions_enforced(), reason="this user may write to read-only files and directories (root)"
)


@needs_permissions
def test_read_only_directory_is_an_error(notes_dir: Path) -> None:
    locked = notes_dir / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("export", str(locked / "cards.apkg"))
        assert_one_line_error(result, "cannot write")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


def test_unwritable_directory_is_an_error(notes_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as a read-only directory, for a test run as root (which the OS lets write anywhere)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(kwargs.get("dir")))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = notes_dir / "cards.apkg"
    result = run("export", str(target))
    assert_one_line_error(result, f"cannot write {target}: permission denied")
    assert not target.exists()


@needs_permissions
def test_read_only_file_is_not_replaced(notes_dir: Path) -> None:
    target = notes_dir / "cards.txt"
    target.write_text("mine", encoding="utf-8")
    target.chmod(0o400)
    result = run("export", str(target))
    assert_one_line_error(result, "read-only")
    assert target.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("name", ["cards.apkg", "cards.txt"])
def test_failed_write_leaves_no_partial_file(
    notes_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    target = notes_dir / name
    target.write_bytes(b"the previous export")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    result = run("export", str(target))
    assert_one_line_error(result, "no space left on device")
    assert target.read_bytes() == b"the previous export"
    assert leftovers(notes_dir) == []


def test_interrupted_write_leaves_no_partial_file(notes_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = notes_dir / "cards.apkg"

    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupt)
    result = run("export", str(target))
    assert result.exit_code != 0
    assert not target.exists()
    assert leftovers(notes_dir) == []


def test_export_overwrites_a_previous_export(notes_dir: Path) -> None:
    target = notes_dir / "cards.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    assert run("export", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("#separator:tab")
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.filterwarnings("error")  # genanki warns about HTML it thinks is broken: none may be
def test_bundled_deck_exports_every_card(tmp_path: Path) -> None:
    assert run("import", str(BUNDLED_DECK)).exit_code == 0
    cards = run_json("cards", "--deck", "aws-dva")
    target = tmp_path / "aws-dva.txt"
    result = run("export", str(target))
    assert result.exit_code == 0, result.output
    rows = read_rows(target)
    assert len(rows) == len(cards) > 400
    assert len({row["guid"] for row in rows}) == len(rows)
    assert {row["deck"].split("::")[0] for row in rows} == {"aws-dva"}
    assert "aws-dva::EC2" in {row["deck"] for row in rows}
    assert run("export", str(tmp_path / "aws-dva.apkg")).exit_code == 0
