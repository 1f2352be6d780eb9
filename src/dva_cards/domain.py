"""The records that cross the store boundary, each with its one JSON shape. Pure values, no I/O.

The store turns rows into these records and these records into rows; commands render them. A card's JSON is
written here once, so `cards --json` and `import --dry-run --json` cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .scheduler import START_EASE


@dataclass(frozen=True)
class CardRow:
    """A card as `cards` lists it: its place in the notes, its schedule and its flags."""

    id: str
    deck: str
    context: str
    front: str
    back: str
    source: str
    line: int
    reps: int = 0
    ease: int = START_EASE
    interval: int = 0
    due: date | None = None
    lapses: int = 0
    suspended: bool = False
    retired: bool = False
    leech: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "deck": self.deck, "context": self.context, "front": self.front, "back": self.back,
            "source": self.source, "line": self.line, "reps": self.reps, "ease": self.ease,
            "interval": self.interval, "due": None if self.due is None else self.due.isoformat(),
            "lapses": self.lapses, "suspended": self.suspended, "retired": self.retired, "leech": self.leech,
        }  # fmt: skip


@dataclass(frozen=True)
class SkippedRow:
    """A bullet of a notes file that looked like a definition but had nothing to learn."""

    source: str
    line: int
    reason: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason, "text": self.text}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SkippedRow:
        return cls(str(value["source"]), int(value["line"]), str(value["reason"]), str(value["text"]))
