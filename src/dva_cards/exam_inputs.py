"""The exam planner's view of a collection: each active card in the order of the notes, with its memory.

Pure: stored card rows in, `ExamCard`s out. The memory is the FSRS memory every non-cram answer keeps up to
date under either scheduler, so an SM-2 collection is predicted the same way as an FSRS one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .exam import ExamCard
from .fsrs import CardMemory
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
    memory: CardMemory | None  # None: never answered


def exam_cards(cards: Iterable[PlannedCard]) -> list[ExamCard]:
    """The planner's cards, in the order of the notes (deck, file, line), each with its top-level section.

    A card without memory is never seen, even if it has a due date (a card introduced, then its answer undone,
    has none).
    """
    ordered = sorted(cards, key=lambda card: (card.deck, card.source, card.line, card.id))
    out: list[ExamCard] = []
    for order, card in enumerate(ordered):
        parts = context_parts(card.context)
        out.append(
            ExamCard(
                id=card.id,
                section=parts[0] if parts else "",
                memory=card.memory,
                due=card.due if card.memory is not None else None,
                order=order,
            )
        )
    return out
