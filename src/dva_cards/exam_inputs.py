"""The exam planner's view of a collection: each active card's memory from the FSRS replay of its answers.

Pure: card rows and answer rows in, `ExamCard`s out. Memory comes from replaying a card's review and drill
answers (never cram) in learner days, whatever scheduler set its due date, so an SM-2 collection is predicted
the same way as an FSRS one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from . import fsrs
from .exam import ExamCard
from .fsrs import Parameters
from .identity import context_parts


@dataclass(frozen=True)
class PlannedCard:
    """An active card (not suspended, not retired) as stored."""

    id: str
    deck: str
    context: str
    source: str
    line: int
    due: date | None


@dataclass(frozen=True)
class StudyAnswer:
    """One review or drill answer (cram answers never reach here), in the order they were given."""

    card_id: str
    day: date  # the learner day it counted for
    quality: int


def exam_cards(
    cards: Iterable[PlannedCard],
    answers: Iterable[StudyAnswer],
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS,
) -> list[ExamCard]:
    """The planner's cards, in the order of the notes (deck, file, line), each with its replayed memory.

    A card with no answer is never seen, even if it has a due date (a card introduced, then its answer undone,
    has none).
    """
    histories: dict[str, list[fsrs.Review]] = {}
    for answer in answers:
        histories.setdefault(answer.card_id, []).append(fsrs.Review(answer.day, answer.quality))
    ordered = sorted(cards, key=lambda card: (card.deck, card.source, card.line, card.id))
    out: list[ExamCard] = []
    for order, card in enumerate(ordered):
        memory = fsrs.replay(histories.get(card.id, ()), parameters)
        parts = context_parts(card.context)
        out.append(
            ExamCard(
                id=card.id,
                section=parts[0] if parts else "",
                memory=memory,
                due=card.due if memory is not None else None,
                order=order,
            )
        )
    return out
