"""The day's queue: what is shown, in what order, within which limits; drills until they are passed."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dva_cards.scheduler import SM2State, review
from dva_cards.session import CardInfo, DailyLimits, Queue, QueueStep, after_answer, build_queue, without

TODAY = date(2026, 3, 10)
NO_LIMITS = DailyLimits(new_per_day=10_000, reviews_per_day=10_000)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def learned(due: date, interval: int = 6) -> SM2State:
    return SM2State(reps=2, ease=2500, interval=interval, due=due)


def card(
    card_id: str,
    state: SM2State | None = None,
    order: tuple[str, str, int] = ("aws", "notes.md", 1),
    *,
    suspended: bool = False,
    buried_until: date | None = None,
    retired: bool = False,
) -> CardInfo:
    return CardInfo(card_id, state or SM2State(), order, suspended, buried_until, retired)


def new_cards(count: int, deck: str = "aws", source: str = "notes.md") -> list[CardInfo]:
    return [card(f"{deck}-{line}", order=(deck, source, line)) for line in range(1, count + 1)]


def drain(queue: Queue, grade_of: dict[str, list[int]]) -> list[tuple[str, str, int]]:
    """Answer each card shown with its next grade until the queue is empty; returns (id, kind, grade)."""
    states = {card_id: SM2State() for card_id in grade_of}
    shown: list[tuple[str, str, int]] = []
    while (head := queue.next_card()) is not None:
        card_id, kind = head
        grade = grade_of[card_id].pop(0)
        states[card_id] = review(states[card_id], grade, TODAY)
        shown.append((card_id, kind, grade))
        after_answer(queue, card_id, states[card_id], TODAY)
    return shown


# --- empty and basic ---------------------------------------------------------------------------------------


def test_no_cards_make_an_empty_queue() -> None:
    queue = build_queue([], TODAY, DailyLimits())
    assert queue == Queue((), (), ())
    assert len(queue) == 0
    assert queue.next_card() is None
    assert queue.counts() == (0, 0, 0)


def test_cards_not_yet_due_stay_out() -> None:
    queue = build_queue([card("later", learned(TODAY + days(1)))], TODAY, DailyLimits())
    assert len(queue) == 0


def test_reviews_come_before_new_cards_and_drills_last() -> None:
    cards = [
        card("fresh"),
        card("relearning", SM2State(reps=0, interval=0, due=TODAY, lapses=1)),
        card("due", learned(TODAY)),
    ]
    queue = build_queue(cards, TODAY, DailyLimits())
    assert (queue.reviews, queue.new, queue.drills) == (("due",), ("fresh",), ("relearning",))
    assert queue.counts() == (1, 1, 1)
    assert len(queue) == 3
    assert queue.next_card() == ("due", "review")
    without(queue, "due")
    assert queue.next_card() == ("fresh", "new")
    without(queue, "fresh")
    assert queue.next_card() == ("relearning", "drill")


# --- limits ------------------------------------------------------------------------------------------------


def test_new_cards_are_limited_per_day() -> None:
    queue = build_queue(new_cards(30), TODAY, DailyLimits())
    assert len(queue.new) == 20
    assert queue.new == tuple(f"aws-{line}" for line in range(1, 21))


def test_new_cards_already_seen_today_count_against_the_limit() -> None:
    queue = build_queue(new_cards(30), TODAY, DailyLimits(new_per_day=20), new_seen_today=15)
    assert queue.new == tuple(f"aws-{line}" for line in range(1, 6))


def test_no_new_cards_once_the_limit_is_used_up_or_exceeded() -> None:
    assert build_queue(new_cards(5), TODAY, DailyLimits(new_per_day=3), new_seen_today=3).new == ()
    assert build_queue(new_cards(5), TODAY, DailyLimits(new_per_day=3), new_seen_today=9).new == ()
    assert build_queue(new_cards(5), TODAY, DailyLimits(new_per_day=0)).new == ()


def test_reviews_are_capped_per_day_keeping_the_most_overdue() -> None:
    cards = [card(f"r{n}", learned(TODAY - days(n))) for n in range(10)]
    queue = build_queue(cards, TODAY, DailyLimits(reviews_per_day=4))
    assert queue.reviews == ("r9", "r8", "r7", "r6")


def test_reviews_done_today_count_against_the_cap() -> None:
    cards = [card(f"r{n}", learned(TODAY - days(n))) for n in range(10)]
    assert build_queue(cards, TODAY, DailyLimits(reviews_per_day=4), reviews_done_today=3).reviews == ("r9",)
    assert build_queue(cards, TODAY, DailyLimits(reviews_per_day=4), reviews_done_today=7).reviews == ()


def test_drills_are_never_capped() -> None:
    cards = [card(f"d{n}", SM2State(reps=0, due=TODAY, lapses=1), order=("aws", "n.md", n)) for n in range(5)]
    queue = build_queue(cards, TODAY, DailyLimits(new_per_day=0, reviews_per_day=0), 50, 500)
    assert len(queue.drills) == 5


# --- ordering ----------------------------------------------------------------------------------------------


def test_most_overdue_reviews_come_first_ties_in_source_order() -> None:
    cards = [
        card("today-b", learned(TODAY), order=("aws", "b.md", 1)),
        card("week-late", learned(TODAY - days(7))),
        card("today-a", learned(TODAY), order=("aws", "a.md", 9)),
        card("day-late", learned(TODAY - days(1))),
    ]
    assert build_queue(cards, TODAY, DailyLimits()).reviews == ("week-late", "day-late", "today-a", "today-b")


def test_new_cards_come_in_source_order_across_decks_and_sources() -> None:
    cards = [
        card("gcp-a-1", order=("gcp", "a.md", 1)),
        card("aws-b-2", order=("aws", "b.md", 2)),
        card("aws-a-30", order=("aws", "a.md", 30)),
        card("aws-a-4", order=("aws", "a.md", 4)),
        card("aws-b-1", order=("aws", "b.md", 1)),
    ]
    queue = build_queue(cards, TODAY, DailyLimits())
    assert queue.new == ("aws-a-4", "aws-a-30", "aws-b-1", "aws-b-2", "gcp-a-1")


def test_the_new_limit_takes_the_first_cards_in_source_order() -> None:
    cards = list(reversed(new_cards(3, "zeta") + new_cards(3, "alpha")))
    assert build_queue(cards, TODAY, DailyLimits(new_per_day=4)).new == (
        "alpha-1",
        "alpha-2",
        "alpha-3",
        "zeta-1",
    )


@given(st.permutations(new_cards(4) + [card(f"r{n}", learned(TODAY - days(n % 3))) for n in range(6)]))
def test_the_queue_does_not_depend_on_the_order_cards_are_given_in(cards: list[CardInfo]) -> None:
    assert build_queue(cards, TODAY, DailyLimits(new_per_day=3, reviews_per_day=4)) == build_queue(
        sorted(cards, key=lambda c: c.id), TODAY, DailyLimits(new_per_day=3, reviews_per_day=4)
    )


# --- drills ------------------------------------------------------------------------------------------------


def test_a_three_is_drilled_until_a_grade_of_four_or_more() -> None:
    queue = build_queue([card("c")], TODAY, DailyLimits())
    shown = drain(queue, {"c": [3, 2, 3, 4]})
    assert shown == [("c", "new", 3), ("c", "drill", 2), ("c", "drill", 3), ("c", "drill", 4)]


def test_a_failed_card_comes_back_today_and_leaves_once_passed() -> None:
    queue = build_queue([card("c", learned(TODAY))], TODAY, DailyLimits())
    shown = drain(queue, {"c": [2, 1, 5]})
    assert shown == [("c", "review", 2), ("c", "drill", 1), ("c", "drill", 5)]


def test_a_failure_then_a_three_keeps_the_card_until_a_four() -> None:
    queue = build_queue([card("c")], TODAY, DailyLimits())
    assert [grade for _, _, grade in drain(queue, {"c": [0, 3, 3, 4]})] == [0, 3, 3, 4]


def test_a_good_grade_removes_the_card_for_today() -> None:
    queue = build_queue([card("a"), card("b", order=("aws", "notes.md", 2))], TODAY, DailyLimits())
    after_answer(queue, "a", review(SM2State(), 4, TODAY), TODAY)
    assert queue == Queue(reviews=(), new=("b",), drills=())


def test_drills_wait_until_reviews_and_new_cards_are_done_in_the_order_they_failed() -> None:
    queue = build_queue(
        [card(name, order=("aws", "n.md", n)) for n, name in enumerate("abcd")], TODAY, NO_LIMITS
    )
    shown = drain(queue, {"a": [3, 4], "b": [5], "c": [1, 4], "d": [3, 5]})
    assert [(card_id, kind) for card_id, kind, _ in shown] == [
        ("a", "new"),
        ("b", "new"),
        ("c", "new"),
        ("d", "new"),
        ("a", "drill"),
        ("c", "drill"),
        ("d", "drill"),
    ]


def test_a_card_is_in_the_drills_at_most_once() -> None:
    drilled = review(SM2State(), 3, TODAY)
    queue = Queue(reviews=(), new=(), drills=("x", "c", "y"))
    after_answer(queue, "c", drilled, TODAY)
    assert queue.drills == ("x", "y", "c")
    after_answer(queue, "c", drilled, TODAY)
    assert queue.drills == ("x", "y", "c")


def test_a_drill_left_over_from_an_earlier_day_is_still_a_drill_whatever_its_due() -> None:
    two_days_ago = TODAY - days(2)
    overdue_drill = review(learned(two_days_ago), 3, two_days_ago)  # due in 16 days, still drilling
    assert overdue_drill.due is not None and overdue_drill.due > TODAY
    queue = build_queue([card("c", overdue_drill)], TODAY, DailyLimits())
    assert queue.drills == ("c",)
    assert queue.next_card() == ("c", "drill")


def test_relearning_cards_from_earlier_days_are_drills_too() -> None:
    lapsed_last_week = SM2State(reps=0, interval=0, due=TODAY - days(7), lapses=2)
    queue = build_queue([card("c", lapsed_last_week)], TODAY, DailyLimits(reviews_per_day=0))
    assert queue.drills == ("c",)


def test_drills_at_build_time_come_in_the_order_they_failed() -> None:
    cards = [
        card("failed-today", SM2State(reps=0, due=TODAY, lapses=1), order=("aws", "n.md", 1)),
        card(
            "threed-yesterday", review(learned(TODAY - days(1)), 3, TODAY - days(1)), order=("aws", "n.md", 2)
        ),
        card("failed-last-week", SM2State(reps=0, due=TODAY - days(7), lapses=1), order=("aws", "n.md", 3)),
    ]
    queue = build_queue(cards, TODAY, DailyLimits())
    assert queue.drills == ("failed-last-week", "threed-yesterday", "failed-today")


def test_an_answer_changes_the_queue_in_place_and_its_step_puts_it_back() -> None:
    queue = build_queue(new_cards(2), TODAY, DailyLimits())
    step = after_answer(queue, "aws-1", review(SM2State(), 3, TODAY), TODAY)
    assert step == QueueStep("aws-1", "new", 0, again=True)
    assert (queue.new, queue.drills) == (("aws-2",), ("aws-1",))
    queue.put_back(step)
    assert queue == Queue(new=("aws-1", "aws-2"))
    assert queue.next_card() == ("aws-1", "new")


def test_a_drill_graded_again_goes_to_the_end_and_undo_brings_it_back_to_the_head() -> None:
    queue = Queue(drills=("a", "b", "c"))
    step = after_answer(queue, "a", review(SM2State(), 3, TODAY), TODAY)
    assert queue.drills == ("b", "c", "a")
    queue.put_back(step)
    assert queue.drills == ("a", "b", "c")


@given(
    st.lists(st.sampled_from(["take", "again", "pass"]), max_size=40),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=6),
)
def test_undoing_every_step_last_first_gives_back_the_queue_step_by_step(
    actions: list[str], reviews: int, new: int, drills: int
) -> None:
    queue = Queue(
        reviews=[f"r{n}" for n in range(reviews)],
        new=[f"n{n}" for n in range(new)],
        drills=[f"d{n}" for n in range(drills)],
    )
    snapshots: list[Queue] = []
    steps: list[QueueStep] = []
    for action in actions:
        head = queue.next_card()
        if head is None:
            break
        snapshots.append(Queue(queue.reviews, queue.new, queue.drills))
        steps.append(queue.take(head[0], again=action == "again"))
        assert len(queue) == len(snapshots[-1]) - (action != "again")
    while steps:
        queue.put_back(steps.pop())
        assert queue == snapshots.pop()


def test_a_card_is_in_one_list_at_most() -> None:
    queue = Queue(reviews=("a", "b", "a"), new=("b", "c"), drills=("c", "d"))
    assert (queue.reviews, queue.new, queue.drills) == (("a", "b"), ("c",), ("d",))
    assert len(queue) == 4


# --- exclusions --------------------------------------------------------------------------------------------


def test_suspended_retired_and_buried_cards_are_left_out() -> None:
    tomorrow = TODAY + days(1)
    cards = [
        card("suspended-review", learned(TODAY), suspended=True),
        card("suspended-new", suspended=True),
        card("retired-review", learned(TODAY - days(3)), retired=True),
        card("retired-drill", review(SM2State(), 3, TODAY), retired=True),
        card("buried-new", buried_until=tomorrow),
        card("buried-relearn", SM2State(reps=0, due=TODAY, lapses=1), buried_until=tomorrow),
        card("kept", learned(TODAY)),
    ]
    queue = build_queue(cards, TODAY, DailyLimits())
    assert (queue.reviews, queue.new, queue.drills) == (("kept",), (), ())


def test_a_buried_card_returns_on_its_buried_until_day() -> None:
    buried = card("c", learned(TODAY), buried_until=TODAY + days(1))
    assert len(build_queue([buried], TODAY, DailyLimits())) == 0
    assert build_queue([buried], TODAY + days(1), DailyLimits()).reviews == ("c",)
    assert build_queue([buried], TODAY + days(5), DailyLimits()).reviews == ("c",)


def test_a_card_buried_until_a_past_day_is_shown() -> None:
    assert build_queue([card("c", buried_until=TODAY - days(1))], TODAY, DailyLimits()).new == ("c",)


def test_suspending_or_burying_during_the_session_removes_the_card_everywhere() -> None:
    queue = Queue(reviews=("a", "b"), new=("c",), drills=("d",))
    without(queue, "b")
    assert queue == Queue(reviews=("a",), new=("c",), drills=("d",))
    assert without(queue, "zz") == QueueStep("zz", None, -1, again=False)
    assert queue == Queue(reviews=("a",), new=("c",), drills=("d",))
