"""The product's exam planner gives exactly the plan of the straightforward one (tests/exam_reference.py).

Random collections of every kind the planner meets: cards never seen, overdue, due after the exam, due on the
day they were last seen or with no due date at all, notes in any order (ties included), limits that bind or
not, today's limits partly spent, exams today, ahead or already past; under FSRS-6 and under a simpler model.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import fsrs
from dva_cards.exam import ExamCard, MemoryModel, fsrs_model, plan_exam
from dva_cards.fsrs import CardMemory, MemoryState
from dva_cards.session import DailyLimits

from .exam_reference import reference_plan
from .test_exam import STAND_IN

TODAY = date(2026, 3, 10)
SECTIONS = ["EC2", "IAM", "Lambda", "S3", ""]
FSRS = fsrs_model()


@st.composite
def collections(draw: st.DrawFn, most: int) -> list[ExamCard]:
    count = draw(st.integers(min_value=0, max_value=most))
    tied_orders = draw(st.booleans())  # notes of one line each, or many cards sharing a position
    cards: list[ExamCard] = []
    for index in range(count):
        section = draw(st.sampled_from(SECTIONS))
        order = draw(st.integers(min_value=0, max_value=5)) if tied_orders else index
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            cards.append(ExamCard(f"c{index}", section, None, None, order))
            continue
        stability = draw(st.floats(min_value=0.1, max_value=400.0))
        difficulty = draw(st.floats(min_value=1.0, max_value=10.0))
        last = TODAY - timedelta(days=draw(st.integers(min_value=0, max_value=120)))
        due_in = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=200)))
        due = None if due_in is None else last + timedelta(days=due_in)
        memory = CardMemory(MemoryState(stability, difficulty), last)
        cards.append(ExamCard(f"c{index}", section, memory, due, order))
    return cards


def same_plan(
    cards: list[ExamCard],
    model: MemoryModel,
    horizon: int,
    limits: DailyLimits,
    target: float,
    new_done: int,
    reviews_done: int,
) -> None:
    exam = TODAY + timedelta(days=horizon)
    fast = plan_exam(cards, TODAY, exam, model, limits, target, new_done, reviews_done)
    reference = reference_plan(cards, TODAY, exam, model, limits, target, new_done, reviews_done)
    assert fast == reference


limits = st.builds(
    DailyLimits, st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=40)
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    collections(most=80),
    st.sampled_from([FSRS, STAND_IN]),
    st.integers(min_value=-3, max_value=45),
    limits,
    st.sampled_from([0.8, 0.9, 0.95]),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=50),
)
def test_the_fast_planner_makes_the_reference_plan(
    cards: list[ExamCard],
    model: MemoryModel,
    horizon: int,
    day_limits: DailyLimits,
    target: float,
    new_done: int,
    reviews_done: int,
) -> None:
    same_plan(cards, model, horizon, day_limits, target, new_done, reviews_done)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    collections(most=400),
    st.integers(min_value=5, max_value=70),
    limits,
    st.integers(min_value=0, max_value=30),
)
def test_the_same_plan_when_the_limits_bind_hard_on_larger_collections(
    cards: list[ExamCard], horizon: int, day_limits: DailyLimits, reviews_done: int
) -> None:
    # Hundreds of cards under a few reviews a day: the workload search runs step 1 under many trial limits.
    same_plan(cards, FSRS, horizon, day_limits, 0.9, 0, reviews_done)


def test_the_same_plan_on_a_collection_with_a_backlog_and_an_exam_two_months_ahead() -> None:
    import random

    rng = random.Random(7)
    cards = []
    for index in range(3000):
        if rng.random() < 0.25:
            cards.append(ExamCard(f"c{index}", rng.choice(SECTIONS), None, None, index))
            continue
        last = TODAY - timedelta(days=rng.randint(0, 200))
        state = MemoryState(rng.uniform(0.5, 300.0), rng.uniform(1.0, 10.0))
        due = last + timedelta(days=rng.randint(1, 300))
        cards.append(ExamCard(f"c{index}", rng.choice(SECTIONS), CardMemory(state, last), due, index))
    for review_limit in (50, 200):
        same_plan(cards, FSRS, 60, DailyLimits(20, review_limit), 0.9, 3, 17)


parameter_sets = st.one_of(
    st.just(fsrs.DEFAULT_PARAMETERS),
    st.tuples(
        *(
            st.floats(min_value=low, max_value=high)
            for low, high in zip(fsrs.LOWER_BOUNDS, fsrs.UPPER_BOUNDS, strict=True)
        )
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    parameter_sets,
    st.floats(min_value=0.7, max_value=0.99),
    st.integers(min_value=1, max_value=36_500),
    st.floats(min_value=fsrs.MIN_STABILITY, max_value=40_000.0),
    st.floats(min_value=1.0, max_value=10.0),
    st.integers(min_value=-2, max_value=3_000),
)
def test_the_planners_fsrs_model_gives_exactly_fsrs_own_numbers(
    parameters: fsrs.Parameters,
    retention: float,
    maximum: int,
    stability: float,
    difficulty: float,
    elapsed: int,
) -> None:
    model = fsrs_model(parameters, retention, maximum)
    state = MemoryState(stability, difficulty)
    assert model.recall(elapsed, state) == fsrs.retrievability(elapsed, stability, parameters)
    assert model.after_good(state, elapsed) == fsrs.next_state(state, fsrs.Rating.GOOD, elapsed, parameters)
    assert model.after_good(None, 0) == fsrs.next_state(None, fsrs.Rating.GOOD, 0, parameters)
    assert model.interval(state) == fsrs.next_interval(stability, retention, maximum, parameters)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(collections(most=120), st.integers(min_value=-2, max_value=40), limits, st.integers(0, 30))
def test_a_plan_without_the_report_has_the_same_days(
    cards: list[ExamCard], horizon: int, day_limits: DailyLimits, reviews_done: int
) -> None:
    exam = TODAY + timedelta(days=horizon)
    full = plan_exam(cards, TODAY, exam, FSRS, day_limits, 0.9, 2, reviews_done)
    days_only = plan_exam(cards, TODAY, exam, FSRS, day_limits, 0.9, 2, reviews_done, report=False)
    assert days_only.days == full.days and days_only.active == full.active
    assert days_only.readiness is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    collections(most=150),
    parameter_sets,
    st.floats(min_value=0.7, max_value=0.99),
    st.integers(min_value=1, max_value=60),
    limits,
    st.sampled_from([0.7, 0.9, 0.99]),
    st.integers(min_value=0, max_value=30),
)
def test_the_same_plan_under_any_fsrs_parameters_and_retention(
    cards: list[ExamCard],
    parameters: fsrs.Parameters,
    retention: float,
    horizon: int,
    day_limits: DailyLimits,
    target: float,
    reviews_done: int,
) -> None:
    # The fast planner skips the model where a later answer is known to be worth no less: true of FSRS
    # whatever its parameters, which this checks against the reference.
    same_plan(cards, fsrs_model(parameters, retention), horizon, day_limits, target, 1, reviews_done)
