"""The planner's cards from stored rows: notes order, top-level section, the stored memory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dva_cards.exam_inputs import PlannedCard, exam_cards
from dva_cards.fsrs import CardMemory, MemoryState

DAY = date(2026, 3, 1)
MEMORY = CardMemory(MemoryState(3.0, 5.0), DAY)


def test_cards_come_in_notes_order_with_their_top_level_section() -> None:
    cards = [
        PlannedCard("b", "aws", "EC2 › EBS", "/notes/b.md", 3, None, None),
        PlannedCard("a", "aws", "Lambda", "/notes/a.md", 9, None, None),
        PlannedCard("c", "aws", "", "/notes/a.md", 2, None, None),
        PlannedCard("d", "abc", "IAM › Policies › Version", "/notes/z.md", 1, None, None),
    ]
    out = exam_cards(cards)
    assert [(card.id, card.section, card.order) for card in out] == [
        ("d", "IAM", 0),
        ("c", "", 1),
        ("a", "Lambda", 2),
        ("b", "EC2", 3),
    ]
    assert all(card.memory is None and card.due is None for card in out)


def test_a_card_keeps_its_memory_and_due_date() -> None:
    due = date(2026, 3, 9)
    (card,) = exam_cards([PlannedCard("a", "aws", "EC2", "/n.md", 1, due, MEMORY)])
    assert card.memory == MEMORY and card.due == due


def test_a_card_without_memory_is_never_seen_whatever_its_due_date() -> None:
    (card,) = exam_cards([PlannedCard("a", "aws", "EC2", "/n.md", 1, DAY, None)])
    assert card.memory is None and card.due is None


def test_the_store_gives_the_active_cards_in_notes_order_deck_by_deck(tmp_path: Path) -> None:
    from dva_cards.store import Store
    from tests.review_fixtures import NOTES, ids_by_front, import_text, set_card

    with Store.open(tmp_path / "collection.db") as store:
        import_text(store, tmp_path / "zeta" / "b.md", NOTES, deck="zeta")
        import_text(store, tmp_path / "alpha" / "b.md", NOTES, deck="alpha")
        import_text(store, tmp_path / "alpha" / "a.md", "# IAM\n* **Role** - assumed\n", deck="alpha")
        suspended = ids_by_front(store)["S3"]  # one deck's S3
        set_card(store, suspended, suspended=1)
        cards = store.exam_cards()
        alpha = store.exam_cards(store.require_deck("alpha"))
    assert [card.deck for card in cards] == ["alpha"] * len(alpha) + ["zeta"] * (len(cards) - len(alpha))
    assert cards == sorted(cards, key=lambda card: (card.deck, card.source, card.line, card.id))
    assert alpha == cards[: len(alpha)] and cards[0].context == "IAM"
    assert suspended not in {card.id for card in cards}  # suspended: not planned
    assert exam_cards(cards, in_notes_order=True) == exam_cards(reversed(cards))
