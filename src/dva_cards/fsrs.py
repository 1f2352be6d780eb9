"""FSRS-6, the Free Spaced Repetition Scheduler's memory model. Pure: parameters, state, rating and days in.

A card's memory is two numbers: *stability* S, the days until recall probability falls to 90 %, and
*difficulty* D, from 1 (easy) to 10 (hard). Retrievability R(t, S) is the probability of recall after t days;
FSRS-6 learns the shape of that forgetting curve through its decay parameter w20.

Time is counted in whole learner days (days that begin at the rollover hour), never in raw hours: a review on
the same learner day as the previous one (t = 0) updates stability with the short-term formula instead of the
long-term one, as FSRS-6 does.

This module is the review path's model, so it imports only the standard library; fitting the parameters lives
in ``fsrs_optimizer`` (which needs numpy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import NamedTuple

Parameters = tuple[float, ...]

# FSRS-6's published defaults: w0-w3 initial stabilities, w4-w7 difficulty, w8-w10 recall stability,
# w11-w14 forget stability, w15 Hard penalty, w16 Easy bonus, w17-w19 same-day stability, w20 decay.
DEFAULT_PARAMETERS: Parameters = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
)  # fmt: skip
PARAMETER_COUNT = 21

# The range each parameter may take, as FSRS-6 clamps them while fitting; a value outside is refused.
LOWER_BOUNDS: Parameters = (
    0.001, 0.001, 0.001, 0.001, 1.0, 0.001, 0.001, 0.001, 0.0, 0.0, 0.001,
    0.001, 0.001, 0.001, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.1,
)  # fmt: skip
UPPER_BOUNDS: Parameters = (
    100.0, 100.0, 100.0, 100.0, 10.0, 4.0, 4.0, 0.75, 4.5, 0.8, 3.5,
    5.0, 0.25, 0.9, 4.0, 1.0, 6.0, 2.0, 2.0, 0.8, 0.8,
)  # fmt: skip

MIN_STABILITY = 0.001  # days; keeps R(t, S) defined for a card forgotten over and over
MIN_DIFFICULTY = 1.0
MAX_DIFFICULTY = 10.0
DEFAULT_DESIRED_RETENTION = 0.9
MIN_DESIRED_RETENTION = 0.70
MAX_DESIRED_RETENTION = 0.99
DEFAULT_MAXIMUM_INTERVAL = 36_500  # days, as SM-2 caps it


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


# Plain ints for the hot loop: comparing with an int is cheaper than looking up an enum member.
_AGAIN, _HARD, _EASY = int(Rating.AGAIN), int(Rating.HARD), int(Rating.EASY)


@dataclass(frozen=True)
class MemoryState:
    stability: float  # days until R falls to 90 %
    difficulty: float  # 1-10


class Review(NamedTuple):
    """One non-cram answer of a card: the learner day it was given on and its dva-cards grade (0-5).

    A named tuple, not a dataclass: a switch of scheduler builds half a million of them, and a tuple is made
    several times faster.
    """

    day: date
    grade: int


@dataclass(frozen=True)
class CardMemory:
    """A card's memory after its last review, and the learner day of that review (for the next t)."""

    state: MemoryState
    last_review: date


_RATING_FOR_GRADE = (Rating.AGAIN, Rating.AGAIN, Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY)


def rating_for_grade(grade: int) -> Rating:
    """dva-cards' 0-5 grade as an FSRS rating: 0-2 Again (a miss), 3 Hard, 4 Good, 5 Easy."""
    # type() rather than isinstance(): True is a slip of the caller, not the grade 1.
    if type(grade) is not int or not 0 <= grade <= 5:
        raise ValueError(f"a grade is an integer from 0 to 5, not {grade!r}")
    return _RATING_FOR_GRADE[grade]


def check_parameters(parameters: Sequence[float]) -> Parameters:
    """The parameters as a tuple, or ValueError if there are not 21 of them, each within FSRS-6's bounds."""
    values = tuple(float(value) for value in parameters)
    if len(values) != PARAMETER_COUNT:
        raise ValueError(f"FSRS-6 has {PARAMETER_COUNT} parameters, not {len(values)}")
    for index, (value, low, high) in enumerate(zip(values, LOWER_BOUNDS, UPPER_BOUNDS, strict=True)):
        if not low <= value <= high:  # also refuses NaN
            raise ValueError(f"parameter w{index} = {value} is outside [{low}, {high}]")
    return values


def retrievability(
    elapsed_days: float, stability: float, parameters: Parameters = DEFAULT_PARAMETERS
) -> float:
    """R(t, S) = (1 + factor * t / S) ^ -w20, with factor chosen so that R(S, S) = 0.9."""
    return _retrievability(elapsed_days, stability, _derive(parameters))


def retrievabilities(
    elapsed_and_stability: Iterable[tuple[float, float]], parameters: Parameters = DEFAULT_PARAMETERS
) -> list[float]:
    """R(t, S) for each (elapsed days, stability) pair: a whole collection's recall today in one call."""
    derived = _derive(parameters)
    factor, decay = derived.factor, derived.decay  # _retrievability's formula, without a call per card
    return [math.pow(1.0 + factor * (t if t > 0.0 else 0.0) / s, decay) for t, s in elapsed_and_stability]


def initial_state(rating: Rating, parameters: Parameters = DEFAULT_PARAMETERS) -> MemoryState:
    """The memory after a card's first review."""
    return MemoryState(
        stability=max(parameters[rating - 1], MIN_STABILITY),
        difficulty=_clamp_difficulty(_initial_difficulty(rating, parameters)),
    )


def next_state(
    state: MemoryState | None, rating: Rating, elapsed_days: int, parameters: Parameters = DEFAULT_PARAMETERS
) -> MemoryState:
    """The memory after a review ``elapsed_days`` learner days after the previous one (None: a new card)."""
    if state is None:
        return initial_state(rating, parameters)
    derived = _derive(parameters)
    return MemoryState(
        _next_stability(state.stability, state.difficulty, rating, elapsed_days, parameters, derived),
        _next_difficulty(state.difficulty, rating, parameters, derived),
    )


def next_interval(
    stability: float,
    desired_retention: float = DEFAULT_DESIRED_RETENTION,
    maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> int:
    """Whole days until R falls to ``desired_retention``: at least 1, at most ``maximum_interval``."""
    if not 0.0 < desired_retention < 1.0:
        raise ValueError(f"desired retention must be between 0 and 1, not {desired_retention!r}")
    # R(t, S) solved for t.
    derived = _derive(parameters)
    days = stability / derived.factor * (math.pow(desired_retention, 1.0 / derived.decay) - 1.0)
    return max(1, min(round(days), maximum_interval))


def replay(
    reviews: Iterable[Review], parameters: Parameters = DEFAULT_PARAMETERS, start: CardMemory | None = None
) -> CardMemory | None:
    """The memory a card's non-cram reviews (in time order) leave it in, continuing from ``start``.

    None for a card never reviewed. ``replay(later, p, replay(earlier, p)) == replay(earlier + later, p)``.
    """
    # Plain floats inside the loop: a collection-wide replay runs this half a million times.
    derived = _derive(parameters)
    if start is None:
        stability = difficulty = 0.0
        last: date | None = None
    else:
        stability, difficulty, last = start.state.stability, start.state.difficulty, start.last_review
    for review in reviews:
        rating = rating_for_grade(review.grade)
        if last is None:
            first = initial_state(rating, parameters)
            stability, difficulty = first.stability, first.difficulty
        else:
            elapsed = (review.day - last).days
            if elapsed < 0:
                raise ValueError(f"reviews out of time order: {review.day} after {last}")
            # No tuple per review: a replay that allocates nothing per review leaves the garbage collector idle.
            stability = _next_stability(stability, difficulty, rating, elapsed, parameters, derived)
            difficulty = _next_difficulty(difficulty, rating, parameters, derived)
        last = review.day
    if last is None:
        return None
    return CardMemory(MemoryState(stability, difficulty), last)


def intervals_by_grade(
    memory: CardMemory | None,
    today: date,
    desired_retention: float = DEFAULT_DESIRED_RETENTION,
    maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> dict[int, int]:
    """For each grade 0-5 given on ``today``, FSRS's days until the card should come back.

    Whether a failed card is also drilled again the same day is the session's rule, not the model's.
    """
    out = {}
    for grade in range(6):
        after = replay([Review(today, grade)], parameters, start=memory)
        assert after is not None
        out[grade] = next_interval(after.state.stability, desired_retention, maximum_interval, parameters)
    return out


def predicted_recall(memory: CardMemory, today: date, parameters: Parameters = DEFAULT_PARAMETERS) -> float:
    """The probability the card is recalled on the learner day ``today``."""
    return retrievability((today - memory.last_review).days, memory.state.stability, parameters)


@dataclass(frozen=True, slots=True)
class _Derived:
    """Values that depend on the parameters alone, computed once per replay rather than once per review."""

    decay: float  # -w20
    factor: float  # 0.9^(1 / decay) - 1, so that R(S, S) = 0.9
    easy_start: float  # the difficulty of a card first rated Easy, before clamping


_last_derived: tuple[Parameters, _Derived] | None = None


def _derive(parameters: Parameters) -> _Derived:
    # A collection is replayed card by card with one parameter tuple: remember the last one's values.
    # Identity, not equality: comparing 21 floats would cost what it saves; tuples cannot change.
    global _last_derived
    if _last_derived is not None and _last_derived[0] is parameters:
        return _last_derived[1]
    decay = -parameters[20]
    derived = _Derived(decay, math.pow(0.9, 1.0 / decay) - 1.0, _initial_difficulty(Rating.EASY, parameters))
    _last_derived = (parameters, derived)
    return derived


def _retrievability(elapsed_days: float, stability: float, derived: _Derived) -> float:
    elapsed = elapsed_days if elapsed_days > 0.0 else 0.0
    return math.pow(1.0 + derived.factor * elapsed / stability, derived.decay)


def _next_stability(
    stability: float,
    difficulty: float,
    rating: Rating,
    elapsed_days: int,
    parameters: Parameters,
    derived: _Derived,
) -> float:
    """Stability after a review ``elapsed_days`` after the previous one (0: the same learner day)."""
    if elapsed_days <= 0:
        new_stability = _same_day_stability(stability, rating, parameters)
    else:
        recall = _retrievability(elapsed_days, stability, derived)
        if rating == _AGAIN:
            new_stability = _forget_stability(stability, difficulty, recall, parameters)
        else:
            new_stability = _recall_stability(stability, difficulty, recall, rating, parameters)
    return new_stability if new_stability > MIN_STABILITY else MIN_STABILITY


def _initial_difficulty(rating: Rating, parameters: Parameters) -> float:
    return parameters[4] - math.exp(parameters[5] * (rating - 1)) + 1.0


def _next_difficulty(difficulty: float, rating: Rating, parameters: Parameters, derived: _Derived) -> float:
    # Good leaves D where it is, Again/Hard raise it, Easy lowers it; the step shrinks as D nears 10
    # (linear damping), and w7 pulls D back toward the difficulty of a card first rated Easy.
    change = -parameters[6] * (rating - 3)
    damped = difficulty + change * (10.0 - difficulty) / 9.0
    return _clamp_difficulty(parameters[7] * derived.easy_start + (1.0 - parameters[7]) * damped)


def _recall_stability(
    stability: float, difficulty: float, recall: float, rating: Rating, parameters: Parameters
) -> float:
    # Stability grows more for easier cards, for lower current stability and for a lower R at review time.
    hard_penalty = parameters[15] if rating == _HARD else 1.0
    easy_bonus = parameters[16] if rating == _EASY else 1.0
    growth = (
        math.exp(parameters[8])
        * (11.0 - difficulty)
        * math.pow(stability, -parameters[9])
        * (math.exp((1.0 - recall) * parameters[10]) - 1.0)
    )
    return stability * (1.0 + growth * hard_penalty * easy_bonus)


def _forget_stability(stability: float, difficulty: float, recall: float, parameters: Parameters) -> float:
    long_term = (
        parameters[11]
        * math.pow(difficulty, -parameters[12])
        * (math.pow(stability + 1.0, parameters[13]) - 1.0)
        * math.exp((1.0 - recall) * parameters[14])
    )
    # A lapse never leaves the card more stable than a same-day Again would.
    return min(long_term, stability / math.exp(parameters[17] * parameters[18]))


def _same_day_stability(stability: float, rating: Rating, parameters: Parameters) -> float:
    growth = math.exp(parameters[17] * (rating - 3 + parameters[18])) * math.pow(stability, -parameters[19])
    if rating >= _HARD and growth < 1.0:
        growth = 1.0  # a same-day pass never lowers stability
    return stability * growth


def _clamp_difficulty(difficulty: float) -> float:
    if difficulty < MIN_DIFFICULTY:
        return MIN_DIFFICULTY
    return difficulty if difficulty < MAX_DIFFICULTY else MAX_DIFFICULTY
