"""The collection's data access: every SQL statement of the application lives here.

Writes happen in short explicit transactions (`BEGIN IMMEDIATE` … `COMMIT`) so a concurrent reader or writer
waits on the busy timeout instead of failing, and a failure anywhere rolls the whole unit back.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .collection import connect
from .errors import CollectionError, UserError
from .extract import CardDraft, Skipped, normalize_term
from .identity import card_id, content_hash, join_context


def sql_datetime(moment: datetime) -> str:
    """UTC timestamps as SQLAlchemy writes them for SQLite, so both sides read each other's rows."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def sql_date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def parse_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass
class SyncCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    restored: int = 0
    pruned: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)  # what a dry run would write

    def add(self, other: SyncCounts) -> None:
        for name in ("added", "updated", "unchanged", "retired", "restored", "pruned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.extend(other.skipped)
        self.cards.extend(other.cards)


@dataclass(frozen=True)
class _Existing:
    source: str
    line: int
    content_hash: str
    retired: bool


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        return cls(connect(path), path)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[None]:
        """One unit of work. `rollback=True` runs it for real and then undoes it (dry runs)."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _busy(self.path, error) from None
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        if rollback:
            self.connection.execute("ROLLBACK")
            return
        try:
            self.connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            self.connection.execute("ROLLBACK")
            raise _busy(self.path, error) from None

    # -- decks ----------------------------------------------------------------------------------------------

    def deck_id(self, name: str) -> int | None:
        row = self.connection.execute("SELECT id FROM deck WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def require_deck(self, name: str) -> int:
        found = self.deck_id(name)
        if found is None:
            known = ", ".join(self.deck_names()) or "none yet"
            raise UserError(f"unknown deck {name!r} (decks: {known})")
        return found

    def ensure_deck(self, name: str) -> int:
        found = self.deck_id(name)
        if found is not None:
            return found
        cursor = self.connection.execute("INSERT INTO deck (name) VALUES (?)", (name,))
        return int(cursor.lastrowid or 0)

    def deck_names(self) -> list[str]:
        return [row[0] for row in self.connection.execute("SELECT name FROM deck ORDER BY name")]

    def card_count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM card").fetchone()[0])

    # -- import ---------------------------------------------------------------------------------------------

    def unchanged_file(self, deck: str, source: str, file_hash: str) -> list[dict[str, Any]] | None:
        """The skipped items recorded for this file if it was imported with exactly these bytes, else None."""
        row = self.connection.execute(
            "SELECT s.content_hash, s.skipped_json FROM source_file s JOIN deck d ON d.id = s.deck_id "
            "WHERE d.name = ? AND s.path = ?",
            (deck, source),
        ).fetchone()
        if row is None or row[0] != file_hash:
            return None
        skipped: list[dict[str, Any]] = json.loads(row[1])
        return skipped

    def active_card_count(self, deck: str, source: str) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM card c JOIN deck d ON d.id = c.deck_id "
            "WHERE d.name = ? AND c.source = ? AND c.retired_at IS NULL",
            (deck, source),
        ).fetchone()
        return int(row[0])

    def sync_file(
        self,
        deck: str,
        source: str,
        file_hash: str,
        drafts: Sequence[CardDraft],
        skipped: Sequence[Skipped],
        now: datetime,
        claimed: set[str],
        *,
        collect_cards: bool = False,
    ) -> SyncCounts:
        """Bring the cards of one notes file in line with its drafts. Runs inside the caller's transaction.

        `claimed` holds the ids other files of this import already took, so equal terms in equal contexts
        of two files in one deck stay two cards.
        """
        deck_id = self.ensure_deck(deck)
        existing = self._existing_cards(deck_id)
        stamp = sql_datetime(now)
        counts = SyncCounts()
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for draft in drafts:
            identity = self._free_id(deck, draft, source, existing, claimed)
            claimed.add(identity)
            seen.add(identity)
            context = join_context(draft.context)
            digest = content_hash(draft.front, draft.back)
            before = existing.get(identity)
            if before is None:
                counts.added += 1
                if collect_cards:
                    counts.cards.append(_draft_json(identity, deck, context, draft, source))
                inserts.append(
                    (
                        identity,
                        deck_id,
                        source,
                        draft.line,
                        context,
                        draft.front,
                        draft.back,
                        digest,
                        stamp,
                        stamp,
                    )
                )
                continue
            if before.retired:
                counts.restored += 1
            elif before.content_hash != digest:
                counts.updated += 1
            else:
                counts.unchanged += 1
                if before.source == source and before.line == draft.line:
                    continue
            updates.append((source, draft.line, context, draft.front, draft.back, digest, stamp, identity))
        self.connection.executemany(
            "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
            "updated_at, suspended, leech, reps, ease, interval, drill, lapses) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 2500, 0, 0, 0)",
            inserts,
        )
        # The schedule columns are left alone: an edited definition keeps its history.
        self.connection.executemany(
            "UPDATE card SET source = ?, line = ?, context = ?, front = ?, back = ?, content_hash = ?, "
            "updated_at = ?, retired_at = NULL WHERE id = ?",
            updates,
        )
        gone = [
            (stamp, identity)
            for identity, before in existing.items()
            if before.source == source and not before.retired and identity not in seen
        ]
        self.connection.executemany("UPDATE card SET retired_at = ? WHERE id = ?", gone)
        counts.retired = len(gone)
        counts.skipped = [_skipped_json(item, source) for item in skipped]
        self.connection.execute(
            "INSERT INTO source_file (deck_id, path, content_hash, skipped_json, imported_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (deck_id, path) DO UPDATE SET "
            "content_hash = excluded.content_hash, skipped_json = excluded.skipped_json, "
            "imported_at = excluded.imported_at",
            (deck_id, source, file_hash, json.dumps(counts.skipped), stamp),
        )
        return counts

    def prune(self, deck: str, source: str) -> int:
        """Delete the retired cards of one file. Their review rows stay, so past work still counts."""
        cursor = self.connection.execute(
            "DELETE FROM card WHERE retired_at IS NOT NULL AND source = ? "
            "AND deck_id = (SELECT id FROM deck WHERE name = ?)",
            (source, deck),
        )
        return cursor.rowcount

    def _existing_cards(self, deck_id: int) -> dict[str, _Existing]:
        rows = self.connection.execute(
            "SELECT id, source, line, content_hash, retired_at IS NOT NULL FROM card WHERE deck_id = ?",
            (deck_id,),
        )
        return {row[0]: _Existing(row[1], row[2], row[3], bool(row[4])) for row in rows}

    def _free_id(
        self, deck: str, draft: CardDraft, source: str, existing: dict[str, _Existing], claimed: set[str]
    ) -> str:
        """The draft's id, unless a live card of another file that still exists already holds it."""
        term = normalize_term(draft.front)
        occurrence = draft.occurrence
        while True:
            identity = card_id(deck, draft.context, term, occurrence)
            holder = existing.get(identity)
            taken_by_other_file = (
                holder is not None
                and holder.source != source
                and not holder.retired
                and os.path.exists(holder.source)
            )
            if identity not in claimed and not taken_by_other_file:
                return identity
            occurrence += 1

    # -- browsing -------------------------------------------------------------------------------------------

    def cards(
        self,
        *,
        deck: str | None = None,
        search: str | None = None,
        include_retired: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if deck is not None:
            where.append("c.deck_id = ?")
            params.append(self.require_deck(deck))
        if not include_retired:
            where.append("c.retired_at IS NULL")
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(c.front LIKE ? ESCAPE '\\' OR c.back LIKE ? ESCAPE '\\' OR c.context LIKE ? ESCAPE '\\')"
            )
            params.extend([pattern, pattern, pattern])
        sql = (
            "SELECT c.id, d.name, c.context, c.front, c.back, c.source, c.line, c.reps, c.ease, c.interval, "
            "c.due, c.lapses, c.suspended, c.retired_at IS NOT NULL, c.leech FROM card c "
            "JOIN deck d ON d.id = c.deck_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.name, c.source, c.line, c.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        keys = (
            "id", "deck", "context", "front", "back", "source", "line", "reps", "ease", "interval", "due",
            "lapses", "suspended", "retired", "leech",
        )  # fmt: skip
        result = []
        for row in self.connection.execute(sql, params):
            card = dict(zip(keys, row, strict=True))
            for flag in ("suspended", "retired", "leech"):
                card[flag] = bool(card[flag])
            result.append(card)
        return result

    # -- settings -------------------------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM setting").fetchall())

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.connection.execute(
                "INSERT INTO setting (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def unset_setting(self, key: str) -> None:
        with self.transaction():
            self.connection.execute("DELETE FROM setting WHERE key = ?", (key,))


def _busy(path: Path, error: sqlite3.OperationalError) -> CollectionError:
    if "locked" in str(error) or "busy" in str(error):
        return CollectionError(f"collection {path} is busy: another dva-cards is writing to it; try again")
    return CollectionError(f"collection {path}: {error}")


def _draft_json(identity: str, deck: str, context: str, draft: CardDraft, source: str) -> dict[str, Any]:
    return {
        "id": identity, "deck": deck, "context": context, "front": draft.front, "back": draft.back,
        "source": source, "line": draft.line, "reps": 0, "ease": 2500, "interval": 0, "due": None,
        "lapses": 0, "suspended": False, "retired": False,
    }  # fmt: skip


def _skipped_json(item: Skipped, source: str) -> dict[str, Any]:
    return {"source": source, "line": item.line, "reason": item.reason, "text": item.text}
