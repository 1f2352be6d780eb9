"""SM-2 as docs/rules.md states it: golden sequences, grade validation and invariants over arbitrary histories."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dva_cards.scheduler import MAX_INTERVAL, SM2State, is_lapse, preview, review

DAY = date(2026, 1, 5)


def review_on_due_dates(grades: list[int], start: date = DAY) -> list[SM2State]:
    """Grade a new card ``grades`` in turn, each on the day it is due (its first day for a new card)."""
    state, today, history = SM2State(), start, []
    for quality in grades:
        state = review(state, quality, today)
        history.append(state)
        assert state.due is not None
        today = state.due
    return history


# --- golden sequences --------------------------------------------------------------------------------------


def test_five_perfect_grades_give_the_textbook_intervals() -> None:
    history = review_on_due_dates([5, 5, 5, 5, 5])
    assert [s.interval for s in history] == [1, 6, 17, 50, 150]
    assert [s.ease for s in history] == [2600, 2700, 2800, 2900, 3000]
    assert [s.reps for s in history] == [1, 2, 3, 4, 5]


def test_floats_would_have_rounded_the_fifth_interval_up() -> None:
    # Why ease is kept in integer thousandths: 50 * (2.5 + 5 * 0.1) is 150.00000000000003 in binary floats.
    float_ease = 2.5
    for _ in range(5):
        float_ease += 0.1
    assert -(-50 * float_ease // 1) == 151
    assert review_on_due_dates([5] * 5)[-1].interval == 150


def test_four_good_grades_keep_the_ease_and_give_the_textbook_intervals() -> None:
    history = review_on_due_dates([4, 4, 4, 4, 4])
    assert [s.interval for s in history] == [1, 6, 15, 38, 95]
    assert {s.ease for s in history} == {2500}


def test_due_dates_follow_the_intervals_from_the_review_day() -> None:
    history = review_on_due_dates([5, 5, 5])
    assert [s.due for s in history] == [
        DAY + timedelta(days=1),
        DAY + timedelta(days=7),
        DAY + timedelta(days=24),
    ]


def test_first_grade_on_a_new_card() -> None:
    assert review(SM2State(), 4, DAY) == SM2State(reps=1, ease=2500, interval=1, due=DAY + timedelta(days=1))


@pytest.mark.parametrize(("quality", "ease"), [(5, 2600), (4, 2500), (3, 2360)])
def test_ease_moves_by_sm2s_formula(quality: int, ease: int) -> None:
    assert review(SM2State(), quality, DAY).ease == ease


# --- drills (grade 3) --------------------------------------------------------------------------------------


def test_a_three_is_scheduled_and_drilled_then_a_four_ends_the_drill_from_that_day() -> None:
    drilled = review(SM2State(), 3, DAY)
    assert drilled == SM2State(reps=1, ease=2360, interval=1, due=DAY + timedelta(days=1), drill=True)
    done = review(drilled, 4, DAY)
    assert done == replace(drilled, drill=False, due=DAY + timedelta(days=1))


def test_three_four_pairs_advance_like_passes_with_a_lower_ease() -> None:
    state, today = SM2State(), DAY
    intervals, eases = [], []
    for _ in range(3):
        state = review(state, 3, today)
        assert state.drill
        state = review(state, 4, today)
        assert not state.drill
        assert state.due == today + timedelta(days=state.interval)
        intervals.append(state.interval)
        eases.append(state.ease)
        today = state.due
    assert eases == [2360, 2220, 2080]
    assert intervals == [1, 6, 13]  # ceil(6 * 2.08) = 13


def test_a_drill_ended_on_a_later_day_is_due_from_that_day() -> None:
    drilled = review(review_on_due_dates([5, 5])[-1], 3, DAY)
    later = DAY + timedelta(days=2)
    assert review(drilled, 5, later).due == later + timedelta(days=drilled.interval)


@pytest.mark.parametrize("quality", [0, 1, 2, 3])
def test_a_drill_grade_below_four_changes_nothing(quality: int) -> None:
    drilled = review(review_on_due_dates([4, 4])[-1], 3, DAY)
    assert review(drilled, quality, DAY) is drilled


@pytest.mark.parametrize("quality", [4, 5])
def test_a_drill_grade_never_touches_reps_ease_interval_or_lapses(quality: int) -> None:
    drilled = review(review_on_due_dates([5, 1, 4, 4])[-1], 3, DAY)
    done = review(drilled, quality, DAY)
    assert (done.reps, done.ease, done.interval, done.lapses) == (
        drilled.reps,
        drilled.ease,
        drilled.interval,
        drilled.lapses,
    )


# --- lapses ------------------------------------------------------------------------------------------------


def test_a_lapse_resets_reps_and_interval_keeps_ease_and_is_due_today() -> None:
    learned = review_on_due_dates([5, 5, 5])[-1]
    lapsed = review(learned, 1, DAY)
    assert lapsed == replace(learned, reps=0, interval=0, due=DAY, drill=False, lapses=1)
    assert is_lapse(learned, 1)


def test_relearning_after_a_lapse_starts_the_intervals_over() -> None:
    history = review_on_due_dates([5, 5, 5, 0, 4, 4, 4])
    assert [s.interval for s in history] == [1, 6, 17, 0, 1, 6, 17]
    assert [s.lapses for s in history] == [0, 0, 0, 1, 1, 1, 1]
    assert history[3].ease == history[2].ease == 2800


def test_failing_a_new_or_relearning_card_is_not_another_lapse() -> None:
    history = review_on_due_dates([2, 0, 1, 5, 2, 2])
    assert [s.lapses for s in history] == [0, 0, 0, 0, 1, 1]
    assert not is_lapse(SM2State(), 0)
    assert not is_lapse(history[4], 2)


def test_failing_a_drill_is_not_a_lapse() -> None:
    drilled = review(review_on_due_dates([5])[-1], 3, DAY)
    assert not is_lapse(drilled, 0)
    assert review(drilled, 0, DAY).lapses == 0


# --- floor and cap -----------------------------------------------------------------------------------------


def test_many_threes_bring_the_ease_down_to_the_floor_and_no_further() -> None:
    history = review_on_due_dates([3, 4] * 12)
    eases = [s.ease for s in history]
    assert min(eases) == 1300
    assert eases[-1] == 1300
    # Each 3 takes 0.14 off EF 2.5: the eighth leaves 1.38, the ninth would go to 1.24 and stops at 1.3.
    assert eases[2 * 8 - 1] == 1380
    assert eases[2 * 9 - 1] == 1300


def test_the_ease_floor_still_lets_intervals_grow() -> None:
    floored = SM2State(reps=5, ease=1300, interval=10, due=DAY)
    assert review(floored, 3, DAY).interval == 13


def test_a_long_run_of_fives_is_capped_at_a_hundred_years() -> None:
    history = review_on_due_dates([5] * 12)
    assert [s.interval for s in history][-3:] == [MAX_INTERVAL] * 3
    assert all(s.interval <= MAX_INTERVAL for s in history)


def test_the_capped_interval_never_overflows_a_date() -> None:
    state = SM2State()
    for _ in range(500):
        state = review(state, 5, DAY)
    assert state.interval == MAX_INTERVAL
    assert state.due == DAY + timedelta(days=MAX_INTERVAL)
    assert state.ease == 2500 + 500 * 100


def test_a_review_at_the_end_of_the_calendar_stays_representable() -> None:
    capped = SM2State(reps=10, ease=3000, interval=MAX_INTERVAL, due=date(9999, 1, 1))
    assert review(capped, 5, date(9999, 1, 1)).due == date.max


# --- grade validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("quality", [-1, 6, True, False, 2.5, 3.0, "3", None])
def test_anything_but_an_integer_grade_from_0_to_5_is_rejected(quality: object) -> None:
    with pytest.raises(ValueError, match="grade"):
        review(SM2State(), quality, DAY)  # type: ignore[arg-type]


def test_a_drilled_card_rejects_bad_grades_too() -> None:
    drilled = review(SM2State(), 3, DAY)
    with pytest.raises(ValueError):
        review(drilled, 7, DAY)
    with pytest.raises(ValueError):
        is_lapse(drilled, -1)


# --- preview -----------------------------------------------------------------------------------------------


def test_preview_of_a_new_card() -> None:
    assert preview(SM2State(), DAY) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1}


def test_preview_of_a_mature_card() -> None:
    mature = review_on_due_dates([5, 5, 5])[-1]
    assert preview(mature, DAY) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 48, 5: 50}


def test_preview_of_a_drilled_card() -> None:
    drilled = review(review_on_due_dates([5, 5])[-1], 3, DAY)
    assert preview(drilled, DAY) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 16, 5: 16}


# --- invariants over arbitrary histories -------------------------------------------------------------------

grades = st.integers(min_value=0, max_value=5)
# Gaps between reviews in days, from the same day to years late; early reviews are allowed too.
gaps = st.integers(min_value=0, max_value=3_000)
histories = st.lists(st.tuples(grades, gaps), min_size=1, max_size=60)


def replay(steps: list[tuple[int, int]]) -> list[tuple[SM2State, int, date, SM2State]]:
    """Every (before, grade, day, after) of a card reviewed ``gap`` days after its previous review."""
    state, today, log = SM2State(), DAY, []
    for quality, gap in steps:
        today += timedelta(days=gap)
        after = review(state, quality, today)
        log.append((state, quality, today, after))
        state = after
    return log


@given(histories)
def test_ease_never_drops_below_the_floor(steps: list[tuple[int, int]]) -> None:
    assert all(after.ease >= 1300 for _, _, _, after in replay(steps))


@given(histories)
def test_due_is_never_before_the_review_day(steps: list[tuple[int, int]]) -> None:
    # A drill failed again on a later day keeps its old due date, because drill grades below 4 change nothing;
    # it is shown today anyway, since the queue takes drilling cards whatever their due date.
    for before, _, today, after in replay(steps):
        assert after.due is not None
        if before.drill and after.drill:
            assert after == before
        else:
            assert after.due >= today


def test_a_drill_failed_on_a_later_day_keeps_its_old_due_date() -> None:
    drilled = review(SM2State(), 3, DAY)
    two_days_later = DAY + timedelta(days=2)
    assert review(drilled, 2, two_days_later).due == DAY + timedelta(days=1)
    assert preview(drilled, two_days_later)[2] == 0


@given(histories)
def test_intervals_stay_within_zero_and_the_cap(steps: list[tuple[int, int]]) -> None:
    assert all(0 <= after.interval <= MAX_INTERVAL for _, _, _, after in replay(steps))


@given(histories)
def test_a_failing_grade_outside_a_drill_always_resets_reps(steps: list[tuple[int, int]]) -> None:
    for before, quality, today, after in replay(steps):
        if quality < 3 and not before.drill:
            assert (after.reps, after.interval, after.due, after.drill) == (0, 0, today, False)
            assert after.ease == before.ease


@given(histories)
def test_drill_grades_below_four_change_nothing(steps: list[tuple[int, int]]) -> None:
    for before, quality, _, after in replay(steps):
        if before.drill and quality < 4:
            assert after == before


@given(histories)
def test_lapses_count_exactly_the_forgotten_passes(steps: list[tuple[int, int]]) -> None:
    for before, quality, _, after in replay(steps):
        assert after.lapses == before.lapses + is_lapse(before, quality)


@given(histories)
def test_a_good_grade_never_shortens_a_passed_interval(steps: list[tuple[int, int]]) -> None:
    # Holds for every state a card can reach: reps == 1 always comes with interval 1 (so 6 is longer), and
    # from reps >= 2 on, ceil(I * EF) >= I because EF >= 1.3, and the cap is never below an earlier interval.
    for before, quality, _, after in replay(steps):
        if quality >= 4 and not before.drill and before.reps >= 1:
            assert after.interval >= before.interval
        if before.reps == 1 and not before.drill:
            assert before.interval == 1


@given(
    st.integers(min_value=2, max_value=10_000),
    st.integers(min_value=1300, max_value=100_000),
    st.integers(min_value=0, max_value=MAX_INTERVAL),
    st.integers(min_value=4, max_value=5),
)
def test_from_the_second_pass_on_a_good_grade_never_shortens_any_interval(
    reps: int, ease: int, interval: int, quality: int
) -> None:
    before = SM2State(reps=reps, ease=ease, interval=interval, due=DAY)
    assert review(before, quality, DAY).interval >= interval


def test_the_second_pass_is_six_days_whatever_came_before() -> None:
    # The precise limit of the invariant above: SM-2 fixes the second interval at 6 days, so a state that
    # could only be built by hand (reps 1 with a 10-day interval) would be shortened. Reviews never make one.
    hand_built = SM2State(reps=1, interval=10, due=DAY)
    assert review(hand_built, 5, DAY).interval == 6


@given(histories)
def test_preview_agrees_with_review_for_every_grade(steps: list[tuple[int, int]]) -> None:
    for before, _, today, _ in replay(steps):
        shown = preview(before, today)
        assert sorted(shown) == [0, 1, 2, 3, 4, 5]
        for quality, days in shown.items():
            after = review(before, quality, today)
            again_today = after.drill or after.due == today
            assert after.due is not None
            assert days == (0 if again_today else (after.due - today).days)


# -- an independent model: the SM-2 of docs/rules.md in exact rational arithmetic ------------------------------------------


def design_sm2(steps: list[tuple[int, int]]) -> list[tuple[int, Fraction, int, date, bool, int]]:
    """(reps, EF, interval, due, drill, lapses) after each step, straight from docs/rules.md with Fractions."""
    reps, ef, interval, due, drill, lapses = 0, Fraction(5, 2), 0, None, False, 0
    today, log = DAY, []
    for quality, gap in steps:
        today += timedelta(days=gap)
        if drill:
            if quality >= 4:  # drill grades change nothing else (SM-2 step 7)
                drill, due = False, today + timedelta(days=interval)
        elif quality >= 3:
            miss = 5 - quality
            ef = max(
                Fraction(13, 10), ef + Fraction(1, 10) - miss * (Fraction(8, 100) + miss * Fraction(2, 100))
            )
            interval = min(MAX_INTERVAL, 1 if reps == 0 else 6 if reps == 1 else math.ceil(interval * ef))
            reps, due, drill = reps + 1, today + timedelta(days=interval), quality == 3
        else:
            lapses += reps >= 1
            reps, interval, due = 0, 0, today
        assert due is not None
        log.append((reps, ef, interval, due, drill, lapses))
    return log


@given(histories)
def test_every_history_follows_the_design_exactly(steps: list[tuple[int, int]]) -> None:
    expected = design_sm2(steps)
    for (_, _, _, after), (reps, ef, interval, due, drill, lapses) in zip(
        replay(steps), expected, strict=True
    ):
        assert (after.reps, after.interval, after.due, after.drill, after.lapses) == (
            reps,
            interval,
            due,
            drill,
            lapses,
        )
        assert Fraction(after.ease, 1000) == ef  # thousandths hold EF exactly


@given(histories)
def test_ease_stays_on_the_two_hundredths_grid(steps: list[tuple[int, int]]) -> None:
    assert all(after.ease % 20 == 0 for _, _, _, after in replay(steps))


@pytest.mark.parametrize("seed", range(10))
def test_replay_is_review_answer_after_answer(seed: int) -> None:
    import random

    from dva_cards.scheduler import replay

    rng = random.Random(seed)
    start = SM2State(reps=2, ease=2200, interval=6, due=DAY, drill=rng.random() < 0.5, lapses=1)
    day, answers, state = DAY, [], start
    for _ in range(60):
        day += timedelta(days=rng.choice([0, 0, 1, 3, 20]))
        quality = rng.choice([0, 1, 2, 3, 3, 4, 5])
        answers.append((day, quality))
        state = review(state, quality, day)
    assert replay(answers, start) == state
    with pytest.raises(ValueError, match="a grade is an integer from 0 to 5"):
        replay([(DAY, True)])  # type: ignore[list-item]
