"""What a card is today, answer kinds and grades: each rule stated once, for Python and for SQL alike.

A rule is a small predicate over a card's stored columns (`Predicate`): the same object answers in Python
(`holds`, on `CardFacts`) and renders the SQL fragment that selects the same cards (`sql`). The queue, the
due counts and the stats screen all select through these, so they cannot disagree; a differential test runs
both sides on the same random collections. The rules themselves are stated in docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum
from typing import NamedTuple


class Grade(IntEnum):
    """SM-2's answer grades, 0 to 5. 3 and above count as recalled."""

    BLACKOUT = 0  # nothing recalled
    WRONG_BUT_FAMILIAR = 1  # wrong; the answer rang a bell once shown
    WRONG_BUT_EASY = 2  # wrong; the answer seemed easy once shown
    HARD = 3  # right, with serious difficulty: drilled again today
    GOOD = 4  # right, after some hesitation
    PERFECT = 5

    @property
    def passing(self) -> bool:
        return self >= Grade.HARD

    @staticmethod
    def passing_sql(column: str) -> str:
        return f"({column} >= {int(Grade.HARD)})"


class AnswerKind(StrEnum):
    """How an answer is logged: a due review or a new card's first look, a repeat of the day, or cram."""

    REVIEW = "review"
    DRILL = "drill"  # drilling after a 3 or re-learning after a fail: uses up no daily limit
    CRAM = "cram"  # practice outside the schedule: changes nothing

    @property
    def counts_as_study(self) -> bool:
        """Review and drill answers make the heatmap, the streak and "reviewed today"; cram does not."""
        return self is not AnswerKind.CRAM

    @staticmethod
    def study_sql(column: str = "kind") -> str:
        studied = ", ".join(f"'{kind.value}'" for kind in AnswerKind if kind.counts_as_study)
        return f"{column} IN ({studied})"

    @staticmethod
    def introduces_card(kind: AnswerKind, due_before: date | None) -> bool:
        """A new card's first answer: a review of a card that had never been scheduled."""
        return kind is AnswerKind.REVIEW and due_before is None

    @staticmethod
    def introduces_card_sql(prefix: str = "") -> str:
        return f"{prefix}kind = '{AnswerKind.REVIEW.value}' AND {prefix}due_before IS NULL"


# -- predicates over a card's columns ---------------------------------------------------------------------------


class CardFacts(NamedTuple):
    """The stored columns the rules read, as Python values."""

    retired: bool
    suspended: bool
    buried_until: date | None
    drill: bool
    due: date | None
    reps: int
    interval: int


Params = Mapping[str, object]  # the named SQL parameters (`today`, `learning`, ...) as Python values


@dataclass(frozen=True)
class Predicate:
    """A condition on a card: `holds` in Python and `sql` for SQLite, built side by side from the same parts.

    Comparisons with a NULL column (a None value) are false on both sides, as in a SQL WHERE or CASE WHEN;
    there is deliberately no general negation, which SQL's three-valued logic would make differ.
    """

    holds_fn: Callable[[CardFacts, Params], bool]
    sql_fn: Callable[[str], str]

    def holds(self, card: CardFacts, params: Params) -> bool:
        return self.holds_fn(card, params)

    def sql(self, alias: str = "") -> str:
        """The SQL condition; `alias` is the card table's alias ("c") or empty."""
        return self.sql_fn(f"{alias}." if alias else "")

    def __and__(self, other: Predicate) -> Predicate:
        return Predicate(
            lambda card, params: self.holds_fn(card, params) and other.holds_fn(card, params),
            lambda p: f"{self.sql_fn(p)} AND {other.sql_fn(p)}",
        )

    def __or__(self, other: Predicate) -> Predicate:
        return Predicate(
            lambda card, params: self.holds_fn(card, params) or other.holds_fn(card, params),
            lambda p: f"({self.sql_fn(p)} OR {other.sql_fn(p)})",
        )


def _retired(value: bool) -> Predicate:
    return Predicate(
        lambda card, _: card.retired is value,
        lambda p: f"{p}retired_at IS {'NOT ' if value else ''}NULL",
    )


def _flag(column: str, value: bool) -> Predicate:
    index = CardFacts._fields.index(column)
    return Predicate(lambda card, _: bool(card[index]) is value, lambda p: f"{p}{column} = {int(value)}")


def _is_null(column: str) -> Predicate:
    index = CardFacts._fields.index(column)
    return Predicate(lambda card, _: card[index] is None, lambda p: f"{p}{column} IS NULL")


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    "=": lambda a, b: a == b,
}


def _compare(column: str, operator: str, param: str | int) -> Predicate:
    """`column operator :param` (a named parameter) or `column operator 7` (a constant). Day columns are
    compared as dates in Python and as ISO strings in SQL, which order alike."""
    index = CardFacts._fields.index(column)
    test = _COMPARE[operator]

    def holds(card: CardFacts, params: Params) -> bool:
        value = card[index]
        other = params[param] if isinstance(param, str) else param
        return value is not None and other is not None and test(value, other)

    operand = f":{param}" if isinstance(param, str) else str(int(param))
    return Predicate(holds, lambda p: f"{p}{column} {operator} {operand}")


ALWAYS = Predicate(lambda card, params: True, lambda p: "1")

# The building blocks, each stated once. `:today` is the learner's day the rules are asked about.
RETIRED = _retired(True)
SUSPENDED = _retired(False) & _flag("suspended", True)
ACTIVE = _retired(False) & _flag("suspended", False)  # in the collection's counts: not retired or suspended
BURIED = _compare("buried_until", ">", "today")  # hidden until the day after the bury (exclusive end)
NOT_BURIED = _is_null("buried_until") | _compare("buried_until", "<=", "today")
AVAILABLE = ACTIVE & NOT_BURIED  # may be shown today
DRILLING = _flag("drill", True)  # graded 3: shown again, whatever its due date, until a 4 or 5
RELEARNING = _flag("drill", False) & _compare("reps", "=", 0) & _compare("due", "<=", "today")  # failed
NEVER_SCHEDULED = _is_null("due")
DUE_REVIEW = _compare("due", "<=", "today") & _compare("reps", ">", 0) & _flag("drill", False)


class CardState(IntEnum):
    """What a card is on the learner's day: the first rule of `STATE_RULES` that holds decides."""

    RETIRED = 0  # its bullet is gone from the notes
    SUSPENDED = 1
    BURIED = 2  # hidden until a later day
    DRILL = 3  # drilling after a 3, or re-learning after a failing grade: seen again today, uncapped
    NEW = 4  # never scheduled
    REVIEW = 5  # learned and due today or earlier
    WAITING = 6  # learned, due on a later day

    @property
    def due_today(self) -> bool:
        """Counts as due now on the stats screen: a review or a drill."""
        return self in (CardState.REVIEW, CardState.DRILL)

    @property
    def queued(self) -> bool:
        return self in (CardState.REVIEW, CardState.NEW, CardState.DRILL)


# Each state's rule as it is checked in order (earlier states already ruled out).
STATE_RULES: tuple[tuple[CardState, Predicate], ...] = (
    (CardState.RETIRED, RETIRED),
    (CardState.SUSPENDED, _flag("suspended", True)),
    (CardState.BURIED, BURIED),
    (CardState.DRILL, DRILLING | _compare("reps", "=", 0) & _compare("due", "<=", "today")),
    (CardState.NEW, NEVER_SCHEDULED),
    (CardState.REVIEW, _compare("due", "<=", "today")),
    (CardState.WAITING, ALWAYS),
)

# Each queued state on its own, for the queue's indexed queries (`AVAILABLE & ...`).
SELECTS: Mapping[CardState, tuple[Predicate, ...]] = {
    CardState.REVIEW: (DUE_REVIEW,),
    CardState.DRILL: (DRILLING, RELEARNING),  # two queries: drilling cards can be due any day
    CardState.NEW: (NEVER_SCHEDULED & _flag("drill", False),),
}


class StatsCategory(IntEnum):
    """The stats screen's partition of every card, checked in this order."""

    NEW = 0  # never scheduled
    LEARNING = 1  # fewer than `:learning` successful reps
    YOUNG = 2  # interval under `:mature` days
    MATURE = 3
    SUSPENDED = 4
    RETIRED = 5

    @property
    def learned(self) -> bool:
        return self in (StatsCategory.LEARNING, StatsCategory.YOUNG, StatsCategory.MATURE)


CATEGORY_RULES: tuple[tuple[StatsCategory, Predicate], ...] = (
    (StatsCategory.RETIRED, RETIRED),
    (StatsCategory.SUSPENDED, _flag("suspended", True)),
    (StatsCategory.NEW, NEVER_SCHEDULED),
    (StatsCategory.LEARNING, _compare("reps", "<", "learning")),
    (StatsCategory.YOUNG, _compare("interval", "<", "mature")),
    (StatsCategory.MATURE, ALWAYS),
)

# Cards that will ask to be reviewed on `:day`: due by then (reviews and re-learning) or drilling. Two
# queries, so each walks its own partial index.
DUE_BY_DAY = (ACTIVE & _compare("due", "<=", "day"), ACTIVE & DRILLING & _compare("due", ">", "day"))


def state_of(card: CardFacts, today: date) -> CardState:
    params = {"today": today}
    return next(state for state, rule in STATE_RULES if rule.holds(card, params))


def category_of(card: CardFacts, *, learning_reps: int, mature_days: int) -> StatsCategory:
    params = {"learning": learning_reps, "mature": mature_days}
    return next(category for category, rule in CATEGORY_RULES if rule.holds(card, params))


def counts_as_due_by(card: CardFacts, day: date) -> bool:
    params = {"day": day}
    return any(rule.holds(card, params) for rule in DUE_BY_DAY)


def case_sql(rules: tuple[tuple[IntEnum, Predicate], ...], alias: str = "") -> str:
    """A SQL CASE giving each row the integer value of the first rule that holds."""
    *tested, (last, _) = rules
    whens = " ".join(f"WHEN {rule.sql(alias)} THEN {int(value)}" for value, rule in tested)
    return f"(CASE {whens} ELSE {int(last)} END)"
