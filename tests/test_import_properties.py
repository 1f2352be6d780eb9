"""Property: importing the same notes twice leaves exactly what importing them once leaves."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import importer
from dva_cards.importer import import_notes, load_notes
from dva_cards.store import Store
from tests.helpers import dump

FRAGMENTS = st.sampled_from(
    ["* ", "- ", "1. ", "    ", "\t", "**", "*", "`", " - ", " = ", ": ", "# ", "## ", "Term", "answer",
     "Lambda", "22", "\n", "\n", "\n", "```\n", "<!-- x -->", "| a | b |\n|---|---|\n", "é", "[red]"]
)  # fmt: skip
MARKDOWNISH = st.lists(FRAGMENTS, max_size=60).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MARKDOWNISH, edited=MARKDOWNISH)
def test_import_twice_equals_import_once(text: str, edited: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes.md"
        notes.write_text(text, encoding="utf-8")
        once, twice = Path(tmp) / "once.db", Path(tmp) / "twice.db"
        now = datetime(2026, 11, 26, 12, 0)
        with Store.open(once) as store:
            import_notes(store, load_notes([notes]), now)
        with Store.open(twice) as store:
            import_notes(store, load_notes([notes]), now)
            import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 12, 0))
        assert dump(once) == dump(twice)

        # The same again with the file read afresh (as after an extractor upgrade): the sync itself changes
        # no card, only the recorded file fingerprint.
        original_version = importer.EXTRACTOR_VERSION
        importer.EXTRACTOR_VERSION = original_version + "-property"
        try:
            with Store.open(twice) as store:
                import_notes(store, load_notes([notes]), datetime(2026, 11, 27, 13, 0))
        finally:
            importer.EXTRACTOR_VERSION = original_version
        assert _without_fingerprints(dump(once)) == _without_fingerprints(dump(twice))

        # After an edit, a second import of the edited file is again a no-op.
        notes.write_text(edited, encoding="utf-8")
        with Store.open(twice) as store:
            import_notes(store, load_notes([notes]), datetime(2026, 11, 28, 12, 0))
            settled = dump(twice)
            import_notes(store, load_notes([notes]), datetime(2026, 11, 29, 12, 0))
        assert dump(twice) == settled


def _without_fingerprints(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    return {table: content for table, content in rows.items() if table != "source_file"}
