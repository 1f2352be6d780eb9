"""Every answer row carries its card's deck, so one deck's stats read only that deck's answers."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from dva_cards.domain import Answer
from dva_cards.scheduler import review
from dva_cards.store import Store
from tests.review_fixtures import TODAY, import_text

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "collection-0001.db"
AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_an_answer_is_written_with_its_cards_deck(tmp_path: Path) -> None:
    with Store.open(tmp_path / "collection.db") as store:
        import_text(store, tmp_path / "notes" / "aws.md")
        import_text(store, tmp_path / "gcp.md", "# GCP\n* **GCE** - virtual machines\n", deck="gcp")
        decks = dict(store.connection.execute("SELECT c.id, c.deck_id FROM card c"))
        assert len(set(decks.values())) == 2
        for card_id in decks:
            card = store.review_card(card_id)
            assert card is not None
            before = card.schedule
            after = review(before.state, 4, TODAY)
            store.record_answer(Answer(card_id, 4, "review", before, after, False, False, AT, TODAY, 1000))
        written = store.connection.execute("SELECT card_id, deck_id FROM review").fetchall()
    assert len(written) == len(decks)
    assert all(deck_id == decks[card_id] for card_id, deck_id in written)


def test_an_answer_outlives_its_pruned_card_with_its_deck(tmp_path: Path) -> None:
    with Store.open(tmp_path / "collection.db") as store:
        import_text(store, tmp_path / "notes" / "aws.md")
        card_id, deck_id = store.connection.execute("SELECT id, deck_id FROM card LIMIT 1").fetchone()
        card = store.review_card(card_id)
        assert card is not None
        after = review(card.schedule.state, 5, TODAY)
        store.record_answer(Answer(card_id, 5, "review", card.schedule, after, False, False, AT, TODAY, 1000))
        with store.transaction():
            store.connection.execute("DELETE FROM card WHERE id = ?", (card_id,))
        assert store.connection.execute("SELECT deck_id FROM review").fetchall() == [(deck_id,)]


def test_the_upgrade_gives_every_older_answer_its_cards_deck(tmp_path: Path) -> None:
    db = tmp_path / "collection.db"
    shutil.copyfile(FIXTURE, db)
    before = sqlite3.connect(db)
    expected = before.execute(
        "SELECT r.id, c.deck_id FROM review r LEFT JOIN card c ON c.id = r.card_id ORDER BY r.id"
    ).fetchall()
    before.close()
    assert expected and any(deck is not None for _, deck in expected)
    Store.open(db).close()
    after = sqlite3.connect(db)
    try:
        assert after.execute("SELECT id, deck_id FROM review ORDER BY id").fetchall() == expected
    finally:
        after.close()
