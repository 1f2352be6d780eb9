"""The stats screen at 80 columns, compared with golden snapshots: a collection on its first day, and one of
50,000 cards with a long history. Also the day-one rules: a heatmap legend for few reviews, empty forecast
days grouped, "time today" as the review summary counts it, hardest cards only among hard ones."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dva_cards import render_stats
from dva_cards.cli import AppState, app
from tests.bench.generate import make_collection
from tests.golden import assert_golden
from tests.helpers import write
from tests.review_fixtures import NOTES

TODAY = date(2025, 3, 12)
runner = CliRunner()


def at_noon_today() -> datetime:
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12).astimezone()


def invoke(*args: str, input: str | None = None) -> Any:
    result = runner.invoke(
        app, list(args), input=input, obj=AppState(now=at_noon_today), env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def day_one(tmp_path: Path, db_path: Path) -> Path:
    notes = write(tmp_path / "notes" / "aws.md", NOTES)
    invoke("import", str(notes), "--deck", "aws")
    # Four new cards answered 4, 3, 1 and 5 (the 3 is then drilled to a 4).
    invoke("review", input=" \n4\n \n3\n \n1\n \n5\n \n4\nq\n")
    return db_path


def test_stats_on_day_one(day_one: Path) -> None:
    screen = invoke("stats").stdout
    assert_golden("stats/day-one-80.txt", screen)
    assert "░ ≤" not in screen and "(░ 1-5 answers a day)" in screen
    forecast = screen[screen.index("Forecast") : screen.index("Reviews, last 52 weeks")].strip().splitlines()
    assert forecast[1:] == [  # 28 empty days on one line, not one a line
        "today                 ██████████                               1",
        "tomorrow              ████████████████████████████████████████ 4",
        "Fri 03-14 – Thu 04-10                                          0",
    ]
    hardest = screen[screen.index("Hardest cards") :]
    assert (
        "none: no card has lapsed or fallen below ease 2.00" in hardest
    )  # a 3 or a failed new card is not hard


def test_time_today_is_the_review_summary_time(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "notes" / "aws.md", NOTES)
    invoke("import", str(notes), "--deck", "aws")
    session = runner.invoke(app, ["review"], input=" \n4\n \n5\nq\n")  # the real clock: some milliseconds
    assert session.exit_code == 0, session.output
    [summary_time] = re.findall(r"time ([0-9a-z ]+?) · due", session.stdout)
    data = runner.invoke(app, ["stats", "--json"])
    time_ms = json.loads(data.stdout)["today"]["time_ms"]
    assert render_stats.duration(time_ms) == summary_time


def test_forecast_day_rows_group_empty_days() -> None:
    days = [(date(2025, 3, d), n) for d, n in zip(range(12, 20), (1, 4, 0, 0, 0, 2, 0, 3), strict=True)]
    assert render_stats.forecast_day_rows(days, date(2025, 3, 12)) == [
        ("today", 1), ("tomorrow", 4), ("Fri 03-14 – Sun 03-16", 0), ("Mon 03-17", 2), ("Tue 03-18", 0),
        ("Wed 03-19", 3),
    ]  # fmt: skip


def test_heat_legend_names_only_the_shades_in_use() -> None:
    assert render_stats.heat_legend((5, 5, 5), 5) == "░ 1-5 answers a day"
    assert render_stats.heat_legend((1, 1, 1), 1) == "░ 1 answer a day"
    assert render_stats.heat_legend((3, 6, 9), 24) == "░ 1-3 · ▒ 4-6 · ▓ 7-9 · █ 10-24 answers a day"
    assert render_stats.heat_legend((2, 2, 7), 7) == "░ 1-2 · ▓ 3-7 answers a day"


def test_stats_at_50k_cards(tmp_path: Path) -> None:
    path = make_collection(tmp_path / "big.db", cards=50_000, reviews=50_000, seed=7, today=TODAY)
    screen = invoke("--db", str(path), "stats").stdout
    assert all(len(line) <= 80 for line in screen.splitlines())
    assert_golden("stats/50k-cards-80.txt", screen)
