"""`dva-cards sync` as the learner sees it, in a real pseudo-terminal (pexpect): the progress bar of a large
first sync is drawn on a terminal, and never where stderr is a file or the output is `--json`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run, write

pexpect = pytest.importorskip("pexpect")

CARDS = 2500  # past the rows from which a sync shows its bar
BAR = r"sync\s.*\d+/\d+"  # Rich's bar: the label, the bar, rows done / rows in all


def big_machine(root: Path, name: str) -> Path:
    db = root / name / "collection.db"
    bullets = "".join(f"- **term {n}** - meaning {n}\n" for n in range(CARDS))
    notes = write(root / name / "notes" / "big.md", f"# Big\n\n{bullets}")
    result = run("--db", str(db), "import", str(notes))
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def spawn(isolated_home: Path) -> Iterator[Callable[..., Any]]:
    children: list[Any] = []

    def start(db: Path, *args: str, stderr_to: Path | None = None) -> Any:
        env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
        # A learner's terminal (Rich draws no live bar on a "dumb" one), without colours.
        env.update(HOME=str(isolated_home), TERM="xterm", NO_COLOR="1")
        command = [sys.executable, "-m", "dva_cards", "--db", str(db), "sync", *args]
        if stderr_to is not None:  # stdout still the terminal, stderr a file
            line = " ".join(f"'{part}'" for part in command)
            command = ["/bin/sh", "-c", f"exec {line} 2>'{stderr_to}'"]
        child = pexpect.spawn(
            command[0], command[1:], env=env, dimensions=(30, 100), encoding="utf-8", timeout=60
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def finish(child: Any) -> str:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def test_a_large_first_sync_shows_a_bar_on_the_terminal_both_ways(
    tmp_path: Path, pg_url: str, spawn: Callable[..., Any]
) -> None:
    first = spawn(big_machine(tmp_path, "a"), pg_url)
    first.expect(BAR)  # sending 2,500 cards
    assert f"sent: {CARDS:,} cards" in finish(first)
    fresh = spawn(tmp_path / "b" / "collection.db", pg_url)
    fresh.expect(BAR)  # a new machine receiving them
    assert f"received: {CARDS:,} cards" in finish(fresh)
    again = spawn(tmp_path / "b" / "collection.db", pg_url)  # a day's sync: no bar
    shown = finish(again)
    assert "received: nothing" in shown and "/" not in shown.replace(pg_url, "")


def test_no_bar_when_stderr_is_not_a_terminal_or_the_output_is_json(
    tmp_path: Path, pg_url: str, spawn: Callable[..., Any]
) -> None:
    errors = tmp_path / "stderr.txt"
    redirected = spawn(big_machine(tmp_path, "a"), pg_url, stderr_to=errors)
    shown = finish(redirected)
    assert f"sent: {CARDS:,} cards" in shown and "━" not in shown
    assert errors.read_text() == ""
    # A new machine, so every card comes in (with the same notes on both, which side's equal write wins the
    # clock's tie would depend on the machines' random ids).
    as_json = spawn(tmp_path / "b" / "collection.db", pg_url, "--json")
    printed = json.loads(finish(as_json))  # the terminal got the JSON object and nothing else
    assert printed["sent"]["cards"] == 0 and printed["received"]["cards"] == CARDS
