"""Every command's `--help` reads right: no Python type names, no `<bool>` on flags, no `{braces}` in usage.

Each help screen (at 80 columns) is also a golden snapshot in tests/golden/help/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from dva_cards.cli import app
from tests.golden import assert_golden


def _command_paths() -> Iterator[tuple[str, ...]]:
    root: Any = typer.main.get_command(app)

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    yield from walk(root, ())


COMMANDS = sorted(_command_paths())
# What Typer or Click print when they describe a parameter by its Python type or choices.
TYPE_WORDS = re.compile(
    r"<[^>]*>|\{[^}]*\}|\b(bool|str|int|float|Path|list\[|INTEGER|FLOAT|BOOLEAN|FILENAME)\b"
)


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path in COMMANDS}
    for expected in ("", "import", "cards", "review", "stats", "export", "suspend", "config set"):
        assert expected in names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "dva-cards")
def test_help_names_no_types_and_matches_its_snapshot(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith(f"Usage: dva-cards {' '.join((*path, '[OPTIONS]'))}".replace("  ", " "))
    assert not TYPE_WORDS.search(text), TYPE_WORDS.search(text)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert_golden(f"help/{'-'.join(path) or 'dva-cards'}.txt", text)


def test_a_flag_takes_no_value() -> None:
    result = CliRunner().invoke(app, ["import", "--dry-run", "true"])
    # `true` is a path here, not the flag's value: the help never suggested otherwise.
    assert result.exit_code != 0
    assert "true" in result.output
