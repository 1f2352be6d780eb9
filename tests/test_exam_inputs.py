"""The planner's cards from stored rows: notes order, top-level section and the FSRS replay of answers."""

from __future__ import annotations

from datetime import date

from dva_cards import fsrs
from dva_cards.exam_inputs import PlannedCard, StudyAnswer, exam_cards

DAY = date(2026, 3, 1)


def test_cards_come_in_notes_order_with_their_top_level_section() -> None:
    cards = [
        PlannedCard("b", "aws", "EC2 › EBS", "/notes/b.md", 3, None),
        PlannedCard("a", "aws", "Lambda", "/notes/a.md", 9, None),
        PlannedCard("c", "aws", "", "/notes/a.md", 2, None),
        PlannedCard("d", "abc", "IAM › Policies › Version", "/notes/z.md", 1, None),
    ]
    out = exam_cards(cards, [])
    assert [(card.id, card.section, card.order) for card in out] == [
        ("d", "IAM", 0),
        ("c", "", 1),
        ("a", "Lambda", 2),
        ("b", "EC2", 3),
    ]
    assert all(card.memory is None and card.due is None for card in out)


def test_memory_is_the_fsrs_replay_of_the_cards_answers() -> None:
    due = date(2026, 3, 9)
    cards = [
        PlannedCard("a", "aws", "EC2", "/n.md", 1, due),
        PlannedCard("b", "aws", "EC2", "/n.md", 2, None),
    ]
    answers = [
        StudyAnswer("a", DAY, 1),
        StudyAnswer("a", DAY, 4),
        StudyAnswer("a", date(2026, 3, 3), 4),
    ]
    parameters = tuple(fsrs.DEFAULT_PARAMETERS[:20]) + (0.3,)
    out = {card.id: card for card in exam_cards(cards, answers, parameters)}
    expected = fsrs.replay(
        [fsrs.Review(DAY, 1), fsrs.Review(DAY, 4), fsrs.Review(date(2026, 3, 3), 4)], parameters
    )
    assert out["a"].memory == expected and out["a"].due == due
    assert out["b"].memory is None


def test_a_card_without_answers_is_never_seen_whatever_its_due_date() -> None:
    (card,) = exam_cards([PlannedCard("a", "aws", "EC2", "/n.md", 1, DAY)], [])
    assert card.memory is None and card.due is None
