"""The answer record an answer writes: the scheduler's state, the answer's kind and the leech policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dva_cards.card_state import AnswerKind
from dva_cards.domain import CardSchedule
from dva_cards.grading import LeechPolicy, grade
from dva_cards.scheduler import SM2State, review

TODAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = LeechPolicy(threshold=3, suspend=True)


def graded(before: CardSchedule, quality: int, policy: LeechPolicy = POLICY, cram: bool = False):  # type: ignore[no-untyped-def]
    return grade("c1", before, quality, today=TODAY, at=AT, duration_ms=-5, leeches=policy, cram=cram)


def test_a_due_review_is_logged_as_review_with_the_schedulers_state() -> None:
    before = CardSchedule(SM2State(reps=2, interval=6, due=TODAY))
    result = graded(before, 4)
    assert result.answer.kind is AnswerKind.REVIEW
    assert result.answer.after == review(before.state, 4, TODAY)
    assert result.answer.duration_ms == 0 and not result.became_leech


def test_drilling_and_relearning_answers_are_drills() -> None:
    drilling = CardSchedule(SM2State(reps=1, interval=1, due=date(2026, 3, 11), drill=True))
    relearning = CardSchedule(SM2State(reps=0, interval=0, due=TODAY, lapses=1))
    assert graded(drilling, 4).answer.kind is AnswerKind.DRILL
    assert graded(relearning, 4).answer.kind is AnswerKind.DRILL
    assert graded(CardSchedule(SM2State()), 4).answer.kind is AnswerKind.REVIEW  # a new card's first look


def test_the_lapse_reaching_the_threshold_makes_a_leech_and_suspends_it_when_the_policy_says_so() -> None:
    before = CardSchedule(SM2State(reps=3, interval=15, due=TODAY, lapses=2))
    suspending = graded(before, 1)
    assert suspending.became_leech and suspending.answer.leech and suspending.answer.suspended
    flagging = graded(before, 1, LeechPolicy(threshold=3, suspend=False))
    assert flagging.became_leech and flagging.answer.leech and not flagging.answer.suspended
    below = graded(before, 1, LeechPolicy(threshold=4, suspend=True))
    assert not below.became_leech and not below.answer.leech
    passed = graded(before, 5)
    assert not passed.became_leech and not passed.answer.leech


def test_a_cram_answer_changes_nothing() -> None:
    before = CardSchedule(SM2State(reps=3, interval=15, due=TODAY, lapses=2), leech=True)
    result = graded(before, 0, cram=True)
    assert result.answer.kind is AnswerKind.CRAM and result.answer.after == before.state
    assert (result.answer.leech, result.answer.suspended) == (True, False) and not result.became_leech
