"""One answer under the collection's scheduler, SM-2 or FSRS: the card's next state and memory. Pure.

Both schedulers read the same stored state (`SM2State`) and the same FSRS memory, and both keep both up to date,
so switching scheduler loses nothing and needs only a replay of the log (see docs/rules.md, "FSRS"):

* The FSRS memory (stability, difficulty, the learner day it was set) follows every non-cram answer under
  either scheduler, so `stats` can predict recall for an SM-2 collection too.
* Under SM-2, everything is `scheduler.review`.
* Under FSRS, `reps`, `ease` and `lapses` move as SM-2 moves them (the state rules, the leech rule and the stats
  read them), but the interval and due date are FSRS's: the days until predicted recall falls to the desired
  retention. Within the day, a failed card (0-2) is re-learned as under SM-2: due the same day, shown again
  among the drills until it is recalled (3 or more). A 3 is FSRS's Hard: a pass at Hard's shorter interval,
  without SM-2's drill (FSRS already lowered the card's stability for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from . import fsrs, scheduler
from .fsrs import CardMemory, Parameters, Review
from .scheduler import SM2State


class SchedulerName(StrEnum):
    SM2 = "sm2"
    FSRS = "fsrs"


@dataclass(frozen=True)
class Scheduling:
    """The collection's choice of scheduler and FSRS's settings (used for the memory under SM-2 too)."""

    scheduler: SchedulerName = SchedulerName.SM2
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS
    desired_retention: float = fsrs.DEFAULT_DESIRED_RETENTION
    maximum_interval: int = fsrs.DEFAULT_MAXIMUM_INTERVAL


SM2_DEFAULTS = Scheduling()


@dataclass(frozen=True)
class Next:
    state: SM2State
    memory: CardMemory


def answer(
    state: SM2State, memory: CardMemory | None, quality: int, today: date, scheduling: Scheduling
) -> Next:
    """The card's state and memory after grading it ``quality`` on the learner day ``today``."""
    after_memory = fsrs.replay([Review(today, quality)], scheduling.parameters, start=memory)
    assert after_memory is not None  # one review was replayed
    if scheduling.scheduler is SchedulerName.SM2:
        return Next(scheduler.review(state, quality, today), after_memory)
    # No drills under FSRS: a card still drilling from SM-2 days is answered like any other.
    counted = scheduler.review(replace(state, drill=False), quality, today)
    if quality < scheduler.PASSING_GRADE:
        return Next(counted, after_memory)  # re-learning: due today, interval 0, as under SM-2
    interval = interval_for(after_memory, scheduling)
    return Next(
        replace(counted, interval=interval, due=_add_days(today, interval), drill=False), after_memory
    )


def preview(
    state: SM2State, memory: CardMemory | None, today: date, scheduling: Scheduling
) -> dict[int, int]:
    """For each grade 0-5, the days until the card would show again (0 = again today)."""
    if scheduling.scheduler is SchedulerName.SM2:
        return scheduler.preview(state, today)
    out = {}
    for quality in scheduler.GRADES:
        after = answer(state, memory, quality, today, scheduling).state
        out[quality] = 0 if after.drill or after.due is None else (after.due - today).days
    return out


def interval_for(memory: CardMemory, scheduling: Scheduling) -> int:
    """FSRS's days from the memory's day until predicted recall falls to the desired retention."""
    return fsrs.next_interval(
        memory.state.stability,
        scheduling.desired_retention,
        scheduling.maximum_interval,
        scheduling.parameters,
    )


def rescheduled(state: SM2State, memory: CardMemory | None, scheduling: Scheduling) -> SM2State:
    """The state with its due date recomputed by FSRS from its memory (`config set scheduler fsrs
    --reschedule`). New, re-learning and drilling cards keep theirs: they are to be seen today anyway."""
    if memory is None or state.due is None or state.reps == 0 or state.drill:
        return state
    interval = interval_for(memory, scheduling)
    return replace(state, interval=interval, due=_add_days(memory.last_review, interval))


def _add_days(day: date, days: int) -> date:
    # Clamped so a far-future day stays representable, as SM-2 does.
    return day + timedelta(days=min(days, (date.max - day).days))


# -- switching scheduler: both states are folds over the log ---------------------------------------------------


def replay_memories(
    histories: Mapping[str, Sequence[Review]], parameters: Parameters
) -> dict[str, CardMemory]:
    """Each card's FSRS memory from its non-cram answers (in log order), with these parameters."""
    out = {}
    for card_id, history in histories.items():
        memory = fsrs.replay(history, parameters)
        if memory is not None:
            out[card_id] = memory
    return out


def replayed_state(history: Sequence[Review], last_after: SM2State | None, chosen: SchedulerName) -> SM2State:
    """A card's state from its log under ``chosen``: under SM-2 the fold of its non-cram answers (``history``);
    under FSRS the state its last answer, cram or not, left (``last_after``): each FSRS interval came from the
    settings of its day, which the log does not keep. A card without such answers is a new card. `check`, the
    scheduler switch and a sync all derive states by this rule (docs/rules.md, "Card state and the review log")."""
    if chosen is SchedulerName.SM2:
        return scheduler.replay(history) if history else SM2State()
    return last_after if last_after is not None else SM2State()


def replay_sm2(histories: Mapping[str, Sequence[Review]]) -> dict[str, SM2State]:
    """Each answered card's exact SM-2 state from its non-cram answers (in log order), for many cards at once."""
    return {card_id: scheduler.replay(history) for card_id, history in histories.items() if history}
