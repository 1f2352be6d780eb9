"""Output piped into a reader that stops early (`| head`) ends quietly and successfully."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_DECK


@pytest.mark.parametrize("command", [["cards"], ["cards", "--json"]])
def test_reader_closing_the_pipe_early_is_not_an_error(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "DVA_CARDS_DB": str(tmp_path / "c.db"), "COLUMNS": "200"}
    dva_cards = [sys.executable, "-m", "dva_cards"]
    subprocess.run([*dva_cards, "import", str(BUNDLED_DECK)], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*dva_cards, *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()  # far less than the output, which overflows the pipe buffer
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert errors == b""
