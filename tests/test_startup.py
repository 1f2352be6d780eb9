"""What each command loads: the startup cost, checked without timing.

Timings live in the benchmark (`python -m tests.bench.run`); these tests only pin down the causes it found:
modules that a command does not need must not be imported. The supported Typer range (pinned in
pyproject.toml) reads option values with Click alone; a Typer that converted them through Pydantic would add
more than 0.1 s to every command given an option, and these tests would say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_DECK

PROBE = """
import json, sys
from dva_cards.cli import app
try:
    app(sys.argv[1:], prog_name="dva-cards")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    """Top-level packages imported by `dva-cards ARGS` in a fresh interpreter."""
    return set(_probe(*args)["loaded"])


def modules_loaded_by(*args: str) -> set[str]:
    """Every module (`sys.modules`) imported by `dva-cards ARGS` in a fresh interpreter."""
    return set(_probe(*args)["modules"])


def _probe(*args: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,  # `review` reads keys: end of input ends the session at once
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return dict(report)


@pytest.fixture
def collection(db_path: Path) -> Path:
    from datetime import UTC, datetime

    from dva_cards.importer import import_notes, load_notes
    from dva_cards.store import Store

    with Store.open(db_path) as store:
        import_notes(store, load_notes([BUNDLED_DECK]), datetime(2026, 1, 5, 12, tzinfo=UTC))
    return db_path


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["stats", "--json", "--days", "7", "--deck", "aws-dva"],
        ["cards", "--limit", "1", "--json"],
        ["config", "get", "new-per-day"],
    ],
)
def test_reading_commands_load_neither_markdown_nor_sqlalchemy(collection: Path, args: list[str]) -> None:
    loaded = loaded_by("--db", str(collection), *args)
    assert "dva_cards" in loaded
    assert not loaded & {"markdown_it", "sqlalchemy", "alembic", "sqlmodel", "dateutil", "pydantic"}


def test_help_and_version_load_no_collection_code() -> None:
    assert not loaded_by("--version") & {"pydantic", "markdown_it", "rich", "sqlite3", "sqlalchemy"}
    assert not loaded_by("--help") & {"pydantic", "sqlite3", "sqlalchemy"}  # Typer draws help with Rich
    assert not loaded_by("stats", "--help") & {"sqlite3", "sqlalchemy"}


def test_import_loads_markdown_but_not_sqlalchemy(collection: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# S\n\n* **Term** - the answer\n", encoding="utf-8")
    loaded = loaded_by("--db", str(collection), "import", str(notes), "--deck", "d")
    assert "markdown_it" in loaded  # creating a collection would load SQLModel and Alembic: not here
    assert not loaded & {"sqlalchemy", "alembic"}
    assert "multiprocessing" not in loaded  # a small file is parsed here, by no worker process
    # Imported again unchanged, nothing is parsed: markdown-it is not even loaded.
    assert not loaded_by("--db", str(collection), "import", str(notes), "--deck", "d") & {"markdown_it"}


FITTING = {"numpy", "dva_cards.fsrs_optimizer"}  # `optimize` alone needs them


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["review"], ["stats"], ["stats", "--json"]])
def test_help_version_review_and_stats_never_load_the_optimizer(collection: Path, args: list[str]) -> None:
    modules = modules_loaded_by("--db", str(collection), *args)
    assert not modules & FITTING


def test_review_under_fsrs_loads_the_model_but_not_the_optimizer(collection: Path) -> None:
    from tests.helpers import run

    assert run("--db", str(collection), "config", "set", "scheduler", "fsrs").exit_code == 0
    modules = modules_loaded_by("--db", str(collection), "review")
    assert "dva_cards.fsrs" in modules and not modules & FITTING


EXAM_PLANNER = {"dva_cards.exam", "dva_cards.exam_planning", "dva_cards.exam_inputs", "dva_cards.exam_report"}


@pytest.mark.parametrize("args", [["review"], ["stats"], ["stats", "--json"]])
def test_review_and_stats_without_an_exam_never_load_the_exam_planner(
    collection: Path, args: list[str]
) -> None:
    modules = modules_loaded_by("--db", str(collection), *args)
    assert "dva_cards" in {name.split(".")[0] for name in modules}
    assert not modules & EXAM_PLANNER


def test_stats_with_an_exam_set_loads_the_planner(collection: Path) -> None:
    from datetime import date, timedelta

    from tests.helpers import run

    exam_day = (date.today() + timedelta(days=30)).isoformat()
    assert run("--db", str(collection), "exam", "set", exam_day).exit_code == 0
    assert {"dva_cards.exam", "dva_cards.exam_planning"} <= modules_loaded_by(
        "--db", str(collection), "stats"
    )


SYNC = {
    "psycopg",
    "psycopg_binary",
    "dva_cards.sync_server",
    "dva_cards.sync_local",
}  # `sync` alone needs them


@pytest.mark.parametrize("args", [["--help"], ["review"], ["stats"], ["cards"]])
def test_only_sync_loads_the_postgresql_driver(collection: Path, args: list[str]) -> None:
    modules = modules_loaded_by("--db", str(collection), *args)
    assert not modules & SYNC
