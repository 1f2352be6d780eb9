"""The exam planner, pure: cards' memory states, dates and limits in; a per-day plan and a readiness report out."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards.exam import ON_TRACK, ExamCard, MemoryModel, fsrs_model, plan_exam
from dva_cards.fsrs import CardMemory, MemoryState
from dva_cards.session import DailyLimits

TODAY = date(2026, 3, 10)
FSRS = fsrs_model()
DECAY = 0.1542  # FSRS-6's default w20
FACTOR = 0.9 ** (-1 / DECAY) - 1


def stand_in_model() -> MemoryModel:
    """A model simpler than FSRS but of the same shape: R(t, S) = (1 + factor t / S)^-decay, so R(S, S) = 0.9;
    a Good answer triples stability (a new card starts at 2 days); the next review comes when R reaches 0.9."""

    def recall(days: int, state: MemoryState) -> float:
        return float((1 + FACTOR * days / state.stability) ** -DECAY)

    def after_good(state: MemoryState | None, days: int) -> MemoryState:
        if state is None:
            return MemoryState(2.0, 5.0)
        return MemoryState(state.stability * 3 if days > 0 else state.stability, state.difficulty)

    def interval(state: MemoryState) -> int:
        return max(1, round(state.stability))

    return MemoryModel(recall=recall, after_good=after_good, interval=interval)


STAND_IN = stand_in_model()


def days(n: int) -> timedelta:
    return timedelta(days=n)


def unseen(count: int, section: str = "EC2", start: int = 0) -> list[ExamCard]:
    return [ExamCard(f"{section}-{start + i}", section, None, None, start + i) for i in range(count)]


def seen(
    card_id: str, stability: float, last_review: date, due: date, section: str = "EC2", order: int = 0
) -> ExamCard:
    return ExamCard(card_id, section, CardMemory(MemoryState(stability, 5.0), last_review), due, order)


def test_a_past_exam_date_means_normal_scheduling() -> None:
    plan = plan_exam(unseen(5), TODAY, TODAY - days(1), FSRS)
    assert not plan.active
    assert plan.days == ()
    assert plan.readiness is None
    assert plan.for_day(TODAY) is None


def test_the_plan_covers_each_day_from_today_to_the_day_before_the_exam() -> None:
    plan = plan_exam(unseen(3), TODAY, TODAY + days(10), FSRS)
    assert plan.active
    assert [day.day for day in plan.days] == [TODAY + days(n) for n in range(10)]
    assert plan.readiness is not None
    assert plan.readiness.days_left == 10


def test_new_cards_come_in_the_order_of_the_notes_at_the_daily_limit() -> None:
    cards = unseen(50)
    random.Random(1).shuffle(cards)
    plan = plan_exam(cards, TODAY, TODAY + days(30), FSRS, DailyLimits(new_per_day=20, reviews_per_day=200))
    introduced = [card_id for day in plan.days for card_id in day.new]
    assert introduced == [f"EC2-{i}" for i in range(50)]
    assert [len(day.new) for day in plan.days[:4]] == [20, 20, 10, 0]
    assert plan.readiness is not None
    assert plan.readiness.unseen == 50
    assert plan.readiness.unseen_at_exam == 0
    assert plan.readiness.verdict == ON_TRACK


def test_cards_the_limit_leaves_past_the_cut_off_still_come_and_are_counted_late() -> None:
    # The cut-off leaves room for the first follow-up review (FSRS: 2 days after a Good first answer).
    exam = TODAY + days(10)
    plan = plan_exam(unseen(400), TODAY, exam, FSRS, DailyLimits(new_per_day=20))
    readiness = plan.readiness
    assert readiness is not None and readiness.cutoff is not None
    first_interval = FSRS.interval(FSRS.after_good(None, 0))
    assert readiness.cutoff == exam - days(first_interval + 1)
    in_time = sum(len(day.new) for day in plan.days if day.day <= readiness.cutoff)
    assert in_time == 20 * ((readiness.cutoff - TODAY).days + 1)
    assert all(len(day.new) == 20 for day in plan.days)
    assert readiness.late == 200 - in_time
    assert readiness.unseen_at_exam == 200


def test_an_infeasible_plan_says_how_many_stay_unseen_and_the_pace_that_would_cover_them() -> None:
    exam = TODAY + days(20)
    cards = unseen(469)
    plan = plan_exam(cards, TODAY, exam, FSRS, DailyLimits(new_per_day=20))
    readiness = plan.readiness
    assert readiness is not None
    introduction_days = (readiness.cutoff - TODAY).days + 1 if readiness.cutoff else 0
    assert readiness.unseen_at_exam == 469 - 20 * 20
    assert readiness.late == 20 * (20 - introduction_days)
    needed = math.ceil(469 / introduction_days)
    assert readiness.workload.new_per_day == needed
    assert readiness.verdict == (
        f"at 20 new cards a day, 69 cards stay unseen and {readiness.late} come too late for their reviews: "
        f"{needed} a day would cover them"
    )
    assert not readiness.on_track
    # The pace it names is enough, and one card a day less is not.
    enough = plan_exam(cards, TODAY, exam, FSRS, DailyLimits(new_per_day=needed)).readiness
    assert enough is not None and enough.unseen_at_exam == enough.late == 0
    short = plan_exam(cards, TODAY, exam, FSRS, DailyLimits(new_per_day=needed - 1)).readiness
    assert short is not None and short.unseen_at_exam == 0 and short.late > 0
    assert short.verdict.startswith(f"at {needed - 1} new cards a day, {short.late} cards come too late")


def test_an_exam_today_leaves_no_day_to_study() -> None:
    card = seen("known", 10.0, TODAY - days(5), TODAY + days(3))
    plan = plan_exam([card, *unseen(2, start=1)], TODAY, TODAY, FSRS)
    readiness = plan.readiness
    assert plan.active and plan.days == () and readiness is not None
    assert readiness.days_left == 0
    assert readiness.cutoff is None
    assert readiness.unseen_at_exam == 2
    assert readiness.verdict == "2 cards stay unseen: no day is left to introduce them with room for a review"
    assert (
        readiness.recall_if_followed
        == readiness.recall_if_stopped
        == pytest.approx(FSRS.recall(5, MemoryState(10.0, 5.0)) / 3)
    )


def test_a_review_due_after_the_exam_and_below_target_is_brought_forward_into_its_window() -> None:
    exam = TODAY + days(30)
    # Stability 20 days, last seen 10 days ago, next due 40 days from now: R on the exam day is about 0.83.
    card = seen("weak", 20.0, TODAY - days(10), TODAY + days(40))
    plan = plan_exam([card], TODAY, exam, STAND_IN, target=0.9)
    moved = [(day.day, card_id) for day in plan.days for card_id in day.brought_forward]
    assert len(moved) == 1
    review_day = moved[0][0]
    assert review_day < exam
    after = STAND_IN.after_good(card.memory.state, (review_day - card.memory.last_review).days)  # type: ignore[union-attr]
    assert STAND_IN.recall((exam - review_day).days, after) >= 0.9
    readiness = plan.readiness
    assert readiness is not None
    assert readiness.recall_if_stopped < 0.9 <= readiness.recall_if_followed
    assert readiness.below_target_if_stopped == 1
    assert readiness.below_target_if_followed == 0
    assert readiness.verdict == ON_TRACK


def test_a_card_ready_for_the_exam_is_left_where_it_is() -> None:
    card = seen("strong", 200.0, TODAY - days(2), TODAY + days(150))
    plan = plan_exam([card], TODAY, TODAY + days(30), STAND_IN)
    assert all(not day.brought_forward and day.reviews == 0 for day in plan.days)


def test_reviews_due_before_the_exam_are_counted_on_their_day() -> None:
    cards = [seen(f"c{i}", 4.0, TODAY - days(4), TODAY + days(i % 3), order=i) for i in range(9)]
    plan = plan_exam(cards, TODAY, TODAY + days(60), STAND_IN)
    assert [day.reviews for day in plan.days[:3]] == [3, 3, 3]


def test_brought_forward_reviews_are_spread_evenly_over_their_windows() -> None:
    exam = TODAY + days(40)
    cards = [seen(f"c{i}", 30.0, TODAY - days(1), exam + days(20), order=i) for i in range(300)]
    plan = plan_exam(cards, TODAY, exam, STAND_IN, DailyLimits(reviews_per_day=200))
    loads = [day.review_load for day in plan.days if day.review_load]
    assert sum(loads) == 300
    assert max(loads) - min(loads) <= 1
    assert plan.readiness is not None and plan.readiness.verdict == ON_TRACK


def test_when_reviews_bind_no_day_goes_over_and_the_weakest_section_goes_first() -> None:
    exam = TODAY + days(10)
    # Both sections need a review each before the exam; Lambda is weaker (seen longer ago).
    lambda_cards = [seen(f"l{i}", 30.0, TODAY - days(60), exam + days(5), "Lambda", i) for i in range(40)]
    s3_cards = [seen(f"s{i}", 30.0, TODAY - days(40), exam + days(5), "S3", 100 + i) for i in range(40)]
    limits = DailyLimits(new_per_day=20, reviews_per_day=3)
    plan = plan_exam([*s3_cards, *lambda_cards], TODAY, exam, STAND_IN, limits)
    assert all(day.review_load <= 3 for day in plan.days)
    moved = {card_id for day in plan.days for card_id in day.brought_forward}
    assert moved, "some room was there"
    assert {card_id[0] for card_id in moved} == {"l"}
    readiness = plan.readiness
    assert readiness is not None
    assert readiness.below_target_if_followed == 80 - len(moved)
    needed = readiness.workload.reviews_per_day
    assert readiness.verdict == (
        f"at 3 reviews a day, {80 - len(moved)} cards miss a review they need: {needed} a day would fit them"
    )
    assert [section.section for section in readiness.sections] == ["S3", "Lambda"]
    # The limit it names fits every card; one less does not.
    enough = plan_exam([*s3_cards, *lambda_cards], TODAY, exam, STAND_IN, DailyLimits(20, needed)).readiness
    assert enough is not None and enough.verdict == ON_TRACK
    fewer = plan_exam(
        [*s3_cards, *lambda_cards], TODAY, exam, STAND_IN, DailyLimits(20, needed - 1)
    ).readiness
    assert fewer is not None and fewer.verdict != ON_TRACK


def test_when_new_cards_bind_the_weakest_section_is_introduced_first() -> None:
    exam = TODAY + days(10)
    # IAM has no card seen; EC2 has half its cards well known. IAM comes second in the notes.
    ec2 = [seen(f"EC2-k{i}", 100.0, TODAY - days(1), TODAY + days(90), "EC2", i) for i in range(50)]
    ec2_new = unseen(50, "EC2", start=50)
    iam_new = unseen(50, "IAM", start=100)
    plan = plan_exam([*ec2, *ec2_new, *iam_new], TODAY, exam, FSRS, DailyLimits(new_per_day=5))
    introduced = [card_id for day in plan.days for card_id in day.new]
    assert introduced and all(card_id.startswith("IAM-") for card_id in introduced)
    assert introduced == sorted(introduced, key=lambda card_id: int(card_id.split("-")[1]))


def test_what_today_has_already_spent_comes_off_todays_room() -> None:
    plan = plan_exam(unseen(100), TODAY, TODAY + days(30), FSRS, DailyLimits(20, 200), new_seen_today=15)
    assert [len(day.new) for day in plan.days[:2]] == [5, 20]
    cards = [seen(f"c{i}", 4.0, TODAY - days(4), TODAY, order=i) for i in range(10)]
    plan = plan_exam(cards, TODAY, TODAY + days(30), STAND_IN, DailyLimits(20, 12), reviews_done_today=8)
    assert plan.days[0].review_load == 4
    assert plan.days[1].reviews >= 6


def test_sections_report_their_own_recall_and_unseen_cards() -> None:
    exam = TODAY + days(30)
    cards = [
        seen("a", 50.0, TODAY - days(1), TODAY + days(40), "EC2", 0),
        *unseen(3, "IAM", start=1),
    ]
    readiness = plan_exam(cards, TODAY, exam, STAND_IN).readiness
    assert readiness is not None
    by_name = {section.section: section for section in readiness.sections}
    assert by_name["IAM"].cards == 3 and by_name["IAM"].unseen == 3
    assert by_name["IAM"].recall_if_stopped == 0.0
    assert by_name["IAM"].recall_if_followed > 0.9
    assert by_name["EC2"].recall_if_stopped == pytest.approx(STAND_IN.recall(31, MemoryState(50.0, 5.0)))
    assert readiness.unseen == 3 and readiness.unseen_at_exam == 0
    assert readiness.recall_if_stopped == pytest.approx(by_name["EC2"].recall_if_stopped / 4)


def test_the_target_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="target"):
        plan_exam([], TODAY, TODAY + days(3), FSRS, target=1.0)


# --- properties ---------------------------------------------------------------------------------------------


@st.composite
def decks(draw: st.DrawFn) -> list[ExamCard]:
    count = draw(st.integers(min_value=0, max_value=60))
    cards: list[ExamCard] = []
    for index in range(count):
        section = draw(st.sampled_from(["EC2", "IAM", "Lambda", "S3"]))
        if draw(st.booleans()):
            cards.append(ExamCard(f"c{index}", section, None, None, index))
            continue
        stability = draw(st.floats(min_value=0.5, max_value=400.0))
        difficulty = draw(st.floats(min_value=1.0, max_value=10.0))
        last = TODAY - days(draw(st.integers(min_value=0, max_value=200)))
        due = last + days(draw(st.integers(min_value=1, max_value=400)))
        memory = CardMemory(MemoryState(stability, difficulty), last)
        cards.append(ExamCard(f"c{index}", section, memory, due, index))
    return cards


plans = st.tuples(
    decks(),
    st.integers(min_value=-3, max_value=60),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=0, max_value=30),
    st.sampled_from([0.8, 0.9, 0.95]),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=5),
)


@settings(max_examples=150, deadline=None)
@given(plans)
def test_no_day_goes_over_the_limits(args: tuple[list[ExamCard], int, int, int, float, int, int]) -> None:
    cards, horizon, new_limit, review_limit, target, new_done, reviews_done = args
    limits = DailyLimits(new_limit, review_limit)
    plan = plan_exam(cards, TODAY, TODAY + days(horizon), FSRS, limits, target, new_done, reviews_done)
    assert plan.active == (horizon >= 0)
    for day in plan.days:
        spent_new, spent_reviews = (new_done, reviews_done) if day.day == TODAY else (0, 0)
        assert len(day.new) <= max(0, new_limit - spent_new)
        assert day.review_load <= max(0, review_limit - spent_reviews)
    never_seen = {card.id for card in cards if card.memory is None}
    introduced = [card_id for day in plan.days for card_id in day.new]
    assert len(introduced) == len(set(introduced)) and set(introduced) <= never_seen
    moved = [card_id for day in plan.days for card_id in day.brought_forward]
    assert len(moved) == len(set(moved))
    introduced_on = {card_id: day.day for day in plan.days for card_id in day.new}
    for day in plan.days:
        for card_id in day.brought_forward:
            assert card_id not in never_seen or introduced_on[card_id] < day.day


@settings(max_examples=80, deadline=None)
@given(plans, st.randoms(use_true_random=False))
def test_the_plan_is_deterministic(
    args: tuple[list[ExamCard], int, int, int, float, int, int], shuffler: random.Random
) -> None:
    cards, horizon, new_limit, review_limit, target, _new_done, _reviews_done = args
    limits = DailyLimits(new_limit, review_limit)
    first = plan_exam(cards, TODAY, TODAY + days(horizon), FSRS, limits, target)
    shuffled = list(cards)
    shuffler.shuffle(shuffled)
    assert plan_exam(shuffled, TODAY, TODAY + days(horizon), FSRS, limits, target) == first


@settings(max_examples=100, deadline=None)
@given(decks(), st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=15))
def test_every_card_is_seen_in_time_when_the_new_limit_allows_it(
    cards: list[ExamCard], horizon: int, new_limit: int
) -> None:
    exam = TODAY + days(horizon)
    plan = plan_exam(cards, TODAY, exam, FSRS, DailyLimits(new_limit, 200))
    readiness = plan.readiness
    assert readiness is not None
    room = new_limit * ((readiness.cutoff - TODAY).days + 1) if readiness.cutoff else 0
    never_seen = sum(1 for card in cards if card.memory is None)
    introduced = min(never_seen, new_limit * horizon)
    assert readiness.unseen_at_exam == never_seen - introduced
    assert readiness.late == introduced - min(introduced, room)
    if never_seen <= room:
        assert readiness.workload.new_per_day <= new_limit
    else:
        assert not readiness.on_track
