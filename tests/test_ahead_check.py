"""The check before an import's first write runs on a thread of its own while the notes are parsed, and never
while the import forks its parsers."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from dva_cards import collection, parse_pool
from dva_cards.collection import AheadCheck, allow_writes
from dva_cards.errors import CollectionError
from dva_cards.importer import import_notes, load_notes
from dva_cards.store import Store
from tests.helpers import garble_table

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CHECKER = "dva-cards quick_check"


def _collection(tmp_path: Path) -> Path:
    db = tmp_path / "collection.db"
    notes = tmp_path / "notes.md"
    notes.write_text("# AWS\n\n* **EC2** - virtual machines\n* **S3** - object storage\n", encoding="utf-8")
    with Store.open(db) as store:
        import_notes(store, load_notes([notes]), NOW)
    return db


def test_the_check_ahead_finds_what_the_check_before_writing_finds(tmp_path: Path) -> None:
    db = _collection(tmp_path)
    assert AheadCheck(db).problems() == []
    garble_table(db, "card")
    # SQLite may list the damage or fail on it: either way, the collection is not written.
    assert AheadCheck(db).problems() != []
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(CollectionError, match="damaged"):
            allow_writes(connection, db, AheadCheck(db))
    finally:
        connection.close()


def test_an_import_checks_its_collection_on_the_checking_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _collection(tmp_path)
    checked_on: list[str] = []
    check = collection.integrity_problems

    def recording(connection: sqlite3.Connection, *, quick: bool) -> list[str]:
        checked_on.append(threading.current_thread().name)
        return check(connection, quick=quick)

    monkeypatch.setattr(collection, "integrity_problems", recording)
    notes = tmp_path / "more.md"
    notes.write_text("# More\n\n* **SQS** - queues\n", encoding="utf-8")
    with Store.open(db) as store:
        assert import_notes(store, load_notes([notes]), NOW).counts.added == 1
    assert checked_on == [CHECKER]


def test_parsers_are_forked_only_once_the_check_has_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _collection(tmp_path)
    check = collection.integrity_problems

    def slow(connection: sqlite3.Connection, *, quick: bool) -> list[str]:
        time.sleep(0.3)
        return check(connection, quick=quick)

    threads_at_fork: list[list[str]] = []
    fork = os.fork

    def forking() -> int:
        threads_at_fork.append([thread.name for thread in threading.enumerate()])
        return fork()

    monkeypatch.setattr(collection, "integrity_problems", slow)
    monkeypatch.setattr(os, "fork", forking)
    ahead = AheadCheck(db)

    def work(writer: Connection) -> None:
        writer.send("done")

    pid, reader = parse_pool._fork(work)
    try:
        assert reader.recv() == "done"
    finally:
        reader.close()
        os.waitpid(pid, 0)
    assert threads_at_fork and CHECKER not in threads_at_fork[0]
    assert ahead.problems() == []
