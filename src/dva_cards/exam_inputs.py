"""The exam planner's view of a collection: each active card in the order of the notes, with its memory.

Pure: stored card rows in, `ExamCard`s out. The memory is the FSRS memory every non-cram answer keeps up to
date under either scheduler, so an SM-2 collection is predicted the same way as an FSRS one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from .exam import ExamCard
from .fsrs import CardMemory
from .identity import context_parts


class PlannedCard(NamedTuple):
    """An active card (not suspended, not retired) as stored. A named tuple: a collection reads tens of
    thousands of them, and a tuple is made several times faster than a frozen dataclass."""

    id: str
    deck: str
    context: str
    source: str
    line: int
    due: date | None
    memory: CardMemory | None  # None: never answered


def exam_cards(cards: Iterable[PlannedCard], *, in_notes_order: bool = False) -> list[ExamCard]:
    """The planner's cards, in the order of the notes (deck, file, line), each with its top-level section.

    A card without memory is never seen, even if it has a due date (a card introduced, then its answer undone,
    has none). ``in_notes_order``: the cards already come in that order (as `Store.exam_cards` gives them),
    so the sort is skipped.
    """
    ordered = cards if in_notes_order else sorted(cards, key=_notes_order)
    sections: dict[str, str] = {}  # a context's top-level section: contexts repeat from card to card
    out: list[ExamCard] = []
    for order, card in enumerate(ordered):
        section = sections.get(card.context)
        if section is None:
            parts = context_parts(card.context)
            section = sections[card.context] = parts[0] if parts else ""
        memory = card.memory
        out.append(ExamCard(card.id, section, memory, card.due if memory is not None else None, order))
    return out


def _notes_order(card: PlannedCard) -> tuple[str, str, int, str]:
    return card.deck, card.source, card.line, card.id
