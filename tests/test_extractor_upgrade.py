"""A collection made by the release before the extraction pipeline keeps its cards and reviews when the new
extractor re-imports the bundled deck.

The collection is rebuilt as that release made it: its extraction of the bundled deck is stored in
tests/fixtures/aws-dva-extractor-1.json (see make_extractor_1_drafts.py), the card ids come from the identity
formula both releases share, and every card is then answered once through `Store.record_answer`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dva_cards import importer, parse_pool, scheduler
from dva_cards.domain import Answer
from dva_cards.extract import CardDraft, Extraction, Skipped, extract
from dva_cards.importer import import_notes, load_notes
from dva_cards.sections import LaidOut
from dva_cards.store import Store
from tests.conftest import BUNDLED_DECK

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "aws-dva-extractor-1.json"
DAY = date(2026, 10, 1)


def version_1_extraction() -> Extraction:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert data["extractor_version"] == "1"
    cards = tuple(
        CardDraft(tuple(c["context"]), c["front"], c["back"], c["line"], c["occurrence"])
        for c in data["cards"]
    )
    return Extraction(cards, tuple(Skipped(s["line"], s["reason"], s["text"]) for s in data["skipped"]))


def make_version_1_collection(db: Path, deck: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled deck imported by the previous release, and every card answered once."""
    old = version_1_extraction()
    with monkeypatch.context() as patch:
        for module in (importer, parse_pool):
            patch.setattr(module, "lay_out", lambda text, known, version, *_, **__: LaidOut({}, {}, old))
        patch.setattr(importer, "EXTRACTOR_VERSION", "1")
        with Store.open(db) as store:
            result = import_notes(store, load_notes([deck]), datetime(2026, 9, 30, 12, 0, tzinfo=UTC))
    assert result.counts.added == len(old.cards)
    at = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    with Store.open(db) as store:
        ids = [row[0] for row in store.connection.execute("SELECT id FROM card")]
        for card_id in ids:
            card = store.review_card(card_id)
            assert card is not None
            after = scheduler.review(card.schedule.state, 4, DAY)
            store.record_answer(Answer(card_id, 4, "review", card.schedule, after, False, False, at, DAY))


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_every_card_and_review_survives_the_new_extractor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = tmp_path / "aws-dva.md"
    deck.write_bytes(BUNDLED_DECK.read_bytes())
    db = tmp_path / "collection.db"
    make_version_1_collection(db, deck, monkeypatch)
    before = {row[0]: row[1:] for row in rows(db, "SELECT id, context, front, back, reps, due FROM card")}
    reviews_before = rows(db, "SELECT * FROM review ORDER BY id")
    assert len(reviews_before) == len(before)

    with Store.open(db) as store:
        result = import_notes(store, load_notes([deck]), datetime(2026, 10, 2, 12, 0, tzinfo=UTC))

    after = {
        row[0]: row[1:]
        for row in rows(db, "SELECT id, context, front, back, reps, due, retired_at IS NOT NULL FROM card")
    }
    assert rows(db, "SELECT * FROM review ORDER BY id") == reviews_before  # every review row, untouched
    assert set(before) <= set(after)  # every card id is still there, with its schedule
    assert all(after[card_id][3:5] == before[card_id][3:5] for card_id in before)
    # A card leaves review only when the new rules no longer read its item as a definition at all: each one
    # is at a line the new extractor reports with its reason, so `--explain` shows why (and the writer's
    # `<!-- dva-cards: card -->` marker brings it back with its history, tested below).
    old_lines = {(c.context, c.front): c.line for c in version_1_extraction().cards}
    rejected = {item.line for item in extract(deck.read_text(encoding="utf-8")).skipped}
    retired = [card_id for card_id in before if after[card_id][5]]
    for card_id in retired:
        context, front = before[card_id][0], before[card_id][1]
        line = old_lines[(tuple(context.split(" › ")) if context else (), front)]
        assert line in rejected, (context, front)
    assert result.counts.retired == len(retired)
    # No card is retired and re-added: no new card has a retired card's answer.
    new_backs = {after[card_id][2] for card_id in after if card_id not in before}
    assert not new_backs & {before[card_id][2] for card_id in retired}
    assert len(retired) <= 0.05 * len(before)  # the measured 14 of 469; a rule change that drops more fails


def test_a_card_the_new_rules_reject_comes_back_with_its_history_when_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = tmp_path / "aws-dva.md"
    text = BUNDLED_DECK.read_text(encoding="utf-8")
    deck.write_text(text, encoding="utf-8")
    db = tmp_path / "collection.db"
    make_version_1_collection(db, deck, monkeypatch)
    (os_card,) = rows(db, "SELECT id, reps FROM card WHERE front = 'OS'")
    with Store.open(db) as store:
        import_notes(store, load_notes([deck]), datetime(2026, 10, 2, 12, 0, tzinfo=UTC))
    assert rows(db, f"SELECT retired_at IS NOT NULL FROM card WHERE id = '{os_card[0]}'") == [(1,)]
    forced = text.replace("    * *OS* - Linux", "    <!-- dva-cards: card -->\n    * *OS* - Linux", 1)
    assert forced != text
    deck.write_text(forced, encoding="utf-8")
    with Store.open(db) as store:
        result = import_notes(store, load_notes([deck]), datetime(2026, 10, 3, 12, 0, tzinfo=UTC))
    assert result.counts.restored == 1
    assert rows(db, f"SELECT reps, retired_at FROM card WHERE id = '{os_card[0]}'") == [(os_card[1], None)]
