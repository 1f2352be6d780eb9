"""One grade -> the answer record to log: the scheduler's new state, the answer's kind and the leech policy. Pure.

This is the one place that decides everything an answer writes; the review loop only shows it and the store only
stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from . import scheduling as schedulers
from .card_state import AnswerKind, CardState, state_of
from .domain import Answer, CardSchedule
from .scheduling import Scheduling
from .session import facts_of


@dataclass(frozen=True)
class LeechPolicy:
    threshold: int  # lapses at which a card becomes a leech
    suspend: bool  # whether a new leech is also suspended (else only tagged)


@dataclass(frozen=True)
class Graded:
    answer: Answer
    became_leech: bool  # this answer's lapse made the card a leech


def grade(
    card_id: str,
    before: CardSchedule,
    quality: int,
    *,
    today: date,
    at: datetime,
    duration_ms: int,
    leeches: LeechPolicy,
    cram: bool = False,
    scheduling: Scheduling = schedulers.SM2_DEFAULTS,
) -> Graded:
    """The record of grading the card `quality` on the learner's day `today` at the instant `at`.

    A cram answer changes nothing: it is logged with the card's state as both before and after. ``scheduling``
    says which scheduler sets the next state (SM-2 unless given).
    """
    duration = max(0, duration_ms)
    if cram:
        answer = Answer(
            card_id, quality, AnswerKind.CRAM, before, before.state, before.leech, before.suspended, at, today,
            duration, before.memory,
        )  # fmt: skip
        return Graded(answer, became_leech=False)
    following = schedulers.answer(before.state, before.memory, quality, today, scheduling)
    after = following.state
    # Drilling and re-learning answers are the day's repeats, logged apart from its reviews.
    drilling = state_of(facts_of(before.state), today) is CardState.DRILL
    kind = AnswerKind.DRILL if drilling else AnswerKind.REVIEW
    # A lapse is what the scheduler counted as one (failing a drill is none).
    became_leech = after.lapses > before.state.lapses and after.lapses >= leeches.threshold
    leech = before.leech or became_leech
    suspended = before.suspended or (became_leech and leeches.suspend)
    answer = Answer(
        card_id, quality, kind, before, after, leech, suspended, at, today, duration, following.memory
    )
    return Graded(answer, became_leech)
