"""A card's state as its review log says it must be. Pure.

Every change to a card's scheduling state is an answer, logged with the state before and after it (a cram
answer logs the same state twice). So a card's stored state must equal the state its last answer left, or the
state of a new card when it has none, and each answer must start from the state the previous one left. This is
what `dva-cards check` verifies and `--repair` restores (docs/rules.md, "Card state and the review log").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .scheduler import SM2State

NEW_CARD = SM2State()


@dataclass(frozen=True)
class LoggedAnswer:
    """One row of the review log, as far as the card's state goes."""

    review_id: int
    before: SM2State
    after: SM2State


@dataclass(frozen=True)
class CardLog:
    card_id: str
    stored: SM2State
    answers: Sequence[LoggedAnswer]  # oldest first (by review id)


@dataclass(frozen=True)
class Disagreement:
    """A card whose stored state is not the replay of its log, or whose log does not chain."""

    card_id: str
    stored: SM2State
    replayed: SM2State
    broken_links: tuple[int, ...]  # review ids whose `before` is not the previous answer's `after`

    @property
    def state_differs(self) -> bool:
        return self.stored != self.replayed


def replayed_state(answers: Sequence[LoggedAnswer]) -> SM2State:
    """The state the log leaves a card in: its last answer's `after`, or a new card's state."""
    return answers[-1].after if answers else NEW_CARD


def broken_links(answers: Sequence[LoggedAnswer]) -> tuple[int, ...]:
    """Answers given on a state the previous answer did not leave (a lost or overwritten answer)."""
    previous = NEW_CARD
    broken: list[int] = []
    for answer in answers:
        if answer.before != previous:
            broken.append(answer.review_id)
        previous = answer.after
    return tuple(broken)


def disagreements(cards: Iterable[CardLog]) -> list[Disagreement]:
    found: list[Disagreement] = []
    for card in cards:
        replayed = replayed_state(card.answers)
        broken = broken_links(card.answers)
        if card.stored != replayed or broken:
            found.append(Disagreement(card.card_id, card.stored, replayed, broken))
    return found
