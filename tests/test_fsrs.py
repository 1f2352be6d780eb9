"""The pure FSRS-6 model against py-fsrs (the reference implementation, a test dependency) and its own laws."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import fsrs as reference
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards import fsrs
from dva_cards.fsrs import DEFAULT_PARAMETERS, CardMemory, MemoryState, Rating, Review

START = date(2024, 3, 1)
GRADE_FOR_RATING = {1: 0, 2: 3, 3: 4, 4: 5}

# A second parameter set, far from the defaults, so parity does not hold by accident of the defaults.
OTHER_PARAMETERS = (
    0.5, 2.0, 4.0, 20.0, 5.0, 1.2, 2.0, 0.05, 1.5, 0.3, 1.2,
    2.0, 0.1, 0.4, 2.0, 0.4, 2.5, 0.8, 0.3, 0.2, 0.4,
)  # fmt: skip


def reference_history(
    gaps: list[int], ratings: list[int], parameters: tuple[float, ...], desired_retention: float = 0.9
) -> list[tuple[float | None, float, float, int]]:
    """For each review: the reference's R just before it (None for the first), S, D and interval after it.

    Reviews sit at noon plus one second per review, so that whole-day gaps are exactly ``gaps`` even when
    several reviews share a day; no learning steps, so every answer is scheduled by the memory model alone.
    """
    scheduler = reference.Scheduler(
        parameters=parameters,
        desired_retention=desired_retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )
    card = reference.Card()
    day = 0
    out: list[tuple[float | None, float, float, int]] = []
    for index, (gap, rating) in enumerate(zip(gaps, ratings, strict=True)):
        day += gap
        when = datetime(2024, 3, 1, 12, tzinfo=UTC) + timedelta(days=day, seconds=index)
        before = scheduler.get_card_retrievability(card, when) if card.last_review else None
        card, _ = scheduler.review_card(card, reference.Rating(rating), when)
        assert card.stability is not None and card.difficulty is not None
        out.append((before, card.stability, card.difficulty, (card.due - when).days))
    return out


def our_history(
    gaps: list[int], ratings: list[int], parameters: tuple[float, ...], desired_retention: float = 0.9
) -> list[tuple[float | None, float, float, int]]:
    memory: CardMemory | None = None
    day = START
    out: list[tuple[float | None, float, float, int]] = []
    for gap, rating in zip(gaps, ratings, strict=True):
        day += timedelta(days=gap)
        before = None if memory is None else fsrs.predicted_recall(memory, day, parameters)
        memory = fsrs.replay([Review(day, GRADE_FOR_RATING[rating])], parameters, start=memory)
        assert memory is not None
        interval = fsrs.next_interval(memory.state.stability, desired_retention, 36_500, parameters)
        out.append((before, memory.state.stability, memory.state.difficulty, interval))
    return out


def assert_same_history(
    ours: list[tuple[float | None, float, float, int]], theirs: list[tuple[float | None, float, float, int]]
) -> None:
    for (r1, s1, d1, i1), (r2, s2, d2, i2) in zip(ours, theirs, strict=True):
        assert (r1 is None) == (r2 is None)
        if r1 is not None and r2 is not None:
            assert abs(r1 - r2) < 1e-4
        assert s1 == pytest.approx(s2, rel=1e-9)
        assert d1 == pytest.approx(d2, rel=1e-9)
        assert i1 == i2


histories = st.integers(min_value=1, max_value=25).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=400), min_size=n, max_size=n),
        st.lists(st.integers(min_value=1, max_value=4), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(history=histories, parameters=st.sampled_from([DEFAULT_PARAMETERS, OTHER_PARAMETERS]))
def test_any_history_matches_the_reference(
    history: tuple[list[int], list[int]], parameters: tuple[float, ...]
) -> None:
    gaps, ratings = history
    assert_same_history(our_history(gaps, ratings, parameters), reference_history(gaps, ratings, parameters))


@pytest.mark.parametrize("rating", [Rating.HARD, Rating.EASY])
@pytest.mark.parametrize("parameters", [DEFAULT_PARAMETERS, OTHER_PARAMETERS])
def test_hard_and_easy_match_the_reference_on_every_path(
    rating: Rating, parameters: tuple[float, ...]
) -> None:
    # As a first answer, the same day after a first answer, days later, and after a lapse.
    gaps = [0, 0, 3, 10, 0, 7, 30]
    ratings = [int(rating), int(rating), int(rating), 1, int(rating), int(rating), int(rating)]
    assert_same_history(our_history(gaps, ratings, parameters), reference_history(gaps, ratings, parameters))


def test_hard_grows_stability_less_than_good_and_easy_more() -> None:
    state = MemoryState(stability=10.0, difficulty=5.0)
    after = {rating: fsrs.next_state(state, rating, 10).stability for rating in Rating}
    assert (
        after[Rating.AGAIN] < state.stability < after[Rating.HARD] < after[Rating.GOOD] < after[Rating.EASY]
    )


@pytest.mark.parametrize("desired_retention", [0.7, 0.8, 0.9, 0.95, 0.99])
def test_intervals_match_the_reference_for_any_desired_retention(desired_retention: float) -> None:
    gaps, ratings = [0, 3, 8, 20, 50], [3, 3, 2, 4, 3]
    assert_same_history(
        our_history(gaps, ratings, DEFAULT_PARAMETERS, desired_retention),
        reference_history(gaps, ratings, DEFAULT_PARAMETERS, desired_retention),
    )


def test_next_interval_is_at_least_one_day_and_at_most_the_maximum() -> None:
    assert fsrs.next_interval(0.01) == 1
    assert fsrs.next_interval(1e9, maximum_interval=365) == 365
    assert fsrs.next_interval(10.0, desired_retention=0.9) == 10  # R(S, S) = 90 % by definition
    with pytest.raises(ValueError):
        fsrs.next_interval(10.0, desired_retention=1.0)


def test_retrievability_is_ninety_percent_after_stability_days_and_falls_with_time() -> None:
    assert fsrs.retrievability(7.0, 7.0) == pytest.approx(0.9)
    assert fsrs.retrievability(0.0, 7.0) == 1.0
    values = [fsrs.retrievability(days, 7.0) for days in range(0, 100, 5)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("grade", "rating"),
    [
        (0, Rating.AGAIN),
        (1, Rating.AGAIN),
        (2, Rating.AGAIN),
        (3, Rating.HARD),
        (4, Rating.GOOD),
        (5, Rating.EASY),
    ],
)
def test_grades_map_onto_ratings(grade: int, rating: Rating) -> None:
    assert fsrs.rating_for_grade(grade) is rating


@pytest.mark.parametrize("grade", [-1, 6, True, 2.0])
def test_a_grade_outside_0_to_5_is_refused(grade: object) -> None:
    with pytest.raises(ValueError):
        fsrs.rating_for_grade(grade)  # type: ignore[arg-type]


reviews_in_order = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=5)), max_size=30
).map(lambda steps: _reviews(steps))


def _reviews(steps: list[tuple[int, int]]) -> list[Review]:
    day, out = START, []
    for gap, grade in steps:
        day += timedelta(days=gap)
        out.append(Review(day, grade))
    return out


@given(reviews=reviews_in_order, cut=st.integers(min_value=0, max_value=30))
def test_replaying_a_prefix_then_the_rest_equals_replaying_all(reviews: list[Review], cut: int) -> None:
    whole = fsrs.replay(reviews)
    assert fsrs.replay(reviews[cut:], start=fsrs.replay(reviews[:cut])) == whole


@given(reviews=reviews_in_order)
def test_replay_keeps_stability_and_difficulty_in_range(reviews: list[Review]) -> None:
    memory = fsrs.replay(reviews)
    assert (memory is None) == (not reviews)
    if memory is not None:
        assert memory.last_review == reviews[-1].day
        assert memory.state.stability >= fsrs.MIN_STABILITY
        assert 1.0 <= memory.state.difficulty <= 10.0


def test_replay_refuses_reviews_out_of_time_order() -> None:
    with pytest.raises(ValueError, match="time order"):
        fsrs.replay([Review(START, 4), Review(START - timedelta(days=1), 4)])


def test_parameters_are_checked_for_count_and_bounds() -> None:
    assert fsrs.check_parameters(list(DEFAULT_PARAMETERS)) == DEFAULT_PARAMETERS
    with pytest.raises(ValueError, match="21"):
        fsrs.check_parameters(DEFAULT_PARAMETERS[:19])
    with pytest.raises(ValueError, match="w20"):
        fsrs.check_parameters((*DEFAULT_PARAMETERS[:20], 5.0))
    with pytest.raises(ValueError, match="w0"):
        fsrs.check_parameters((float("nan"), *DEFAULT_PARAMETERS[1:]))


@pytest.mark.parametrize("gap", [0, 1, 9, 120])
def test_each_grades_interval_matches_the_reference(gap: int) -> None:
    history = [Review(START, 4), Review(START + timedelta(days=3), 0), Review(START + timedelta(days=8), 4)]
    memory = fsrs.replay(history)
    today = history[-1].day + timedelta(days=gap)
    intervals = fsrs.intervals_by_grade(memory, today, desired_retention=0.85)
    for grade, rating in ((0, 1), (2, 1), (3, 2), (4, 3), (5, 4)):
        gaps = [0, 3, 5, gap]
        theirs = reference_history(gaps, [3, 1, 3, rating], DEFAULT_PARAMETERS, desired_retention=0.85)
        assert intervals[grade] == theirs[-1][3]
    assert intervals[0] == intervals[1] == intervals[2] <= intervals[3] <= intervals[4] <= intervals[5]


def test_a_new_cards_intervals_come_from_the_initial_stabilities() -> None:
    intervals = fsrs.intervals_by_grade(None, START)
    assert intervals == {
        grade: fsrs.next_interval(DEFAULT_PARAMETERS[fsrs.rating_for_grade(grade) - 1]) for grade in range(6)
    }


def test_retrievabilities_are_retrievability_for_each_pair() -> None:
    pairs = [(0.0, 3.0), (-2.0, 3.0), (5.0, 3.0), (40.0, 12.5), (365.0, 0.001)]
    assert fsrs.retrievabilities(pairs) == [fsrs.retrievability(t, s) for t, s in pairs]
    fitted = tuple(fsrs.DEFAULT_PARAMETERS[:20]) + (0.5,)
    assert fsrs.retrievabilities(pairs, fitted) == [fsrs.retrievability(t, s, fitted) for t, s in pairs]
