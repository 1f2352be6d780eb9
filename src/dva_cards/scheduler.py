"""SM-2 exactly as docs/rules.md states it, with integer arithmetic. Pure: state, grade and today in; state out.

Ease is kept in integer thousandths (2500 is EF 2.5). SM-2 moves EF on a 0.02 grid, so thousandths are exact
and ``ceil(I * EF)`` never suffers from binary rounding: with floats, five 5s give 151 days instead of 150.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .card_state import Grade

MAX_INTERVAL = 36_500  # days: 100 years, as Anki caps it, so a long run of 5s never overflows a date
MIN_EASE = 1300  # EF 1.3, SM-2's floor
PASSING_GRADE = int(Grade.HARD)  # 3 and above count as recalled
DRILL_EXIT_GRADE = int(Grade.GOOD)  # a drilled card leaves today's session on 4 or 5
GRADES = range(len(Grade))
START_EASE = 2500  # EF 2.5: every card starts here; below it, a card has been graded 3 or lower


@dataclass(frozen=True)
class SM2State:
    reps: int = 0
    ease: int = START_EASE  # thousandths: 2500 is EF 2.5
    interval: int = 0  # days
    due: date | None = None
    drill: bool = False  # graded 3: shown again the same day, and every session after, until a grade >= 4
    lapses: int = 0


def review(state: SM2State, quality: int, today: date) -> SM2State:
    """The state after grading the card ``quality`` (0-5) on the learner's day ``today``."""
    _check_grade(quality)
    if state.drill:
        return _drill_answer(state, quality, today)
    if quality < PASSING_GRADE:
        return _relearn(state, today)
    return _pass(state, quality, today)


def replay(answers: Iterable[tuple[date, int]], start: SM2State | None = None) -> SM2State:
    """The state a card's non-cram answers (learner day, grade; in the order given) leave it in.

    SM-2 is a pure function of the log: this fold gives a card answered under SM-2 exactly its stored state,
    and gives a card answered under FSRS the state SM-2 would have given it for the same answers. It is
    `review` applied answer after answer (a test holds them equal), on plain ints: a switch of scheduler
    folds half a million answers, and a state object per answer would cost most of the switch.
    """
    state = start if start is not None else SM2State()
    reps, ease, interval, drill, lapses = state.reps, state.ease, state.interval, state.drill, state.lapses
    # Only the last due date survives: keep the day it counts from and its days, add them once at the end.
    due_from, due_days = state.due, 0
    for day, quality in answers:
        if type(quality) is not int or not 0 <= quality <= 5:
            _check_grade(quality)  # raises, with the usual message
        if drill:  # _drill_answer
            if quality >= DRILL_EXIT_GRADE:
                drill = False
                due_from, due_days = day, interval
        elif quality < PASSING_GRADE:  # _relearn
            if reps >= 1:
                lapses += 1
            reps, interval, due_from, due_days = 0, 0, day, 0
        else:  # _pass: next_ease, then next_interval, inlined
            miss = 5 - quality
            ease = max(MIN_EASE, ease + 100 - miss * (80 + miss * 20))
            if reps == 0:
                interval = 1
            elif reps == 1:
                interval = 6
            else:
                interval = min(MAX_INTERVAL, -(-interval * ease // 1000))
            reps += 1
            due_from, due_days = day, interval
            drill = quality == PASSING_GRADE
    due = None if due_from is None else _add_days(due_from, due_days)
    return SM2State(reps, ease, interval, due, drill, lapses)


def preview(state: SM2State, today: date) -> dict[int, int]:
    """For each grade 0-5, the days until the card would show again (0 = again today)."""
    return {quality: _days_until_shown(review(state, quality, today), today) for quality in GRADES}


def is_lapse(before: SM2State, quality: int) -> bool:
    """Whether grading a card in state ``before`` with ``quality`` forgets something it had learned.

    Failing a drill is not a lapse: drill grades change nothing (SM-2 step 7).
    """
    _check_grade(quality)
    return not before.drill and quality < PASSING_GRADE and before.reps >= 1


def next_ease(ease: int, quality: int) -> int:
    """SM-2's EF update in thousandths: EF + 0.1 - (5-q)(0.08 + (5-q)0.02), never below 1.3."""
    miss = 5 - quality
    return max(MIN_EASE, ease + 100 - miss * (80 + miss * 20))


def next_interval(reps: int, interval: int, ease: int) -> int:
    """SM-2's interval for a pass following ``reps`` successive passes, capped at MAX_INTERVAL."""
    if reps == 0:
        return 1
    if reps == 1:
        return 6
    return min(MAX_INTERVAL, _ceil_div(interval * ease, 1000))


def _check_grade(quality: int) -> None:
    # bool is a subclass of int, but True is a slip of the caller, not the grade 1.
    if isinstance(quality, bool) or not isinstance(quality, int) or quality not in GRADES:
        raise ValueError(f"a grade is an integer from 0 to 5, not {quality!r}")


def _pass(state: SM2State, quality: int, today: date) -> SM2State:
    ease = next_ease(state.ease, quality)
    interval = next_interval(state.reps, state.interval, ease)
    # A 3 is scheduled like any pass, but the card is drilled again today;
    # due is recomputed from the day the drill ends.
    return replace(
        state,
        reps=state.reps + 1,
        ease=ease,
        interval=interval,
        due=_add_days(today, interval),
        drill=quality == PASSING_GRADE,
    )


def _relearn(state: SM2State, today: date) -> SM2State:
    lapses = state.lapses + 1 if state.reps >= 1 else state.lapses
    return replace(state, reps=0, interval=0, due=today, drill=False, lapses=lapses)


def _drill_answer(state: SM2State, quality: int, today: date) -> SM2State:
    if quality < DRILL_EXIT_GRADE:
        return state
    return replace(state, drill=False, due=_add_days(today, state.interval))


def _days_until_shown(after: SM2State, today: date) -> int:
    if after.drill or after.due is None:
        return 0
    return (after.due - today).days


def _add_days(day: date, days: int) -> date:
    # Clamped so a card reviewed in the far future stays representable instead of raising OverflowError.
    return day + timedelta(days=min(days, (date.max - day).days))


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)
