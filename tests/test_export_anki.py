"""Exported files imported by Anki itself: the `anki` package (a test-only dependency) in a headless collection.

Anki's import options are left at their defaults (the ones the desktop import dialog starts with) except where a
test says otherwise: "update notes: if newer" updates a note whose package copy is newer, and every export stamps
its notes with the export time, so re-exporting after an edit updates the notes in place.
"""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import genanki  # type: ignore[import-untyped]
import pytest

pytest.importorskip(
    "anki.collection",
    reason="the `anki` package is not installed (pip install anki): Anki import tests need it",
)

from anki.collection import (  # noqa: E402
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition  # noqa: E402

from dva_cards.export import FIELDS, SUSPENDED_TAG, export_cards, render_back  # noqa: E402
from dva_cards.store import Store  # noqa: E402
from tests.conftest import BUNDLED_DECK  # noqa: E402
from tests.helpers import run, run_json, write  # noqa: E402

NOTES = """# EC2
* **EC2** - virtual machines
## EC2 Purchasing Options
* **On-Demand Instances** - pay for what you use
* **Spot Instances** - up to 90% off
# IAM
* **IAM Policies** are JSON documents
    * *Version* - policy language version
"""

TRICKY = """# Shell & "Scripts"
* `#!/bin/bash` - the shebang line, see <script>alert(1)</script>
* **say "hi"** - prints a "quoted" word
* **Code** - keeps its lines:

  ```
  if x:
  \ty = 1
  ```
* **Table** - columns:

  | port | protocol |
  |------|----------|
  | 22   | SSH      |
## Odd::Heading
* **#hash** - a term starting with a hash
"""


@pytest.fixture
def new_collection(tmp_path: Path) -> Iterator[Callable[[], Collection]]:
    opened: list[Collection] = []

    def make() -> Collection:
        col = Collection(str(tmp_path / f"anki-{len(opened)}" / "collection.anki2"))
        opened.append(col)
        return col

    for directory in range(8):
        (tmp_path / f"anki-{directory}").mkdir()
    yield make
    for col in opened:
        col.close()


def import_apkg(col: Collection, path: Path, **options: Any) -> Any:
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions(**options))
    return col.import_anki_package(request).log


def import_text(col: Collection, path: Path) -> Any:
    """Anki's text import with the metadata it reads from the file's own header lines, nothing overridden."""
    metadata = col.get_csv_metadata(str(path), None)
    return col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log


def notes_by_guid(col: Collection) -> dict[str, dict[str, Any]]:
    found = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        cards = note.cards()
        notetype = note.note_type()
        assert notetype is not None
        found[note.guid] = {
            "id": note_id,
            "notetype": notetype["name"],
            "fields": dict(zip(note.keys(), note.fields, strict=True)),
            "tags": sorted(note.tags),
            "decks": {col.decks.name(card.did) for card in cards},
            "queues": [card.queue for card in cards],
        }
    return found


def deck_names(col: Collection) -> set[str]:
    return {entry.name for entry in col.decks.all_names_and_ids()} - {"Default"}


def expected_notes(deck: str | None = None) -> dict[str, dict[str, Any]]:
    """What Anki should hold for the collection's live cards, written out from the card values."""
    expected = {}
    for card in run_json("cards", *(["--deck", deck] if deck else [])):
        parts = card["context"].split(" › ") if card["context"] else []
        # no spaces in a tag; `::` inside a heading is no level of the hierarchy
        tags = ["::".join(part.replace(" ", "_").replace("::", ":") for part in parts)] if parts else []
        if card["suspended"]:
            tags.append(SUSPENDED_TAG)
        expected[genanki.guid_for("dva-cards", card["id"])] = {
            "fields": {
                "Front": html.escape(card["front"]),
                "Back": render_back(card["back"]),
                "Context": html.escape(card["context"]),
                "Source": f"{Path(card['source']).name}:{card['line']}",
            },
            "tags": sorted(tags),
            "decks": {f"{card['deck']}::{parts[0]}" if parts else card["deck"]},
        }
    return expected


def export_at(db_path: Path, target: Path, fmt: str, when: float) -> int:
    """The export the CLI runs, at a chosen time: Anki's "if newer" rule compares the notes' times."""
    with Store.open(db_path) as store:
        return export_cards(store.cards(), target, fmt, timestamp=when).notes


def set_flag(db_path: Path, front: str, column: str, value: int) -> None:
    connection = sqlite3.connect(db_path)
    try:
        connection.execute(f"UPDATE card SET {column} = ? WHERE front = ?", (value, front))
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
def small_deck(tmp_path: Path) -> Path:
    notes = write(tmp_path / "notes" / "aws-dva.md", NOTES)
    result = run("import", str(notes))
    assert result.exit_code == 0, result.output
    return notes


# -- the bundled deck, in full --------------------------------------------------------------------------------


@pytest.fixture
def bundled(tmp_path: Path) -> dict[str, dict[str, Any]]:
    result = run("import", str(BUNDLED_DECK))
    assert result.exit_code == 0, result.output
    return expected_notes()


def test_bundled_deck_apkg_imports_in_full(
    bundled: dict[str, dict[str, Any]], tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    target = tmp_path / "aws-dva.apkg"
    result = run("export", str(target))
    assert result.exit_code == 0, result.output
    col = new_collection()
    log = import_apkg(col, target)
    assert len(log.new) == len(bundled) > 400
    assert col.note_count() == col.card_count() == len(bundled)

    imported = notes_by_guid(col)
    assert set(imported) == set(bundled)
    for guid, note in imported.items():
        assert note["notetype"] == "dva-cards"
        assert list(note["fields"]) == list(FIELDS)
        assert {key: note[key] for key in ("fields", "tags", "decks")} == bundled[guid], guid
    assert {"aws-dva", "aws-dva::EC2", "aws-dva::IAM", "aws-dva::ASG"} <= deck_names(col)
    assert deck_names(col) == {"aws-dva"} | {deck for note in bundled.values() for deck in note["decks"]}

    on_demand = next(note for note in imported.values() if note["fields"]["Front"] == "On-Demand Instances")
    assert on_demand["decks"] == {"aws-dva::EC2"}
    assert on_demand["tags"] == ["EC2::EC2_Purchasing_Options"]
    assert on_demand["fields"]["Context"] == "EC2 › EC2 Purchasing Options"
    assert on_demand["fields"]["Back"].startswith(
        "<p>short workload, predictable pricing, pay by second</p><ul>"
    )
    assert on_demand["fields"]["Source"].startswith("aws-dva.md:")

    card = col.get_note(on_demand["id"]).cards()[0]  # Anki renders the templates: context above the front
    question, answer = card.question(), card.answer()
    assert question.index('<div class="context">EC2 › EC2 Purchasing Options</div>') < question.index(
        '<div class="front">On-Demand Instances</div>'
    )
    assert '<div class="back"><p>short workload' in answer
    assert answer.index('id="answer"') < answer.index('<div class="back">') < answer.index('class="source"')

    again = import_apkg(col, target)  # the same file once more: nothing new, nothing doubled
    assert len(again.new) == 0
    assert col.note_count() == len(bundled)


def test_bundled_deck_text_imports_in_full(
    bundled: dict[str, dict[str, Any]], tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    target = tmp_path / "aws-dva.txt"
    result = run("export", str(target))
    assert result.exit_code == 0, result.output

    # A collection that has the dva-cards note type (from an earlier .apkg import, with the notes removed):
    # every column lands where it belongs.
    col = new_collection()
    package = tmp_path / "aws-dva.apkg"
    assert run("export", str(package)).exit_code == 0
    import_apkg(col, package)
    col.remove_notes(col.find_notes(""))
    assert col.note_count() == 0
    log = import_text(col, target)
    assert len(log.new) == len(bundled)
    assert col.note_count() == col.card_count() == len(bundled)
    imported = notes_by_guid(col)
    for guid, note in imported.items():
        assert note["notetype"] == "dva-cards"
        assert {key: note[key] for key in ("fields", "tags", "decks")} == bundled[guid], guid
    assert len(import_text(col, target).new) == 0
    assert col.note_count() == len(bundled)

    # A fresh collection without it: Anki falls back to Basic and fills Front and Back by name.
    fresh = new_collection()
    log = import_text(fresh, target)
    assert len(log.new) == fresh.note_count() == len(bundled)
    for guid, note in notes_by_guid(fresh).items():
        assert note["notetype"] == "Basic"
        expected = bundled[guid]
        assert note["fields"] == {name: expected["fields"][name] for name in ("Front", "Back")}
        assert (note["tags"], note["decks"]) == (expected["tags"], expected["decks"])
    assert len(import_text(fresh, target).new) == 0
    assert fresh.note_count() == len(bundled)


# -- updates in place -----------------------------------------------------------------------------------------


def edit_and_reimport(notes: Path, old: str, new: str) -> None:
    notes.write_text(notes.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    result = run("import", str(notes))
    assert result.exit_code == 0, result.output


def test_apkg_reexport_after_an_edit_updates_the_note_in_place(
    small_deck: Path, db_path: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    target = tmp_path / "cards.apkg"
    now = time.time()
    assert export_at(db_path, target, "apkg", now) == 5
    col = new_collection()
    assert len(import_apkg(col, target).new) == 5
    before = notes_by_guid(col)

    edit_and_reimport(small_deck, "up to 90% off", "spare capacity, up to 90% off")
    export_at(db_path, target, "apkg", now + 60)
    log = import_apkg(col, target)  # Anki's defaults: update notes if newer
    assert len(log.new) == 0
    after = notes_by_guid(col)
    assert col.note_count() == 5 and set(after) == set(before)
    changed = [guid for guid in after if after[guid] != before[guid]]
    assert len(changed) == 1
    (guid,) = changed
    assert after[guid]["id"] == before[guid]["id"]  # the same note, not a copy
    assert after[guid]["fields"]["Back"] == "<p>spare capacity, up to 90% off</p>"


def test_cli_reexport_updates_with_anki_defaults(
    small_deck: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    """End to end with the CLI's own clock: a later export is newer, so Anki's defaults update the note."""
    target = tmp_path / "cards.apkg"
    assert run("export", str(target)).exit_code == 0
    col = new_collection()
    import_apkg(col, target)
    time.sleep(1.02 - time.time() % 1)  # Anki keeps note times in whole seconds
    edit_and_reimport(small_deck, "virtual machines", "virtual servers")
    assert run("export", str(target)).exit_code == 0
    log = import_apkg(col, target)
    assert len(log.new) == 0
    backs = {note["fields"]["Front"]: note["fields"]["Back"] for note in notes_by_guid(col).values()}
    assert backs["EC2"] == "<p>virtual servers</p>"
    assert col.note_count() == 5


def test_an_older_package_does_not_overwrite_newer_notes_unless_asked(
    small_deck: Path, db_path: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    """Anki's default rule, and the option that overrides it."""
    old, new = tmp_path / "old.apkg", tmp_path / "new.apkg"
    export_at(db_path, old, "apkg", 1_700_000_000)
    edit_and_reimport(small_deck, "virtual machines", "virtual servers")
    export_at(db_path, new, "apkg", 1_700_000_060)
    col = new_collection()
    import_apkg(col, new)
    assert len(import_apkg(col, old).updated) == 0
    always = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    import_apkg(col, old, update_notes=always)
    backs = {note["fields"]["Front"]: note["fields"]["Back"] for note in notes_by_guid(col).values()}
    assert backs["EC2"] == "<p>virtual machines</p>"
    assert col.note_count() == 5


def test_text_reexport_after_an_edit_updates_the_note_in_place(
    small_deck: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    target = tmp_path / "cards.txt"
    assert run("export", str(target)).exit_code == 0
    col = new_collection()
    assert len(import_text(col, target).new) == 5
    before = notes_by_guid(col)
    assert len(import_text(col, target).new) == 0

    edit_and_reimport(small_deck, "policy language version", "the policy language version, `2012-10-17`")
    assert run("export", str(target)).exit_code == 0
    log = import_text(col, target)  # the text import updates notes matched by GUID by default
    assert len(log.new) == 0
    # Version's back changed, and so did its parent's, which holds the nested list
    assert sorted(note.fields[0] for note in log.updated) == ["IAM Policies", "Version"]
    after = notes_by_guid(col)
    assert set(after) == set(before) and col.note_count() == 5
    version = next(guid for guid in after if after[guid]["fields"]["Front"] == "Version")
    assert after[version]["id"] == before[version]["id"]
    assert after[version]["fields"]["Back"] == "<p>the policy language version, <code>2012-10-17</code></p>"


def test_text_import_updates_notes_from_an_earlier_package(
    small_deck: Path, db_path: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    """Both formats share GUIDs and the note type, so mixing them never makes copies."""
    package, text = tmp_path / "cards.apkg", tmp_path / "cards.txt"
    export_at(db_path, package, "apkg", 1_700_000_000)
    col = new_collection()
    import_apkg(col, package)
    before = notes_by_guid(col)
    edit_and_reimport(small_deck, "virtual machines", "virtual servers")
    assert run("export", str(text)).exit_code == 0
    log = import_text(col, text)
    assert len(log.new) == 0 and len(log.updated) == 1
    after = notes_by_guid(col)
    assert {guid: note["id"] for guid, note in after.items()} == {
        guid: note["id"] for guid, note in before.items()
    }
    assert {note["notetype"] for note in after.values()} == {"dva-cards"}
    backs = {note["fields"]["Front"]: note["fields"]["Back"] for note in after.values()}
    assert backs["EC2"] == "<p>virtual servers</p>"


# -- suspended and retired cards ------------------------------------------------------------------------------


def test_suspended_and_retired_cards(
    small_deck: Path, db_path: Path, tmp_path: Path, new_collection: Callable[[], Collection]
) -> None:
    set_flag(db_path, "Spot Instances", "suspended", 1)
    small_deck.write_text(NOTES.replace("* **EC2** - virtual machines\n", ""), encoding="utf-8")
    assert run("import", str(small_deck)).exit_code == 0  # EC2's bullet is gone: the card is retired
    target = tmp_path / "cards.apkg"
    export_at(db_path, target, "apkg", 1_700_000_000)

    with_scheduling = new_collection()
    import_apkg(with_scheduling, target, with_scheduling=True)
    plain = new_collection()
    import_apkg(plain, target)
    for col in (with_scheduling, plain):
        notes = {note["fields"]["Front"]: note for note in notes_by_guid(col).values()}
        assert set(notes) == {"On-Demand Instances", "Spot Instances", "IAM Policies", "Version"}
        assert notes["Spot Instances"]["tags"] == sorted(["EC2::EC2_Purchasing_Options", SUSPENDED_TAG])
        assert SUSPENDED_TAG not in notes["Version"]["tags"]
    queues = {note["fields"]["Front"]: note["queues"] for note in notes_by_guid(with_scheduling).values()}
    assert queues["Spot Instances"] == [-1]  # suspended in Anki too, when scheduling is imported
    assert queues["Version"] == [0]

    set_flag(db_path, "Spot Instances", "suspended", 0)
    export_at(db_path, target, "apkg", 1_700_000_060)
    import_apkg(plain, target)
    spot = next(note for note in notes_by_guid(plain).values() if note["fields"]["Front"] == "Spot Instances")
    assert spot["tags"] == ["EC2::EC2_Purchasing_Options"]  # the update takes the tag away again


# -- content that could break a format ------------------------------------------------------------------------


def test_tricky_content_survives_both_formats(
    tmp_path: Path, db_path: Path, new_collection: Callable[[], Collection]
) -> None:
    notes = write(tmp_path / "notes" / "tricky.md", TRICKY)
    assert run("import", str(notes)).exit_code == 0
    expected = expected_notes()
    assert len(expected) == 6  # the five definitions and the row of the port | protocol table in a back
    package, text = tmp_path / "tricky.apkg", tmp_path / "tricky.txt"
    export_at(db_path, package, "apkg", 1_700_000_000)
    export_at(db_path, text, "csv", 1_700_000_000)

    from_package = new_collection()
    import_apkg(from_package, package)
    from_text = new_collection()
    import_apkg(from_text, package)
    from_text.remove_notes(from_text.find_notes(""))
    import_text(from_text, text)
    for col in (from_package, from_text):
        imported = notes_by_guid(col)
        assert {
            guid: {key: note[key] for key in ("fields", "tags", "decks")} for guid, note in imported.items()
        } == expected
    fronts = {note["fields"]["Front"]: note for note in notes_by_guid(from_text).values()}
    assert set(fronts) == {"#!/bin/bash", "say &quot;hi&quot;", "Code", "Table", "22", "#hash"}
    assert "&lt;script&gt;" in fronts["#!/bin/bash"]["fields"]["Back"]
    assert "<script>" not in fronts["#!/bin/bash"]["fields"]["Back"]
    assert "<pre><code>if x:<br>" in fronts["Code"]["fields"]["Back"]  # the code keeps its lines
    assert "<td>SSH</td>" in fronts["Table"]["fields"]["Back"]
    assert fronts["#hash"]["decks"] == {'tricky::Shell & "Scripts"'}
    assert fronts["#hash"]["tags"] == ['Shell_&_"Scripts"::Odd:Heading']
