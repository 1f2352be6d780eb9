"""One answer under SM-2 or FSRS, and the folds that make switching lossless. Pure: no database."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from dva_cards import fsrs, scheduler
from dva_cards.fsrs import CardMemory, MemoryState, Review
from dva_cards.scheduler import SM2State
from dva_cards.scheduling import (
    SchedulerName,
    Scheduling,
    answer,
    interval_for,
    preview,
    replay_memories,
    replay_sm2,
    rescheduled,
)

TODAY = date(2026, 3, 10)
SM2 = Scheduling()
FSRS = Scheduling(SchedulerName.FSRS)
LEARNED = SM2State(reps=3, ease=2360, interval=15, due=TODAY, lapses=1)
MEMORY = CardMemory(MemoryState(stability=12.0, difficulty=6.0), TODAY - timedelta(days=15))


def test_sm2_answers_are_sm2_exactly_and_still_update_the_memory() -> None:
    for quality in range(6):
        after = answer(LEARNED, MEMORY, quality, TODAY, SM2)
        assert after.state == scheduler.review(LEARNED, quality, TODAY)
        assert after.memory == fsrs.replay([Review(TODAY, quality)], start=MEMORY)


def test_fsrs_passes_are_due_after_fsrs_interval_and_count_like_sm2() -> None:
    expected = fsrs.intervals_by_grade(MEMORY, TODAY)
    for quality in (3, 4, 5):
        after = answer(LEARNED, MEMORY, quality, TODAY, FSRS)
        assert after.state.interval == expected[quality]
        assert after.state.due == TODAY + timedelta(days=expected[quality])
        assert not after.state.drill  # a Hard is a pass at Hard's interval, not a drill
        sm2 = scheduler.review(LEARNED, quality, TODAY)
        assert (after.state.reps, after.state.ease, after.state.lapses) == (sm2.reps, sm2.ease, sm2.lapses)
    assert expected[3] < expected[4] < expected[5]


def test_an_fsrs_failure_is_relearned_today_and_is_a_lapse() -> None:
    after = answer(LEARNED, MEMORY, 1, TODAY, FSRS)
    assert after.state == SM2State(reps=0, ease=LEARNED.ease, interval=0, due=TODAY, drill=False, lapses=2)
    assert after.memory.state.stability < MEMORY.state.stability
    # Recalled later the same day: scheduled by the memory's same-day update.
    again = answer(after.state, after.memory, 4, TODAY, FSRS)
    assert again.state.reps == 1 and again.state.due == TODAY + timedelta(
        days=interval_for(again.memory, FSRS)
    )


def test_a_card_drilling_from_sm2_days_is_answered_like_any_other_under_fsrs() -> None:
    drilling = scheduler.review(LEARNED, 3, TODAY - timedelta(days=1))
    assert drilling.drill
    after = answer(drilling, MEMORY, 3, TODAY, FSRS)
    assert not after.state.drill and after.state.due is not None and after.state.due > TODAY


def test_fsrs_preview_shows_each_grade_s_fsrs_interval() -> None:
    shown = preview(LEARNED, MEMORY, TODAY, FSRS)
    expected = fsrs.intervals_by_grade(MEMORY, TODAY)
    assert shown == {0: 0, 1: 0, 2: 0, 3: expected[3], 4: expected[4], 5: expected[5]}
    assert preview(LEARNED, MEMORY, TODAY, SM2) == scheduler.preview(LEARNED, TODAY)
    new_card = preview(SM2State(), None, TODAY, FSRS)
    assert new_card[4] == fsrs.next_interval(fsrs.DEFAULT_PARAMETERS[2])  # first Good: w2 days of stability


def test_desired_retention_and_maximum_interval_shape_fsrs_intervals() -> None:
    strict = Scheduling(SchedulerName.FSRS, desired_retention=0.97)
    lax = Scheduling(SchedulerName.FSRS, desired_retention=0.75)
    capped = Scheduling(SchedulerName.FSRS, maximum_interval=3)
    good = {s: answer(LEARNED, MEMORY, 4, TODAY, s).state.interval for s in (strict, FSRS, lax, capped)}
    assert good[strict] < good[FSRS] < good[lax]
    assert good[capped] == 3


def random_log(seed: int, answers: int = 40) -> list[Review]:
    rng = random.Random(seed)
    day, log = TODAY, []
    for _ in range(answers):
        day += timedelta(days=rng.choice([0, 0, 1, 2, 5, 11, 30]))
        log.append(Review(day, rng.randrange(6)))
    return log


@pytest.mark.parametrize("seed", range(20))
def test_sm2_fold_gives_the_state_sm2_reached_and_ignores_what_fsrs_did(seed: int) -> None:
    log = random_log(seed)
    sm2_state, fsrs_state, memory = SM2State(), SM2State(), None
    for review in log:
        sm2_state = scheduler.review(sm2_state, review.grade, review.day)
        fsrs_next = answer(fsrs_state, memory, review.grade, review.day, FSRS)
        fsrs_state, memory = fsrs_next.state, fsrs_next.memory
    assert replay_sm2({"c": log}) == {"c": sm2_state}
    assert replay_memories({"c": log}, fsrs.DEFAULT_PARAMETERS) == {"c": memory}


def test_folds_skip_cards_without_answers() -> None:
    assert replay_sm2({"c": []}) == {} and replay_memories({"c": []}, fsrs.DEFAULT_PARAMETERS) == {}


def test_reschedule_moves_learned_cards_only() -> None:
    moved = rescheduled(LEARNED, MEMORY, FSRS)
    assert moved.interval == interval_for(MEMORY, FSRS)
    assert moved.due == MEMORY.last_review + timedelta(days=moved.interval)
    assert (moved.reps, moved.ease, moved.lapses) == (LEARNED.reps, LEARNED.ease, LEARNED.lapses)
    relearning = SM2State(reps=0, interval=0, due=TODAY, lapses=1)
    drilling = scheduler.review(LEARNED, 3, TODAY)
    for kept in (SM2State(), relearning, drilling):
        assert rescheduled(kept, MEMORY, FSRS) == kept
    assert rescheduled(LEARNED, None, FSRS) == LEARNED


@pytest.mark.parametrize("seed", range(10))
def test_a_card_s_state_from_its_log_is_sm2_s_fold_or_fsrs_s_last_answer(seed: int) -> None:
    from dva_cards.scheduling import SchedulerName, replayed_state

    log = random_log(seed)
    fsrs_state, memory = SM2State(), None
    for review in log:
        fsrs_next = answer(fsrs_state, memory, review.grade, review.day, FSRS)
        fsrs_state, memory = fsrs_next.state, fsrs_next.memory
    assert replayed_state(log, fsrs_state, SchedulerName.SM2) == replay_sm2({"c": log})["c"]
    assert replayed_state(log, fsrs_state, SchedulerName.FSRS) == fsrs_state
    assert (
        replayed_state([], None, SchedulerName.SM2)
        == replayed_state([], None, SchedulerName.FSRS)
        == SM2State()
    )
