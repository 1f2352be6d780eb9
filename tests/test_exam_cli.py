"""`dva-cards exam` and the exam section of `stats`, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import dump, run, run_json, write
from tests.review_fixtures import NOTES, in_days


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = write(tmp_path / "notes" / "aws.md", NOTES)
    assert run_json("import", str(path), "--deck", "aws")["added"] == 6
    return path


def test_set_show_and_clear(notes: Path) -> None:
    result = run("exam", "set", in_days(30))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Exam on {in_days(30)} (all decks), exam in 30 days · target recall 0.90"
    )
    assert "Verdict: on track" in result.stdout
    report = run_json("exam", "show")
    assert (report["exam"], report["deck"], report["target"], report["days_left"]) == (
        in_days(30),
        None,
        0.9,
        30,
    )
    assert report["cards"] == 6 and report["unseen"] == 6 and report["unseen_at_exam"] == 0
    assert sum(day["new"] for day in report["plan"]) == 6
    assert run("exam", "show").stdout == result.stdout
    result = run("exam", "set", in_days(10), "--deck", "aws", "--target", "0.95")
    assert result.exit_code == 0, result.output
    assert "(deck aws), exam in 10 days · target recall 0.95" in result.stdout
    assert run_json("exam", "show")["deck"] == "aws"
    cleared = run("exam", "clear")
    assert cleared.exit_code == 0 and "plain scheduling" in cleared.stdout
    shown = run("exam", "show")
    assert shown.exit_code == 1
    assert (
        shown.stderr
        == "dva-cards: error: no exam is set: dva-cards exam set DATE [--deck NAME] [--target 0.9]\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2026-13-01"], "the exam date must be a date like 2026-03-01, not '2026-13-01'"),
        (["tomorrow"], "the exam date must be a date like"),
        (["2030-01-01", "--target", "1.2"], "the exam target must be a recall from 0.7 to 0.99, not 1.2"),
        (["2030-01-01", "--deck", "nope"], "unknown deck 'nope'"),
    ],
)
def test_a_bad_exam_is_one_line_and_changes_nothing(
    notes: Path, db_path: Path, args: list[str], message: str
) -> None:
    before = dump(db_path)
    result = run("exam", "set", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"dva-cards: error: {message}")
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_a_past_exam_says_normal_scheduling(notes: Path) -> None:
    result = run("exam", "set", in_days(-1))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Exam on {in_days(-1)} (all decks) is past: normal scheduling.\n"
    assert run_json("exam", "show") == {
        "schema": 1, "exam": in_days(-1), "deck": None, "target": 0.9, "active": False,
        "verdict": f"the exam on {in_days(-1)} is past: normal scheduling",
    }  # fmt: skip
    session = run("review", input="q\n")
    assert "exam in" not in session.stdout


def test_stats_has_the_readiness_section_only_with_an_exam(notes: Path) -> None:
    assert "exam" not in run_json("stats")
    assert "Exam readiness" not in run("stats").stdout
    run("exam", "set", in_days(3))
    data = run_json("stats")
    assert data["exam"] == run_json("exam", "show")
    screen = run("stats").stdout
    assert "Exam readiness" in screen and f"Exam on {in_days(3)} (all decks), exam in 3 days" in screen


def test_the_session_header_counts_down_to_the_exam(notes: Path) -> None:
    run("exam", "set", in_days(1))
    result = run("review", input="q\n")
    assert "exam tomorrow · 6 new · 0 review · 0 drill" in result.stdout


def test_an_fsrs_collection_plans_the_same_way(notes: Path) -> None:
    assert run("config", "set", "scheduler", "fsrs").exit_code == 0
    run("review", input=" \n4\n \n4\nq\n")
    result = run("exam", "set", in_days(20))
    assert result.exit_code == 0, result.output
    report = run_json("exam", "show")
    assert report["unseen"] == 4 and report["verdict"] == "on track"
    assert report["recall"]["if_followed"] > report["recall"]["if_stopped"] > 0
    assert "exam in 20 days · 4 new" in run("review", input="q\n").stdout
