"""The exam a collection studies for: its date, the recall it aims at and, optionally, the one deck it covers.

One exam at a time: setting another replaces it. It is kept as three rows of the collection's settings
(``exam-date``, ``exam-target``, ``exam-deck``), apart from the settings `config` manages, so no schema change
is needed and `config list` stays about scheduling. Pure: text in, values (or one clear error) out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .errors import UserError

DATE_KEY = "exam-date"
TARGET_KEY = "exam-target"
DECK_KEY = "exam-deck"
KEYS = (DATE_KEY, TARGET_KEY, DECK_KEY)
DEFAULT_TARGET = 0.9
MIN_TARGET = 0.70  # the range FSRS's desired retention allows: recall targets outside it are not plannable
MAX_TARGET = 0.99


@dataclass(frozen=True)
class ExamGoal:
    exam: date
    target: float = DEFAULT_TARGET
    deck: str | None = None  # None: every deck of the collection


def parse_exam_date(text: str) -> date:
    """An ISO date (YYYY-MM-DD), else UserError. A date already past is accepted: it means normal scheduling."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"the exam date must be a date like 2026-03-01, not {text!r}") from None


def check_target(target: float) -> float:
    if not MIN_TARGET <= target <= MAX_TARGET:  # also refuses NaN
        raise UserError(f"the exam target must be a recall from {MIN_TARGET} to {MAX_TARGET}, not {target}")
    return target


def to_settings(goal: ExamGoal) -> dict[str, str | None]:
    """The setting rows that store ``goal`` (None: the row is removed)."""
    return {DATE_KEY: goal.exam.isoformat(), TARGET_KEY: repr(goal.target), DECK_KEY: goal.deck}


def from_settings(stored: Mapping[str, str]) -> ExamGoal | None:
    """The exam stored in a collection's settings, or None; a hand-edited bad value is one clear error."""
    text = stored.get(DATE_KEY)
    if text is None:
        return None
    fix = "fix it with `dva-cards exam set DATE` or `dva-cards exam clear`"
    try:
        exam = date.fromisoformat(text)
        target = float(stored.get(TARGET_KEY, repr(DEFAULT_TARGET)))
    except ValueError:
        raise UserError(f"the exam stored in the collection is invalid: {fix}") from None
    if not MIN_TARGET <= target <= MAX_TARGET:
        raise UserError(f"the exam target stored in the collection is invalid ({target}): {fix}")
    return ExamGoal(exam=exam, target=target, deck=stored.get(DECK_KEY))


def days_to_exam(goal: ExamGoal, today: date) -> int:
    return (goal.exam - today).days


def header_label(goal: ExamGoal, today: date) -> str | None:
    """What the review header says: "exam in N days", "exam tomorrow", "exam today"; None once it is past."""
    days = days_to_exam(goal, today)
    if days < 0:
        return None
    if days == 0:
        return "exam today"
    if days == 1:
        return "exam tomorrow"
    return f"exam in {days} days"
