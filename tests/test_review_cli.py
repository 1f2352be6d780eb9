"""`dva-cards review` through the CLI, with stdin not a terminal: one key per line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dva_cards.cli import app
from dva_cards.clock import learner_today
from tests.helpers import dump, run, run_json, write
from tests.review_fixtures import NOTES, in_days, review_rows


def today() -> str:
    return learner_today(datetime.now(UTC)).isoformat()


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = write(tmp_path / "notes" / "aws.md", NOTES)
    assert run_json("import", str(path), "--deck", "aws")["added"] == 6
    return path


def test_scripted_session_commits_answers(db_path: Path, notes: Path) -> None:
    result = CliRunner().invoke(app, ["review"], input=" \n4\n \n5\nq\n")
    assert result.exit_code == 0, result.output
    assert "EC2" in result.stdout and "Lambda" in result.stdout
    assert "Reviewed 2 · correct 100%" in result.stdout
    assert "due tomorrow 2" in result.stdout
    with sqlite3.connect(db_path) as connection:
        rows = review_rows(connection)
        assert [(row["quality"], row["kind"], row["day"]) for row in rows] == [
            (4, "review", today()), (5, "review", today()),
        ]  # fmt: skip
        assert all(row["duration_ms"] >= 0 for row in rows)
        cards = dict(
            (front, (reps, ease, interval, due, last))
            for front, reps, ease, interval, due, last in connection.execute(
                "SELECT front, reps, ease, interval, due, last_review FROM card"
            )
        )
    assert [row["card_id"] for row in rows] == [card["id"] for card in run_json("cards")[:2]]
    assert cards["EC2"][:4] == (1, 2500, 1, in_days(1))
    assert cards["Lambda"][:4] == (1, 2600, 1, in_days(1))
    assert cards["EC2"][4] is not None and cards["EC2"][4] == rows[0]["reviewed_at"]
    assert cards["Timeout"] == (0, 2500, 0, None, None)


def test_the_issue_example_script(notes: Path) -> None:
    result = run("review", input=" \n4\n q\n")
    assert result.exit_code == 0, result.output
    assert "Reviewed 1" in result.stdout


def test_end_of_input_quits_with_the_summary(db_path: Path, notes: Path) -> None:
    result = run("review", input=" \n3\n")
    assert result.exit_code == 0, result.output
    assert "Reviewed 1 · correct 100%" in result.stdout
    with sqlite3.connect(db_path) as connection:
        assert len(review_rows(connection)) == 1


def test_fresh_install_imports_the_bundled_deck_first(db_path: Path) -> None:
    result = run("review", input="q\n")
    assert result.exit_code == 0, result.output
    assert "bundled deck aws-dva was imported" in result.stdout
    cards = run_json("cards", "--deck", "aws-dva")
    assert len(cards) > 400
    assert "20 new · 0 review · 0 drill" in result.stdout
    again = run("review", input="q\n")
    assert "bundled deck" not in again.stdout


def test_fresh_install_with_the_bundled_deck_name(db_path: Path) -> None:
    result = run("review", "--deck", "aws-dva", input="q\n")
    assert result.exit_code == 0, result.output
    assert "bundled deck aws-dva was imported" in result.stdout


def test_own_notes_without_cards_are_not_replaced_by_the_bundled_deck(tmp_path: Path, db_path: Path) -> None:
    notes = tmp_path / "plain.md"
    notes.write_text("# Only prose\n\nNo definitions here.\n", encoding="utf-8")
    assert run_json("import", str(notes))["added"] == 0
    result = run("review", input="q\n")
    assert result.exit_code == 0, result.output
    assert "bundled deck" not in result.stdout
    assert dump(db_path).get("card", []) == []


def test_fresh_install_with_another_deck_is_an_error_and_imports_nothing(db_path: Path) -> None:
    result = run("review", "--deck", "mine", input="q\n")
    assert result.exit_code != 0
    assert "unknown deck 'mine'" in result.stderr
    assert dump(db_path).get("card", []) == []


def test_settings_drive_the_session(notes: Path) -> None:
    run("config", "set", "new-per-day", "2")
    result = run("review", input=" \n4\n \n4\n")
    assert "2 new · 0 review · 0 drill" in result.stdout
    result = run("review", input="q\n")
    assert "Nothing to review today." in result.stdout
    result = run("review", "--new", "1", input=" \n4\n")
    assert "Reviewed 1" in result.stdout


def test_deck_option_and_limits(tmp_path: Path, notes: Path) -> None:
    run_json("import", str(write(tmp_path / "k8s.md", "* **Pod** - smallest unit\n")))
    result = run("review", "--deck", "k8s", input="q\n")
    assert result.exit_code == 0, result.output
    assert "k8s" in result.stdout and "Pod" in result.stdout and "1 new" in result.stdout
    result = run("review", "--new", "3", input="q\n")
    assert "3 new · 0 review · 0 drill" in result.stdout


def test_cram_through_the_cli_changes_no_schedule(db_path: Path, notes: Path) -> None:
    before = run_json("cards")
    result = run(
        "review", "--cram", "--deck", "aws", "--section", "Compute", "--seed", "4", input=" \n5\n \n1\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "Cram: 4 cards from aws › Compute." in result.stdout
    assert run_json("cards") == before
    with sqlite3.connect(db_path) as connection:
        assert [(row["kind"], row["quality"]) for row in review_rows(connection)] == [
            ("cram", 5),
            ("cram", 1),
        ]
    same_seed = run("review", "--cram", "--deck", "aws", "--section", "Compute", "--seed", "4", input="q\n")
    first_front = [line for line in result.stdout.splitlines() if line in ("EC2", "Lambda", "Timeout", "ASG")]
    assert first_front[0] in same_seed.stdout.splitlines()


def test_cram_without_deck_covers_every_deck(tmp_path: Path, notes: Path) -> None:
    run_json("import", str(write(tmp_path / "k8s.md", "* **Pod** - smallest unit\n")))
    result = run("review", "--cram", input="q\n")
    assert "Cram: 7 cards from all decks." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "--deck", "nope"), "unknown deck 'nope' (decks: aws)"),
        (("review", "--section", "Compute"), "--section works with --cram only"),
        (
            ("review", "--cram", "--section", "Nowhere"),
            "no cards in section 'Nowhere' (sections: Compute, Storage)",
        ),
        (("review", "--cram", "--section", " "), "--section must not be empty"),
        (("review", "--cram", "--new", "3"), "--new applies to the daily session"),
        (("review", "--seed", "3"), "--seed works with --cram only"),
        (("review", "--deck", ""), "--deck must not be empty"),
        (("review", "--new", "-1"), "Invalid value for '--new'"),
    ],
)
def test_errors_are_one_line_and_change_nothing(
    db_path: Path, notes: Path, args: tuple[str, ...], message: str
) -> None:
    before = dump(db_path)
    result = run(*args, input=" \n5\n")
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    if "Usage" not in result.stderr:
        assert len(result.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before


def test_invalid_stored_setting_is_an_error(db_path: Path, notes: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("INSERT INTO setting (key, value) VALUES ('rollover-hour', 'noon')")
    result = run("review", input="q\n")
    assert result.exit_code != 0
    assert "config unset rollover-hour" in result.stderr


def test_markup_in_notes_is_literal_through_the_cli(tmp_path: Path) -> None:
    run_json("import", str(write(tmp_path / "m.md", "* **[red]Alarm[/]** - [bold]not bold[/bold]\n")))
    result = run("review", input=" \nq\n")
    assert "[red]Alarm[/]" in result.stdout
    assert "[bold]not bold[/bold]" in result.stdout


def test_python_m_and_light_cli_import() -> None:
    """`python -m dva_cards` works, and importing the CLI pulls in neither Rich nor the review machinery."""
    code = "import sys, dva_cards.cli; print(sorted(m for m in ('rich', 'dva_cards.store', 'dva_cards.review') if m in sys.modules))"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"
    result = subprocess.run(
        [sys.executable, "-m", "dva_cards", "review", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--cram" in result.stdout
