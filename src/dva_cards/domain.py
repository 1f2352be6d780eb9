"""The records that cross the store boundary, each with its one JSON shape. Pure values, no I/O.

The store turns rows into these records and these records into rows; commands render them. A card's JSON is
written here once, so `cards --json` and `import --dry-run --json` cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from .card_state import AnswerKind, CardState, StatsCategory
from .fsrs import CardMemory
from .scheduler import START_EASE, SM2State


@dataclass(frozen=True)
class CardRow:
    """A card as `cards` lists it: its place in the notes, its schedule and its flags."""

    id: str
    deck: str
    context: str
    front: str
    back: str
    source: str
    line: int
    reps: int = 0
    ease: int = START_EASE
    interval: int = 0
    due: date | None = None
    lapses: int = 0
    suspended: bool = False
    retired: bool = False
    leech: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "deck": self.deck, "context": self.context, "front": self.front, "back": self.back,
            "source": self.source, "line": self.line, "reps": self.reps, "ease": self.ease,
            "interval": self.interval, "due": None if self.due is None else self.due.isoformat(),
            "lapses": self.lapses, "suspended": self.suspended, "retired": self.retired, "leech": self.leech,
        }  # fmt: skip


# A named tuple, not a dataclass: an import's summary holds every item not carded of every file (tens of
# thousands for a large notes file, each re-imported file's made afresh), and a tuple is built several times
# faster.
class SkippedRow(NamedTuple):
    """A bullet of a notes file that looked like a definition but had nothing to learn."""

    source: str
    line: int
    reason: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason, "text": self.text}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SkippedRow:
        return cls(str(value["source"]), int(value["line"]), str(value["reason"]), str(value["text"]))


@dataclass(frozen=True)
class MovedCard:
    """A card an import carried to its definition's new place (another heading, term or file), history kept."""

    id: str
    old_context: str
    old_front: str
    old_source: str
    context: str
    front: str
    source: str
    line: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": {"context": self.old_context, "front": self.old_front, "source": self.old_source},
            "to": {"context": self.context, "front": self.front, "source": self.source, "line": self.line},
        }


# -- review records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardSchedule:
    """What answering, suspending or burying a card may change, exactly as stored: undo writes it back."""

    state: SM2State
    leech: bool = False
    suspended: bool = False
    buried_until: date | None = None
    last_review: str | None = None  # as stored (sql_datetime, UTC), so it round-trips byte for byte
    memory: CardMemory | None = (
        None  # FSRS stability and difficulty, and their learner day (None: unanswered)
    )


@dataclass(frozen=True)
class ReviewCard:
    """A card as the review loop shows it."""

    id: str
    deck: str
    context: str
    front: str
    back: str
    source: str
    line: int
    retired: bool
    schedule: CardSchedule


@dataclass(frozen=True)
class Answer:
    """One grade to log: the card's schedule before, and its state, FSRS memory and flags after."""

    card_id: str
    quality: int
    kind: AnswerKind
    before: CardSchedule
    after: SM2State
    leech: bool
    suspended: bool
    reviewed_at: datetime  # timezone-aware
    day: date  # the learner's day it counts for
    duration_ms: int = 0
    memory_after: CardMemory | None = None  # None only for a cram answer of a never-answered card


# -- the stats screen's rows ----------------------------------------------------------------------------------------


class CardGroup(NamedTuple):
    """Cards sharing deck, category, ease bucket, interval bucket, today's status and leech flag."""

    deck_id: int
    category: StatsCategory
    ease_bucket: int  # ease // EASE_BUCKET
    interval_bucket: int  # index into INTERVAL_EDGES
    today: CardState
    leech: bool
    cards: int


class TodayRow(NamedTuple):
    answers: int = 0  # review and drill answers today (in scope)
    cram: int = 0  # cram answers today (in scope)
    cards: int = 0  # distinct cards answered today, cram aside (in scope)
    time_ms: int = 0  # time spent answering today, all kinds (in scope)
    new_seen: int = 0  # new cards first answered today in the whole collection (the new-card limit is global)


class HardCard(NamedTuple):
    id: str
    deck_id: int
    front: str
    context: str
    source: str
    line: int
    lapses: int
    ease: int
    interval: int
    leech: bool
    suspended: bool


class RetentionRow(NamedTuple):
    """Due-review answers of the window for the cards of one context (None: cards since pruned)."""

    context: str | None
    young_passed: int
    young: int
    mature_passed: int
    mature: int


class MemoryRow(NamedTuple):
    """An active card's FSRS memory, for today's predicted recall."""

    context: str  # the first part of the card's context (its section, untrimmed)
    elapsed: int  # learner days from the answer that set the memory to today
    stability: float


class StatsRows(NamedTuple):
    """Everything the store reads for one stats screen."""

    decks: Mapping[int, str]  # decks in scope, id -> name
    card_groups: Sequence[CardGroup]
    due_by_day: Sequence[tuple[date, int]]  # active scheduled cards by due date, before window.forecast_end
    review_days: Sequence[tuple[date, int]]  # review+drill answers per day, heat_start..today
    older_days: Sequence[date]  # days before heat_start with at least one review or drill answer
    today: TodayRow
    retention: Sequence[RetentionRow]
    hardest: Sequence[HardCard]
    memories: Sequence[MemoryRow] = ()  # active cards with an FSRS memory
