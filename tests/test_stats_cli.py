"""`dva-cards stats` from the command line: the JSON shape on every kind of collection, errors, and the terminal
view at 80 columns (no line longer, note text printed literally, no colour under NO_COLOR)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from dva_cards import render_stats, stats
from dva_cards.cli import AppState, app
from dva_cards.humanize import duration
from dva_cards.scheduler import START_EASE
from dva_cards.store import Store
from tests.bench.generate import make_collection, simulate_history, write_history

TODAY = date(2025, 3, 12)
BUNDLED_DECK = Path(__file__).resolve().parent.parent / "decks" / "aws-dva.md"

runner = CliRunner()

RATE_KEYS = {"reviews", "passed", "retention"}
COUNT_KEYS = {"new", "learning", "young", "mature", "suspended", "retired", "leeches", "due", "total"}
# The documented, stable shape of `stats --json` (README lists every key).
SHAPE: dict[str, Any] = {
    "schema": int,
    "date": str,
    "deck": (str, type(None)),
    "days": int,
    "settings": {"rollover_hour": int, "new_per_day": int},
    "today": {
        key: int
        for key in (
            "due_review",
            "due_new",
            "due_drill",
            "reviewed",
            "cards_reviewed",
            "new_seen",
            "cram",
            "time_ms",
        )
    },
    "streak": {"current": int, "longest": int, "studied_today": bool},
    "collection": {
        "decks": [{"deck": str, **dict.fromkeys(COUNT_KEYS, int)}],
        "total": dict.fromkeys(COUNT_KEYS, int),
    },
    "forecast": {"overdue": int, "total": int, "days": [{"date": str, "due": int}]},
    "heatmap": {"start": str, "end": str, "total": int, "max": int, "active_days": int, "weeks": list},
    "retention": {
        "start": str,
        "end": str,
        **{
            part: {"reviews": int, "passed": int, "retention": (float, type(None))}
            for part in ("young", "mature", "total")
        },
    },
    "sections": [
        {"section": str, "reviews": int, "passed": int, "retention": (float, type(None)), "lapses": int}
    ],
    "hardest": [
        {
            "id": str,
            "deck": str,
            "front": str,
            "context": str,
            "source": str,
            "line": int,
            "lapses": int,
            "ease": int,
            "interval": int,
            "leech": bool,
            "suspended": bool,
        }
    ],
    "ease": [{"low": int, "high": int, "cards": int}],
    "intervals": [{"low": int, "high": (int, type(None)), "cards": int}],
    "recall": {
        "desired_retention": float,
        "cards": int,
        "mean": (float, type(None)),
        "below_desired": int,
        "sections": [{"section": str, "cards": int, "mean": float}],
    },
}


def check_shape(value: Any, shape: Any, where: str = "$") -> None:
    if isinstance(shape, dict):
        assert isinstance(value, dict), where
        assert set(value) == set(shape), f"{where}: keys {sorted(value)} != {sorted(shape)}"
        for key, inner in shape.items():
            check_shape(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{index}]")
    else:
        assert isinstance(value, shape) and not (shape is int and isinstance(value, bool)), (where, value)


def at_noon_today() -> datetime:
    """Noon of TODAY in the local zone: the learner's day is TODAY whatever the rollover hour."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12).astimezone()


def run(*args: str) -> Any:
    return runner.invoke(app, ["stats", *args], obj=AppState(now=at_noon_today))


def stats_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    check_shape(data, SHAPE)
    assert len(data["heatmap"]["weeks"]) == 53 and all(len(week) == 7 for week in data["heatmap"]["weeks"])
    assert data["date"] == TODAY.isoformat()
    return data


@pytest.fixture
def reviewed(db_path: Path) -> Path:
    history = simulate_history(TODAY, cards=200, days=60, seed=3, new_per_day=4, reviews_per_day=12)
    with Store.open(db_path) as store:
        write_history(store, history)
    return db_path


@pytest.fixture
def unreviewed(db_path: Path) -> Path:
    """Cards as an import leaves them, inserted directly: new, never answered."""
    with Store.open(db_path) as store, store.transaction():
        deck = store.ensure_deck("notes")
        store.connection.executemany(
            "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
            "updated_at, suspended, leech, reps, ease, interval, drill, lapses) "
            "VALUES (?, ?, '/n/notes.md', ?, ?, ?, 'back', 'h', 't', 't', 0, 0, 0, 2500, 0, 0, 0)",
            [(f"card{n:03d}", deck, n, f"Section {n % 3} › Sub", f"Term {n}") for n in range(25)],
        )
    return db_path


# -- JSON -------------------------------------------------------------------------------------------------------


def test_empty_collection(db_path: Path) -> None:
    data = stats_json()
    assert data["deck"] is None and data["days"] == 30
    assert data["collection"] == {"decks": [], "total": dict.fromkeys(COUNT_KEYS, 0)}
    assert data["today"] == dict.fromkeys(SHAPE["today"], 0)
    assert data["streak"] == {"current": 0, "longest": 0, "studied_today": False}
    assert data["forecast"]["total"] == 0 and len(data["forecast"]["days"]) == 30
    assert data["heatmap"]["total"] == 0
    assert data["retention"]["total"] == {"reviews": 0, "passed": 0, "retention": None}
    assert data["sections"] == [] and data["hardest"] == [] and data["ease"] == []
    assert db_path.exists()  # like every command, stats creates the collection


def test_imported_but_unreviewed(unreviewed: Path) -> None:
    data = stats_json()
    assert data["collection"]["total"]["new"] == data["collection"]["total"]["total"] == 25
    assert [deck["deck"] for deck in data["collection"]["decks"]] == ["notes"]
    assert data["today"]["due_new"] == 20 and data["today"]["due_review"] == 0
    assert data["forecast"]["total"] == 0 and data["hardest"] == [] and data["sections"] == []


def test_bundled_deck_after_a_real_import(db_path: Path) -> None:
    imported = runner.invoke(app, ["import", str(BUNDLED_DECK), "--json"])
    if imported.exit_code != 0:
        pytest.skip(f"import does not work yet: {imported.output.strip()[:200]}")
    data = stats_json()
    total = data["collection"]["total"]
    assert total["new"] == total["total"] > 0
    assert data["today"]["due_new"] == min(20, total["new"])


def test_reviewed_collection(reviewed: Path) -> None:
    data = stats_json()
    total = data["collection"]["total"]
    assert total["total"] == 200 and sum(deck["total"] for deck in data["collection"]["decks"]) == 200
    assert data["streak"]["current"] == 60 and data["streak"]["studied_today"]
    assert data["today"]["reviewed"] > 0 and data["today"]["time_ms"] > 0
    assert data["retention"]["total"]["reviews"] > 0
    assert 0 < data["retention"]["total"]["retention"] <= 1
    assert data["sections"] and data["hardest"] and data["ease"]
    assert data["forecast"]["days"][0] == {
        "date": TODAY.isoformat(),
        "due": data["forecast"]["days"][0]["due"],
    }


def test_deck_filter(reviewed: Path) -> None:
    everything = stats_json()
    python = stats_json("--deck", "python")
    assert python["deck"] == "python"
    assert [deck["deck"] for deck in python["collection"]["decks"]] == ["python"]
    by_name = {deck["deck"]: deck for deck in everything["collection"]["decks"]}
    assert python["collection"]["total"] == {key: by_name["python"][key] for key in COUNT_KEYS}
    assert python["heatmap"]["total"] < everything["heatmap"]["total"]


def test_deck_filter_matching_no_card(reviewed: Path) -> None:
    with Store.open(reviewed) as store, store.transaction():
        store.ensure_deck("emptied")  # a deck whose cards were all pruned
    data = stats_json("--deck", "emptied")
    assert data["collection"]["decks"] == [{"deck": "emptied", **dict.fromkeys(COUNT_KEYS, 0)}]
    assert data["collection"]["total"] == dict.fromkeys(COUNT_KEYS, 0)
    assert data["heatmap"]["total"] == 0 and data["streak"]["longest"] == 0
    assert data["retention"]["total"]["reviews"] == 0 and data["sections"] == [] and data["hardest"] == []
    rendered = run("--deck", "emptied")
    assert rendered.exit_code == 0, rendered.output


def test_unknown_deck_is_a_one_line_error(reviewed: Path) -> None:
    result = run("--deck", "nope", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "dva-cards: error: unknown deck 'nope' (decks: aws-dva, python)"
    ]


def test_days_sets_the_forecast_and_retention_window(reviewed: Path) -> None:
    data = stats_json("--days", "60")
    assert len(data["forecast"]["days"]) == 60 and data["days"] == 60
    assert data["retention"]["start"] == (TODAY - timedelta(days=59)).isoformat()
    short = stats_json("--days", "1")
    assert short["retention"]["start"] == short["retention"]["end"] == TODAY.isoformat()
    assert run("--days", "0").exit_code == 2
    assert run("--days", "366").exit_code == 2


def test_settings_feed_the_figures(unreviewed: Path) -> None:
    assert runner.invoke(app, ["config", "set", "new-per-day", "3"]).exit_code == 0
    data = stats_json()
    assert data["settings"] == {"rollover_hour": 4, "new_per_day": 3}
    assert data["today"]["due_new"] == 3


def test_the_generated_benchmark_collection_works(tmp_path: Path) -> None:
    path = make_collection(tmp_path / "bench.db", cards=300, reviews=3000, seed=1, today=TODAY)
    result = runner.invoke(app, ["--db", str(path), "stats", "--json"], obj=AppState(now=at_noon_today))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["collection"]["total"]["total"] == 300
    assert data["heatmap"]["total"] > 0 and data["streak"]["current"] > 0


# -- the terminal view ------------------------------------------------------------------------------------------


def assert_fits(text: str, width: int = 80) -> None:
    too_long = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_long, too_long


@pytest.mark.parametrize("fixture", ["db_path", "unreviewed", "reviewed"])
def test_terminal_view_fits_80_columns(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, fixture: str
) -> None:
    request.getfixturevalue(fixture)
    monkeypatch.setenv("COLUMNS", "80")
    for args in ([], ["--days", "90"], ["--days", "7"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b[" not in result.stdout  # NO_COLOR is set by conftest
        assert_fits(result.stdout)
        assert "Today" in result.stdout and "Reviews, last 52 weeks" in result.stdout


def test_long_forecasts_are_drawn_a_week_per_row(reviewed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = run("--days", "70").stdout.splitlines()
    assert sum(line.startswith("from ") for line in lines) == 10


def hostile_history(db_path: Path) -> None:
    """Note text that is Rich markup, very long, or wide, in every place the screen shows note text."""
    history = simulate_history(TODAY, cards=60, days=40, seed=5, new_per_day=3, reviews_per_day=10)
    for index, card in enumerate(history.cards):
        card.front = (
            "[red]x[/] " + "a-very-long-term-without-spaces" * 4 if index % 2 else "[bold]Bold?[/bold]"
        )
        card.context = (
            "[link=http://x]Heading[/link] " + "word " * 30 + " › Sub" if index % 3 else "日本語の見出し › x"
        )
        card.deck = "[blue]deck[/blue]-" + "n" * 60 if index % 2 else "short"
        card.source = "/some/very/long/path/" + "dir/" * 20 + "notes [x].md"
    with Store.open(db_path) as store:
        write_history(store, history)


def test_note_text_prints_literally_and_fits(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile_history(db_path)
    monkeypatch.setenv("COLUMNS", "80")
    result = run()
    assert result.exit_code == 0, result.output
    assert_fits(result.stdout)
    assert "[red]x[/]" in result.stdout or "[bold]Bold?[/bold]" in result.stdout
    assert "[link=http://x]Heading" in result.stdout or "日本語の見出し" in result.stdout
    assert "[blue]deck" in result.stdout
    data = stats_json()
    assert {card["front"] for card in data["hardest"]} <= {
        "[bold]Bold?[/bold]",
        "[red]x[/] " + "a-very-long-term-without-spaces" * 4,
    }


@pytest.mark.parametrize("width", [80, 60, 120])
def test_render_at_a_given_width(db_path: Path, width: int) -> None:
    hostile_history(db_path)
    figures = _figures(db_path)
    console = Console(
        width=width, record=True, file=io.StringIO(), color_system="truecolor", force_terminal=True
    )
    render_stats.render(figures, console)
    text = console.export_text()
    assert_fits(text, width)
    assert "[red]x[/]" in text or "[bold]Bold?[/bold]" in text
    assert "\x1b[" in console.file.getvalue()  # colour when allowed: shading is also in the glyphs


def test_no_color_keeps_the_glyphs(reviewed: Path) -> None:
    figures = _figures(reviewed)
    console = Console(width=80, record=True, file=io.StringIO(), no_color=True, force_terminal=True)
    render_stats.render(figures, console)
    output = console.file.getvalue()
    assert "\x1b[3" not in output  # no foreground colours
    assert any(glyph in output for glyph in "░▒▓█")


def _figures(db_path: Path) -> stats.Stats:
    with Store.open(db_path) as store:
        win = stats.window(TODAY, 30)
        raw = store.stats_rows(
            today=win.today, retention_start=win.retention_start, forecast_end=win.forecast_end,
            heat_start=win.heat_start, deck_id=None, interval_edges=stats.INTERVAL_EDGES,
            mature_days=stats.MATURE_DAYS, learning_reps=stats.LEARNING_REPS, low_ease=START_EASE,
            hardest_limit=stats.HARDEST_LIMIT,
        )  # fmt: skip
    return stats.summarize(raw, win, new_per_day=20, rollover_hour=4)


# -- formatting helpers -----------------------------------------------------------------------------------------


def test_formatting_helpers() -> None:
    assert render_stats.percent(stats.Rate(2, 3)) == "66.7%"
    assert render_stats.percent(stats.Rate(1, 8)) == "12.5%"
    assert render_stats.percent(stats.Rate(0, 0)) == "-"
    assert render_stats.percent(stats.Rate(5, 5)) == "100.0%"
    assert render_stats.ease_text(2500) == "2.50" and render_stats.ease_text(1300) == "1.30"
    assert duration(0) == "0 s" and duration(61_000) == "1 min 01 s" and duration(65_400) == "1 min 05 s"
    assert duration(3_725_000) == "1 h 02 min" and duration(-5) == "0 s"
    assert render_stats.interval_label(stats.Bar(2, 3, 0)) == "2-3"
    assert render_stats.interval_label(stats.Bar(366, None, 0)) == "366+"


def test_heat_levels_are_quartiles_of_active_days() -> None:
    counts = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    thresholds = render_stats.heat_thresholds(counts)
    assert thresholds == (2, 4, 6)
    assert [render_stats.heat_level(count, thresholds) for count in (None, 0, 1, 2, 3, 5, 7, 100)] == [
        0, 0, 1, 1, 2, 3, 4, 4,
    ]  # fmt: skip
    assert render_stats.heat_thresholds([0, 0]) == (0, 0, 0)


def test_bars_scale_with_eighths_and_never_hide_a_nonzero_count() -> None:
    lines = render_stats.bar_lines([("a", 80), ("b", 1), ("c", 0)], width=30)
    assert all(cell_len(line.plain) <= 30 for line in lines)
    assert lines[0].plain.count("█") == 24  # 30 columns less label, count and spaces
    assert lines[1].plain.split()[1] == "▎"  # 1/80 of 24 cells is 2 eighths
    assert lines[2].plain.split() == ["c", "0"]


def test_counts_put_their_noun_in_the_right_number() -> None:
    from dva_cards.humanize import count

    assert count(1, "answer") == "1 answer"
    assert count(0, "answer") == "0 answers"
    assert count(12_580, "due review") == "12,580 due reviews"
    assert count(2, "entry", "entries") == "2 entries"
