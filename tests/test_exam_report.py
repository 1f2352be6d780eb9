"""The stored exam goal and the readiness report's text and JSON, pure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dva_cards.errors import UserError
from dva_cards.exam import ExamCard, fsrs_model, plan_exam
from dva_cards.exam_goal import (
    ExamGoal,
    check_target,
    from_settings,
    header_label,
    parse_exam_date,
    to_settings,
)
from dva_cards.exam_report import report_json, report_lines
from dva_cards.fsrs import CardMemory, MemoryState
from dva_cards.session import DailyLimits

TODAY = date(2026, 3, 10)
MODEL = fsrs_model()


def stored(goal: ExamGoal) -> dict[str, str]:
    return {key: value for key, value in to_settings(goal).items() if value is not None}


def test_a_goal_reads_back_as_it_was_stored() -> None:
    for goal in (ExamGoal(date(2026, 5, 1)), ExamGoal(date(2026, 5, 1), 0.95, "aws-dva")):
        assert from_settings({"new-per-day": "20", **stored(goal)}) == goal
    assert from_settings({"new-per-day": "20"}) is None
    assert to_settings(ExamGoal(date(2026, 5, 1)))["exam-deck"] is None


def test_a_bad_stored_goal_is_one_clear_error() -> None:
    with pytest.raises(UserError, match="exam clear"):
        from_settings({"exam-date": "next tuesday"})
    with pytest.raises(UserError, match="target"):
        from_settings({"exam-date": "2026-05-01", "exam-target": "1.5"})


def test_dates_and_targets_are_checked() -> None:
    assert parse_exam_date(" 2026-05-01 ") == date(2026, 5, 1)
    with pytest.raises(UserError, match="2026-03-01"):
        parse_exam_date("01/05/2026")
    assert check_target(0.9) == 0.9
    for bad in (0.5, 1.0, float("nan")):
        with pytest.raises(UserError, match="target"):
            check_target(bad)


def test_the_header_counts_the_days() -> None:
    goal = ExamGoal(TODAY + timedelta(days=45))
    assert header_label(goal, TODAY) == "exam in 45 days"
    assert header_label(goal, goal.exam - timedelta(days=1)) == "exam tomorrow"
    assert header_label(goal, goal.exam) == "exam today"
    assert header_label(goal, goal.exam + timedelta(days=1)) is None


def deck() -> list[ExamCard]:
    cards = [
        ExamCard(f"l{i}", "Lambda", CardMemory(MemoryState(5.0, 5.0), TODAY - timedelta(days=3)), TODAY, i)
        for i in range(30)
    ]
    cards += [ExamCard(f"e{i}", "EC2", None, None, 100 + i) for i in range(100)]
    return cards


def test_the_report_shows_verdict_recall_workload_and_weakest_sections() -> None:
    goal = ExamGoal(TODAY + timedelta(days=6), 0.9, "aws-dva")
    plan = plan_exam(deck(), TODAY, goal.exam, MODEL, DailyLimits(10, 200), goal.target)
    readiness = plan.readiness
    assert readiness is not None
    lines = report_lines(goal, plan)
    assert lines[0] == "Exam on 2026-03-16 (deck aws-dva), exam in 6 days · target recall 0.90"
    assert lines[1] == f"Verdict: {readiness.verdict}"
    assert readiness.verdict.startswith("at 10 new cards a day, 40 cards stay unseen")
    recall_line = next(line for line in lines if line.startswith("predicted recall"))
    assert recall_line.split()[-2:] == [
        f"{readiness.recall_if_followed:.2f}",
        f"{readiness.recall_if_stopped:.2f}",
    ]
    assert any(line.startswith("Workload: ") and "(limit 10)" in line for line in lines)
    rows = lines[lines.index(next(line for line in lines if line.startswith("section"))) + 1 :]
    assert [row.split()[0] for row in rows] == [section.section for section in readiness.sections]


def test_the_json_report_has_every_figure() -> None:
    goal = ExamGoal(TODAY + timedelta(days=20))
    plan = plan_exam(deck(), TODAY, goal.exam, MODEL, DailyLimits(20, 200), goal.target)
    data = report_json(goal, plan)
    assert data["schema"] == 1 and data["active"] is True and data["deck"] is None
    assert data["days_left"] == 20 and data["cards"] == 130 and data["unseen"] == 100
    assert data["unseen_at_exam"] == 0 and data["verdict"] == "on track" and data["on_track"] is True
    assert set(data["recall"]) == {"if_followed", "if_stopped"}
    assert [entry["date"] for entry in data["plan"]] == [
        (TODAY + timedelta(days=n)).isoformat() for n in range(20)
    ]
    assert sum(entry["new"] for entry in data["plan"]) == 100
    assert {entry["section"] for entry in data["sections"]} == {"Lambda", "EC2"}


def test_a_past_exam_reports_normal_scheduling() -> None:
    goal = ExamGoal(TODAY - timedelta(days=1))
    plan = plan_exam(deck(), TODAY, goal.exam, MODEL)
    assert report_lines(goal, plan) == ["Exam on 2026-03-09 (all decks) is past: normal scheduling."]
    assert report_json(goal, plan)["active"] is False
