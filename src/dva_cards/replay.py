"""A card's state as its review log says it must be. Pure.

Every change to a card's scheduling state or FSRS memory is an answer, logged with the state before and after it
(a cram answer logs the same state twice and changes no memory). `dva-cards check` compares each card with the
replay of its log and `--repair` restores it (docs/rules.md, "Card state and the review log"). The replays are
the scheduler switch's own, `scheduling.replayed_state` and `scheduling.replay_memories`, not a copy of them:

* The FSRS memory (stability, difficulty, its learner day) is the FSRS fold of the card's non-cram answers with
  the collection's parameters, under either scheduler.
* Under SM-2 the state is the SM-2 fold of those answers: what switching back to SM-2 writes.
* Under FSRS the interval and due date of each answer came from the desired retention and parameters of its
  day, which the log does not keep, so the state is the one its last answer left (a new card's when it has
  none) -- or that state with its due date recomputed from the replayed memory, as `config set scheduler fsrs
  --reschedule` does.

Each answer must also start from the state the previous one left; an answer that did not (two sessions at once,
before answers were written conditionally) is reported, and the log is kept as it is. A log merged by a sync holds
answers that machines gave at the same time, each on the state its machine had, and a sync re-derives a card's
state from the union (docs/rules.md, "Sync between machines"); there an answer is judged only against the answer
before it from the same machine: it must start from that answer's state or from the SM-2 replay of every answer
before it (what the sync re-derived). An answer that follows another machine's is not judged: a sync in between
may have left any union of the answers before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import scheduler, scheduling
from .fsrs import CardMemory, Parameters, Review
from .scheduler import SM2State
from .scheduling import SchedulerName, Scheduling

NEW_CARD = SM2State()


@dataclass(frozen=True)
class LoggedAnswer:
    """One row of the review log, as far as the card's state goes."""

    review_id: int
    before: SM2State
    after: SM2State
    review: Review | None = None  # (learner day, grade) for the replays; None for a cram answer
    device: str | None = None  # the machine that gave it (None: this one)


@dataclass(frozen=True)
class CardLog:
    card_id: str
    stored: SM2State
    answers: Sequence[LoggedAnswer]  # in log order (`Store.log_order`)
    stored_memory: CardMemory | None = None


@dataclass(frozen=True)
class Disagreement:
    """A card whose stored state or memory is not the replay of its log, or whose log does not chain."""

    card_id: str
    stored: SM2State
    replayed: SM2State
    broken_links: tuple[int, ...]  # review ids whose `before` is not the previous answer's `after`
    stored_memory: CardMemory | None = None
    replayed_memory: CardMemory | None = None

    @property
    def state_differs(self) -> bool:
        return self.stored != self.replayed or self.stored_memory != self.replayed_memory


def history(answers: Sequence[LoggedAnswer]) -> list[Review]:
    """The card's non-cram answers in log order: what the scheduler switch replays."""
    return [answer.review for answer in answers if answer.review is not None]


def replayed_memory(card: CardLog, parameters: Parameters) -> CardMemory | None:
    return scheduling.replay_memories({card.card_id: history(card.answers)}, parameters).get(card.card_id)


def replayed_state(card: CardLog, memory: CardMemory | None, chosen: Scheduling) -> SM2State:
    """The state the log leaves the card in under the collection's scheduler (see the module's docstring)."""
    derived = scheduling.replayed_state(
        history(card.answers), card.answers[-1].after if card.answers else None, chosen.scheduler
    )
    if chosen.scheduler is SchedulerName.SM2:
        return derived
    # ... or, under FSRS, that state moved to the due date its memory gives (`--reschedule`).
    rescheduled = scheduling.rescheduled(derived, memory, chosen)
    return rescheduled if card.stored == rescheduled else derived


def broken_links(answers: Sequence[LoggedAnswer], *, merged: bool = False) -> tuple[int, ...]:
    """Answers given on a state the previous answer did not leave (a lost or overwritten answer). In a `merged`
    log (another machine's answers in it) see the module's docstring."""
    previous: LoggedAnswer | None = None
    broken: list[int] = []
    for index, answer in enumerate(answers):
        left = NEW_CARD if previous is None else previous.after
        if answer.before != left and (not merged or _breaks_merged(answers, index, previous)):
            broken.append(answer.review_id)
        previous = answer
    return tuple(broken)


def _breaks_merged(answers: Sequence[LoggedAnswer], index: int, previous: LoggedAnswer | None) -> bool:
    """Whether the answer at `index`, not given on the state `previous` left, breaks a merged log: it follows
    an answer of its own machine, and a sync's SM-2 replay of the answers before it did not leave it either."""
    answer = answers[index]
    if previous is not None and previous.device != answer.device:
        return False  # a sync in between may have left any union of the answers before it
    return answer.before != scheduler.replay(history(answers[:index]))


def disagreements(
    cards: Iterable[CardLog], chosen: Scheduling = scheduling.SM2_DEFAULTS, *, merged: bool = False
) -> list[Disagreement]:
    found: list[Disagreement] = []
    for card in cards:
        memory = replayed_memory(card, chosen.parameters)
        replayed = replayed_state(card, memory, chosen)
        broken = broken_links(card.answers, merged=merged)
        if card.stored != replayed or card.stored_memory != memory or broken:
            found.append(
                Disagreement(card.card_id, card.stored, replayed, broken, card.stored_memory, memory)
            )
    return found
