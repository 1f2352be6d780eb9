"""The collection's schema as SQLModel tables: the only place with `table=True`.

These classes are the schema's source of truth: Alembic's env reads their metadata and a test checks that
a collection migrated to head matches them. Runtime queries go through `store.py` on the standard sqlite3
driver, because importing SQLAlchemy alone costs more than the whole `stats` budget.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from .scheduler import START_EASE


class Deck(SQLModel, table=True):
    __tablename__ = "deck"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Card(SQLModel, table=True):
    __tablename__ = "card"
    __table_args__ = (
        # The review queue: due cards and new cards among the active ones.
        Index("ix_card_due", "due", sqlite_where=text("retired_at IS NULL AND suspended = 0")),
        Index(
            "ix_card_new",
            "deck_id",
            "source",
            "line",
            sqlite_where=text("due IS NULL AND retired_at IS NULL"),
        ),
        # Sync: the cards one file of one deck produced.
        Index("ix_card_deck_source", "deck_id", "source"),
        Index("ix_card_drill", "id", sqlite_where=text("drill = 1 AND retired_at IS NULL")),
        # Stats: card counts from an index scan (hardest cards last), contexts of reviewed cards by id.
        Index(
            "ix_card_stats",
            "lapses",
            "ease",
            "deck_id",
            "interval",
            "reps",
            "due",
            "drill",
            "buried_until",
            "leech",
            "suspended",
            "retired_at",
        ),
        Index("ix_card_context", "id", "context", "deck_id"),
        # Stats: today's predicted recall from the index alone.
        Index(
            "ix_card_memory",
            "deck_id",
            "context",
            "stability",
            "memory_day",
            sqlite_where=text("stability IS NOT NULL AND retired_at IS NULL AND suspended = 0"),
        ),
        # Exam planning: every active card's place in the notes and its memory, in notes order; only its query
        # says `line IS NOT NULL` (true of every card), so no other query picks this index.
        Index(
            "ix_card_exam",
            "deck_id",
            "source",
            "line",
            "id",
            "context",
            "due",
            "stability",
            "difficulty",
            "memory_day",
            sqlite_where=text("retired_at IS NULL AND suspended = 0 AND line IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=16)  # digest of deck, context, term, occurrence
    deck_id: int = Field(foreign_key="deck.id")
    source: str  # absolute path of the notes file
    line: int
    context: str  # heading path and ancestor terms joined by " › "
    front: str
    back: str
    content_hash: str
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None = None
    suspended: bool = False
    buried_until: date | None = None
    leech: bool = False
    # SM-2 state
    reps: int = 0
    ease: int = START_EASE  # thousandths
    interval: int = 0
    due: date | None = None
    drill: bool = False
    lapses: int = 0
    last_review: datetime | None = None
    # FSRS memory (null until the card's first non-cram answer), kept under either scheduler
    stability: float | None = None  # days until predicted recall falls to 90 %
    difficulty: float | None = None  # 1-10
    memory_day: date | None = None  # the learner day of the answer that set them
    # Sync: the logical time of the last write to the shared content (deck, context, front, back, retired_at,
    # suspended, buried_until, leech) and the machine that made it (NULL: this one). NULL clock: written here
    # since the last sync (trigger card_sync_update marks it; a new card is born so); a sync stamps it.
    clock: int | None = None
    clock_device: str | None = None


class Review(SQLModel, table=True):
    """One answer. The state before and after make undo exact and stats free of recomputation.

    Rows are kept when their card is pruned: the learner's past work stays in the heatmap.
    """

    __tablename__ = "review"
    __table_args__ = (
        Index("ix_review_day", "day", "kind"),
        Index("ix_review_card", "card_id", "id"),
        # `stats --deck`: one deck's answers day by day in one index range.
        Index("ix_review_deck_day", "deck_id", "day", "kind"),
        # Sync: an answer's global id, and this machine's answers after the last one sent.
        Index("ix_review_uid", "uid", unique=True),
        Index("ix_review_clock", "clock", sqlite_where=text("device IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_id: str
    reviewed_at: datetime  # UTC
    day: date  # the learner's day it counted for (local date with rollover)
    quality: int
    kind: str  # review | drill | cram
    duration_ms: int = 0
    reps_before: int
    ease_before: int
    interval_before: int
    due_before: date | None = None
    drill_before: bool
    lapses_before: int
    leech_before: bool = False
    suspended_before: bool = False
    reps_after: int
    ease_after: int
    interval_after: int
    due_after: date | None = None
    drill_after: bool
    lapses_after: int
    stability_before: float | None = None
    difficulty_before: float | None = None
    stability_after: float | None = None
    difficulty_after: float | None = None
    # Its card's deck, filled in by the database when the row is written (trigger review_deck); it stays
    # when the card is pruned. NULL for answers of cards pruned before this column existed.
    deck_id: int | None = None
    # Sync: the answer's global id (random, given by the database on insert), the machine that gave it (NULL:
    # this one) and the logical time it was written at (0 for answers that came by sync).
    uid: str | None = None
    device: str | None = None
    clock: int | None = None


class SourceFile(SQLModel, table=True):
    """What was last imported from one notes file, so an unchanged file is skipped by its hash."""

    __tablename__ = "source_file"

    deck_id: int = Field(foreign_key="deck.id", primary_key=True)
    path: str = Field(primary_key=True)
    content_hash: str
    skipped_json: str = "[]"
    imported_at: datetime


class SourceSection(SQLModel, table=True):
    """What one section of a notes file yielded (JSON, see sections.py), under the hash of its text: a
    changed file parses only the sections whose hash is new."""

    __tablename__ = "source_section"

    deck_id: int = Field(foreign_key="deck.id", primary_key=True)
    path: str = Field(primary_key=True)
    hash: str = Field(primary_key=True)
    result: str


class Setting(SQLModel, table=True):
    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: str
    clock: int | None = None  # sync: as Card.clock (NULL for the `sync-*` keys, which stay on the machine)
    clock_device: str | None = None


class SyncClock(SQLModel, table=True):
    """The collection's Lamport counter: one row, advanced by every shared write and past every clock a sync
    receives."""

    __tablename__ = "sync_clock"

    id: int = Field(primary_key=True)
    counter: int


class CardTombstone(SQLModel, table=True):
    """A pruned card, as a write that syncs (device NULL: this machine's)."""

    __tablename__ = "card_tombstone"

    card_id: str = Field(primary_key=True)
    clock: int
    device: str | None = None


class SettingTombstone(SQLModel, table=True):
    """An unset setting, as a write that syncs."""

    __tablename__ = "setting_tombstone"

    key: str = Field(primary_key=True)
    clock: int
    device: str | None = None


class ReviewTombstone(SQLModel, table=True):
    """An undone answer, so that it is undone on every machine."""

    __tablename__ = "review_tombstone"

    uid: str = Field(primary_key=True)
    clock: int
    device: str | None = None
