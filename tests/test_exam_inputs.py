"""The planner's cards from stored rows: notes order, top-level section, the stored memory."""

from __future__ import annotations

from datetime import date

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
