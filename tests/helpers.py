"""Shared test helpers: run the CLI, dump a collection's content for before/after comparisons."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dva_cards import importer
from dva_cards.cli import app
from dva_cards.store import Store

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal dumps mean equal collection content."""
    if not path.exists():
        return {}
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        connection.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def garble_table(path: Path, table: str) -> None:
    """Damage a collection: the first page of `table`'s b-tree overwritten (the WAL checkpointed first)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    connection.close()
    with path.open("r+b") as handle:
        handle.seek(page_size * (root - 1))
        handle.write(b"\xde\xad" * 16)


def import_meanwhile(
    monkeypatch: pytest.MonkeyPatch, notes: Path, db: Path, text: str, then: str, now: datetime
) -> None:
    """The next import, once it has read its notes ahead of the write lock, lets another import (parsing as
    usual) record `text` for `notes` first; `notes` then holds `then` again."""
    fill = importer._ReadAhead.fill
    interleaved: list[bool] = []

    def read_then_another_import(self: importer._ReadAhead) -> None:
        fill(self)
        if not interleaved:
            interleaved.append(True)
            notes.write_text(text, encoding="utf-8")
            with Store.open(db) as other:
                importer.import_notes(other, importer.load_notes([notes]), now)
            notes.write_text(then, encoding="utf-8")

    monkeypatch.setattr(importer._ReadAhead, "fill", read_then_another_import)
