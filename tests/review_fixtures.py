"""Shared pieces of the review tests: a small collection, a settable clock, scripted keys, raw card rows."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from dva_cards.clock import learner_today
from dva_cards.importer import import_notes, load_notes
from dva_cards.store import Store
from tests.helpers import write

NOTES = """# Compute
* **EC2** - virtual machines
* **Lambda** - functions
    * *Timeout* - up to 15 minutes
* **ASG** - **Auto Scaling Groups** - scale instances

# Storage
* **S3** - object storage
* **EBS** - block storage
"""
FRONTS = ["EC2", "Lambda", "Timeout", "ASG", "S3", "EBS"]  # source order
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def in_days(days: int) -> str:
    """The learner's day ``days`` from today, as the CLI takes a date."""
    return (learner_today(datetime.now(UTC)) + timedelta(days=days)).isoformat()


def import_text(store: Store, notes: Path, text: str = NOTES, deck: str = "aws") -> Path:
    write(notes, text)
    import_notes(store, load_notes([notes]), datetime(2026, 3, 1, 9, 0, tzinfo=UTC), deck=deck)
    return notes


def ids_by_front(store: Store) -> dict[str, str]:
    rows = store.connection.execute("SELECT front, id FROM card")
    return {front: card_id for front, card_id in rows}


def set_card(store: Store, card_id: str, **columns: Any) -> None:
    names = ", ".join(f"{name} = ?" for name in columns)
    with store.transaction():
        store.connection.execute(f"UPDATE card SET {names} WHERE id = ?", (*columns.values(), card_id))


# A card's sync clock records each write to its flags as a write (an undo too), so it is not part of "as it was".
SYNC_CLOCK_COLUMNS = ("clock", "clock_device")


def card_row(connection: sqlite3.Connection, card_id: str) -> tuple[Any, ...]:
    columns = [
        row[1] for row in connection.execute("PRAGMA table_info(card)") if row[1] not in SYNC_CLOCK_COLUMNS
    ]
    row = connection.execute(f"SELECT {', '.join(columns)} FROM card WHERE id = ?", (card_id,)).fetchone()
    assert row is not None
    return tuple(row)


def review_rows(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    cursor = connection.execute("SELECT * FROM review ORDER BY id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class Clock:
    """A clock the test moves by hand (and scripted keys move on each key)."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class ScriptedKeys:
    """Keys from a list; each key takes `step` seconds on the clock. Then EOFError, like a closed pipe.

    A key may be an exception instance (KeyboardInterrupt()) to raise it at that point.
    """

    def __init__(
        self, keys: Iterable[str | BaseException], clock: Clock | None = None, step: float = 2.0
    ) -> None:
        self.keys = list(keys)
        self.clock = clock
        self.step = step
        self.paused_count = 0

    def read_key(self) -> str:
        if self.clock is not None:
            self.clock.advance(self.step)
        if not self.keys:
            raise EOFError
        key = self.keys.pop(0)
        if isinstance(key, BaseException):
            raise key
        return key

    def paused(self) -> AbstractContextManager[None]:
        self.paused_count += 1
        return nullcontext()


def make_console(width: int = 100) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=False, color_system=None, highlight=False), out
