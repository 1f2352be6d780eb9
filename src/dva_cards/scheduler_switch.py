"""Making the collection's scheduler and FSRS settings the ones its cards are scheduled by: every card's memory
and state replayed from its answers. One rule for `config set scheduler`, `optimize` and a sync that brings
another machine's change, so every machine ends with the same cards (docs/rules.md, "FSRS").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from . import scheduling
from .scheduling import SchedulerName
from .settings import effective
from .store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Replayed:
    answers: int  # non-cram answers replayed
    cards: int  # cards that have them
    moved: int  # due dates moved by `--reschedule`


def replay_for_scheduler(store: Store, *, reschedule: bool = False) -> Replayed:
    """Replay every card's answers under the collection's settings, inside the caller's transaction.

    The FSRS memory is the fold of a card's answers under either scheduler. Under SM-2 a card's state is the SM-2
    fold of its answers; under FSRS it is the state its last answer left (each answer's interval came from the
    settings of its day, which the log does not keep) -- so a card answered only under SM-2 keeps its due date,
    and switching back and forth never leaves a card its log does not explain. `reschedule` (FSRS only) moves
    learned cards to the due date their replayed memory gives under today's settings."""
    settings = effective(store.settings())
    histories = store.answer_histories()
    memories = scheduling.replay_memories(histories, settings.fsrs_parameters)
    store.write_memories(changed(memories, store.card_memories()))
    stored = store.card_states()
    # The last answers' states only matter under FSRS: SM-2 folds the answers themselves.
    last = store.last_answer_states() if settings.scheduler is SchedulerName.FSRS else {}
    chosen = settings.scheduler
    states = {
        card_id: scheduling.replayed_state(histories.get(card_id, ()), last.get(card_id), chosen)
        for card_id in histories.keys() | last.keys()
    }
    moved = 0
    if reschedule and chosen is SchedulerName.FSRS:
        target = settings.scheduling
        rescheduled = {
            card_id: scheduling.rescheduled(state, memories.get(card_id), target)
            for card_id, state in states.items()
        }
        moved = sum(1 for card_id, state in rescheduled.items() if state != states[card_id])
        states = rescheduled
    store.write_states(changed(states, stored))
    return Replayed(sum(len(history) for history in histories.values()), len(histories), moved)


def changed(new: Mapping[str, T], stored: Mapping[str, T]) -> dict[str, T]:
    """The entries of ``new`` that differ from what is stored: rewriting a card row costs every index it is in."""
    return {card_id: value for card_id, value in new.items() if stored.get(card_id) != value}
