"""The daily session while an exam is set: the plan's new cards and brought-forward reviews, the header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dva_cards import fsrs
from dva_cards.exam_goal import ExamGoal, to_settings
from dva_cards.exam_planning import plan_for_day
from dva_cards.review import SessionOptions, run_session
from dva_cards.scheduler import SM2State
from dva_cards.session import CardInfo, DailyLimits, Queue, follow_exam_plan
from dva_cards.settings import Settings
from dva_cards.store import Store
from tests.review_fixtures import (
    FRONTS,
    START,
    TODAY,
    Clock,
    ScriptedKeys,
    ids_by_front,
    import_text,
    make_console,
    review_rows,
    set_card,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "collection.db") as opened:
        import_text(opened, tmp_path / "notes" / "aws.md")
        yield opened


def session(
    store: Store, keys: list[str], clock: Clock, settings: Settings | None = None, **options: object
) -> str:
    console, out = make_console()
    run_session(
        store, settings or Settings(), now=clock, console=console, keys=ScriptedKeys(keys, clock),
        options=SessionOptions(**options), tz=UTC,  # type: ignore[arg-type]
    )  # fmt: skip
    return out.getvalue()


def shown_fronts(output: str) -> list[str]:
    lines = output.splitlines()
    return [lines[i + 3].strip() for i, line in enumerate(lines) if set(line.strip()) == {"─"}]


def set_exam(store: Store, goal: ExamGoal) -> None:
    store.set_settings(to_settings(goal))


def test_new_cards_follow_the_plan_and_the_header_counts_the_days(store: Store) -> None:
    set_exam(store, ExamGoal(TODAY + timedelta(days=30)))
    output = session(store, ["q"], Clock())
    assert "exam in 30 days · 6 new · 0 review · 0 drill" in output


def test_a_review_due_after_the_exam_is_brought_forward_into_the_session(store: Store) -> None:
    # Every card was learned 20 days ago with one Good answer, and SM-2 set them all due long after the exam:
    # on the exam day their recall would be far below 0.9, so the plan brings each forward. Three days at two
    # reviews a day leave just the room for all six: two of them today.
    learned = START - timedelta(days=20)
    session(store, [" ", "4"] * 6, Clock(learned))
    ids = ids_by_front(store)
    for card_id in ids.values():
        set_card(store, card_id, due=(TODAY + timedelta(days=60)).isoformat(), reps=2, interval=70)
    exam = TODAY + timedelta(days=3)
    set_exam(store, ExamGoal(exam))
    settings = Settings(reviews_per_day=2)
    planned = plan_for_day(store, ExamGoal(exam), settings, TODAY)
    assert [len(day.brought_forward) for day in planned.plan.days] == [2, 2, 2]
    day = planned.plan.days[0]
    output = session(store, [" ", "4"] * 6 + ["q"], Clock(), settings)
    front_of = {card_id: front for front, card_id in ids.items()}
    assert shown_fronts(output)[: len(day.brought_forward)] == [front_of[i] for i in day.brought_forward]
    assert "exam in 3 days · 0 new · 2 review" in output
    rows = review_rows(store.connection)
    answered_today = [row for row in rows if row["day"] == TODAY.isoformat()]
    assert [row["card_id"] for row in answered_today] == list(day.brought_forward)
    assert all(row["kind"] == "review" for row in answered_today)


def test_another_decks_session_and_a_past_exam_study_as_usual(store: Store, tmp_path: Path) -> None:
    import_text(store, tmp_path / "notes" / "gcp.md", "# GCP\n* **GCE** - VMs\n", deck="gcp")
    set_exam(store, ExamGoal(TODAY + timedelta(days=30), 0.9, "aws"))
    output = session(store, ["q"], Clock(), deck="gcp")
    assert "exam in" not in output and "1 new · 0 review" in output
    set_exam(store, ExamGoal(TODAY - timedelta(days=1)))
    output = session(store, ["q"], Clock())
    assert "exam in" not in output
    assert shown_fronts(output)[:1] == [FRONTS[0]]


def test_with_an_exam_on_one_deck_new_cards_come_from_its_plan(store: Store, tmp_path: Path) -> None:
    import_text(store, tmp_path / "notes" / "gcp.md", "# GCP\n* **GCE** - VMs\n", deck="gcp")
    set_exam(store, ExamGoal(TODAY + timedelta(days=30), 0.9, "aws"))
    output = session(store, [" ", "4"] * 7 + ["q"], Clock())
    assert "exam in 30 days · 6 new" in output
    assert shown_fronts(output) == FRONTS


# -- the pure rule -----------------------------------------------------------------------------------------------


def info(card_id: str, state: SM2State) -> CardInfo:
    return CardInfo(card_id, state, ("aws", "n.md", int(card_id[1:])))


def test_follow_exam_plan_keeps_due_reviews_first_and_the_room_of_the_limits() -> None:
    waiting = SM2State(reps=2, interval=30, due=TODAY + timedelta(days=20))
    due = SM2State(reps=2, interval=6, due=TODAY)
    planned = [info("c1", waiting), info("c2", waiting), info("c3", SM2State()), info("c4", due)]
    queue = Queue(reviews=("c4",), new=("c9",), drills=("c8",))
    followed = follow_exam_plan(queue, planned, ["c3"], ["c4", "c2", "c1"], TODAY, DailyLimits(5, 2))
    assert followed == Queue(reviews=("c4", "c2"), new=("c3",), drills=("c8",))
    # A planned card that is no longer what the plan thought (buried, already learned) is left out.
    buried = CardInfo("c1", waiting, ("aws", "n.md", 1), buried_until=TODAY + timedelta(days=1))
    followed = follow_exam_plan(Queue(), [buried, info("c3", due)], ["c3"], ["c1"], TODAY, DailyLimits(5, 5))
    assert followed == Queue()


def test_the_plan_for_today_counts_what_today_already_spent(store: Store) -> None:
    session(store, [" ", "4"] * 3 + ["q"], Clock())
    planned = plan_for_day(store, ExamGoal(TODAY + timedelta(days=30)), Settings(new_per_day=5), TODAY)
    day = planned.plan.for_day(TODAY)
    assert day is not None and len(day.new) == 2
    assert planned.plan.readiness is not None and planned.plan.readiness.unseen == 3


def test_the_planner_sees_each_cards_memory_from_its_answers(store: Store) -> None:
    session(store, [" ", "1", " ", "4", " ", "4"], Clock(datetime(2026, 3, 1, 12, tzinfo=UTC)))
    goal = ExamGoal(date(2026, 3, 20))
    readiness = plan_for_day(store, goal, Settings(), TODAY).plan.readiness
    assert readiness is not None
    assert readiness.unseen == 3  # EC2 failed, Lambda and Timeout passed; the session ended on its drill
    day = date(2026, 3, 1)
    memories = [fsrs.replay([fsrs.Review(day, grade)]) for grade in (1, 4, 4)]
    expected = sum(fsrs.predicted_recall(memory, goal.exam) for memory in memories if memory) / 6
    assert readiness.recall_if_stopped == pytest.approx(expected)


def test_asking_for_more_new_cards_takes_the_next_ones_of_the_plan(store: Store) -> None:
    set_exam(store, ExamGoal(TODAY + timedelta(days=30)))
    settings = Settings(new_per_day=2)
    day = plan_for_day(store, ExamGoal(TODAY + timedelta(days=30)), settings, TODAY).plan.days[0]
    assert len(day.new) == 2
    output = session(store, ["q"], Clock(), settings)
    assert "exam in 30 days · 2 new" in output
    output = session(store, [" ", "4"] * 5 + ["q"], Clock(), settings, new_limit=5)
    assert "exam in 30 days · 5 new" in output
    assert shown_fronts(output) == FRONTS[:5]


def test_a_session_plans_once_when_it_starts_and_only_the_days(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan is made when the session starts; answering cards does not make it again, and the session does
    # not pay for the readiness report's workload search.
    from dva_cards import exam, exam_planning

    calls: list[bool] = []
    real = exam.plan_exam

    def counting(*args: object, **kwargs: object) -> exam.ExamPlan:
        calls.append(bool(kwargs.get("report", True)))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exam_planning, "plan_exam", counting)
    set_exam(store, ExamGoal(TODAY + timedelta(days=30)))
    output = session(store, [" ", "4"] * 4 + ["q"], Clock())
    assert "exam in 30 days" in output
    assert len(review_rows(store.connection)) == 4
    assert calls == [False]
