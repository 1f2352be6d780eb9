"""The collection's data access: every SQL statement of the application lives here.

Writes happen in short explicit transactions (`BEGIN IMMEDIATE` … `COMMIT`) so a concurrent reader or writer
waits on the busy timeout instead of failing, and a failure anywhere rolls the whole unit back.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .card_state import (
    ACTIVE,
    AVAILABLE,
    CATEGORY_RULES,
    DUE_BY_DAY,
    NEVER_SCHEDULED,
    SELECTS,
    STATE_RULES,
    AnswerKind,
    CardState,
    Grade,
    StatsCategory,
    case_sql,
)
from .collection import (
    SCHEMA_HEAD,
    AheadCheck,
    allow_writes,
    check_ahead,
    connect,
    copy_collection,
    schema_revision,
)
from .domain import (
    Answer,
    CardGroup,
    CardRow,
    CardSchedule,
    HardCard,
    MemoryRow,
    RetentionRow,
    ReviewCard,
    SkippedRow,
    StatsRows,
    TodayRow,
)
from .errors import CardChanged, CardGone, CollectionError, UserError
from .fsrs import CardMemory, MemoryState, Review
from .identity import CONTEXT_SEPARATOR
from .scheduler import START_EASE, SM2State
from .session import CardInfo

if TYPE_CHECKING:  # only `import` reconciles: reading commands start without it
    from .exam_inputs import PlannedCard
    from .reconcile import CardWrite, ExistingCard, FilePlan
    from .replay import CardLog, Disagreement
    from .sections import Layout, SectionResult


# -- the one place where dates and instants become stored text and back ------------------------------------------


def sql_datetime(moment: datetime) -> str:
    """An aware instant as the UTC text SQLAlchemy writes for SQLite, so both sides read each other's rows."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sql_date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def parse_date(value: str | None) -> date | None:
    return None if value is None else read_date(value)


def read_date(value: str) -> date:
    """A stored day (ISO text, compared as text in SQL: the order of the dates)."""
    return date.fromisoformat(value)


# Set by the first sync that brings another machine's answers: the log is then in every machine's order.
MERGED_LOG_KEY = "sync-merged-log"


class Store:
    """The collection, read through a connection that cannot write until the first write transaction has
    verified the collection (`collection.allow_writes`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, *, writable: bool = False) -> None:
        self.connection = connection
        self.path = path
        self.writable = writable
        self._merged: bool | None = None  # whether the log holds other machines' answers (see log_order)
        self._ahead: AheadCheck | None = None

    def check_ahead(self) -> None:
        """Start verifying the collection for the first write now, so the check runs while the caller works
        (`collection.AheadCheck`)."""
        if not self.writable and self._ahead is None:
            self._ahead = check_ahead(self.path)

    @classmethod
    def open(cls, path: Path) -> Store:
        return cls(connect(path), path)

    def _make_writable(self) -> None:
        if not self.writable:
            allow_writes(self.connection, self.path, self._ahead)
            self.writable = True

    @classmethod
    @contextmanager
    def for_dry_run(cls, path: Path) -> Iterator[Store]:
        """The collection at `path` when it is current; otherwise a throwaway one -- new, or a copy of an
        older collection upgraded in a temporary directory: a dry run creates and migrates nothing."""
        revision = schema_revision(path)
        if revision == SCHEMA_HEAD:
            with cls.open(path) as store:
                yield store
            return
        import tempfile

        with tempfile.TemporaryDirectory(prefix="dva-cards-dry-run-") as tmp:
            scratch = Path(tmp) / "collection.db"
            if revision is not None:
                copy_collection(path, scratch)
            with cls.open(scratch) as store:
                yield store

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.problems()  # its thread ends before the process does
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[None]:
        """One unit of work. `rollback=True` runs it for real and then undoes it (dry runs)."""
        self._make_writable()
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _busy(self.path, error) from None
        try:
            yield
        except BaseException:
            # SQLite may have rolled back already (a full disk, an I/O error): the cause must not be lost
            # behind "cannot rollback - no transaction is active".
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        if rollback:
            self.connection.execute("ROLLBACK")
            return
        try:
            self.connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise _busy(self.path, error) from None

    def log_order(self, alias: str = "", *, descending: bool = False) -> str:
        """The order of the review log (docs/rules.md, "Sync between machines"): the order the answers were
        written in (their row id) until a sync brings another machine's answers; from then on every machine's
        order, by time with ties broken by the answers' global ids."""
        merged = self.log_merged()
        way = " DESC" if descending else ""
        prefix = f"{alias}." if alias else ""
        if merged:
            return f"{prefix}reviewed_at{way}, {prefix}uid{way}"
        return f"{prefix}id{way}"

    def log_merged(self) -> bool:
        """Whether a sync has brought another machine's answers into the log (see `log_order`)."""
        if self._merged is None:
            row = self.connection.execute("SELECT 1 FROM setting WHERE key = ?", (MERGED_LOG_KEY,)).fetchone()
            self._merged = row is not None
        return self._merged

    def mark_log_merged(self) -> None:
        """Another machine's answers are in the log now (inside the caller's transaction)."""
        self.connection.execute(
            "INSERT OR IGNORE INTO setting (key, value) VALUES (?, '1')", (MERGED_LOG_KEY,)
        )
        self._merged = True

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

    # -- import ---------------------------------------------------------------------------------------------

    def unchanged_file(self, deck: str, source: str, file_hash: str) -> list[SkippedRow] | None:
        """The skipped items recorded for this file if it was imported with exactly these bytes, else None."""
        row = self.connection.execute(
            "SELECT s.content_hash, s.skipped_json FROM source_file s JOIN deck d ON d.id = s.deck_id "
            "WHERE d.name = ? AND s.path = ?",
            (deck, source),
        ).fetchone()
        if row is None or row[0] != file_hash:
            return None
        return [SkippedRow.from_json(item) for item in json.loads(row[1])]

    def recorded_hash(self, deck: str, source: str) -> str | None:
        """The fingerprint recorded at the file's last import into `deck` (None: never imported there)."""
        row = self.connection.execute(
            "SELECT s.content_hash FROM source_file s JOIN deck d ON d.id = s.deck_id "
            "WHERE d.name = ? AND s.path = ?",
            (deck, source),
        ).fetchone()
        return None if row is None else str(row[0])

    def deck_holds(self, deck_id: int) -> tuple[bool, bool]:
        """Whether the deck holds any card, and any live one."""
        row = self.connection.execute(
            "SELECT EXISTS (SELECT 1 FROM card WHERE deck_id = ?), "
            "EXISTS (SELECT 1 FROM card WHERE deck_id = ? AND retired_at IS NULL)",
            (deck_id, deck_id),
        ).fetchone()
        return bool(row[0]), bool(row[1])

    def file_cards(
        self, deck_id: int, source: str, steady: Sequence[tuple[int, int]] = ()
    ) -> tuple[list[ExistingCard], list[tuple[str, int]]]:
        """The cards of one notes file of the deck, read for its import; except its live cards on the `steady`
        line ranges (first and last line; sorted, disjoint), given apart as (id, line): those stay as they
        are and are not read as cards."""
        everything = f"SELECT {_EXISTING_CARD} FROM card WHERE deck_id = ? AND source = ?"
        if not steady:
            return _existing_cards(self.connection.execute(everything, (deck_id, source))), []
        # Which cards stand on the ranges is found here, from their lines alone: asked of SQLite, each card
        # would be tested against every range.
        firsts = [first for first, _ in steady]
        kept: list[tuple[str, int]] = []
        others: list[str] = []
        rows = self.connection.execute(
            "SELECT id, line, retired_at IS NULL FROM card WHERE deck_id = ? AND source = ?",
            (deck_id, source),
        )
        for identity, line, live in rows:
            index = bisect_right(firsts, line) - 1 if line is not None else -1
            if live and index >= 0 and line <= steady[index][1]:
                kept.append((identity, line))
            else:
                others.append(identity)
        if len(others) > len(kept):  # most of the file: read it whole rather than card by card
            held = {identity for identity, _ in kept}
            cards = _existing_cards(self.connection.execute(everything, (deck_id, source)))
            return [card for card in cards if card.id not in held], kept
        query = f"SELECT {_EXISTING_CARD} FROM card WHERE id IN ({{ids}})"
        return _existing_cards(self._rows_for_ids(query, others)), kept

    def live_card_ids(self, deck_id: int, source: str) -> list[str]:
        """The ids of one notes file's live cards: all an unchanged file's import needs of them."""
        rows = self.connection.execute(
            "SELECT id FROM card WHERE deck_id = ? AND source = ? AND retired_at IS NULL", (deck_id, source)
        )
        return [row[0] for row in rows]

    def deck_cards(self, deck_id: int) -> DeckCards:
        return DeckCards(self, deck_id)

    def card_answers(self, card_ids: Collection[str]) -> dict[str, str]:
        """The stored backs of these cards, by id: what a moved definition is recognised by."""
        return {
            row[0]: row[1]
            for row in self._rows_for_ids("SELECT id, back FROM card WHERE id IN ({ids})", card_ids)
        }

    def write_file_plan(self, deck_id: int, plan: FilePlan, file_hash: str, now: datetime) -> None:
        """Write one file's reconciliation plan, but for its retirements and its prune: the caller writes
        those once they stand (`retire_cards`, `prune`). Runs inside the caller's transaction."""
        if not plan.changed:
            return
        stamp = sql_datetime(now)
        self.connection.executemany(
            "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
            "updated_at, suspended, leech, reps, ease, interval, drill, lapses) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, {START_EASE}, 0, 0, 0)",
            [
                (c.id, deck_id, c.source, c.line, c.context, c.front, c.back, c.content_hash, stamp, stamp)
                for c in plan.inserts
            ],
        )
        # A pruned card's answers stay in the log; when its bullet comes back, the card takes the state its
        # last answer left, so its state is again the replay of its log (docs/rules.md). Only inserted
        # cards with answers are looked at again (none, for notes never imported before).
        answered = self._answered(c.id for c in plan.inserts)
        self.connection.executemany(
            "UPDATE card SET (reps, ease, interval, due, drill, lapses) = (SELECT reps_after, ease_after, "
            "interval_after, due_after, drill_after, lapses_after FROM review r WHERE r.card_id = card.id "
            f"ORDER BY {self.log_order('r', descending=True)} LIMIT 1) WHERE id = ? AND EXISTS (SELECT 1 FROM review WHERE card_id = ?)",
            [(identity, identity) for identity in answered],
        )
        # ... and the FSRS memory its last answer outside cram left (a cram answer changes no memory).
        self.connection.executemany(
            "UPDATE card SET (stability, difficulty, memory_day) = (SELECT stability_after, "
            "difficulty_after, day FROM review r WHERE r.card_id = card.id AND r.kind != ? "
            f"ORDER BY {self.log_order('r', descending=True)} LIMIT 1) WHERE id = ? AND EXISTS "
            "(SELECT 1 FROM review WHERE card_id = ? AND kind != ?)",
            [(AnswerKind.CRAM.value, identity, identity, AnswerKind.CRAM.value) for identity in answered],
        )
        self.update_cards(plan.updates, now)
        self.connection.execute(
            "INSERT INTO source_file (deck_id, path, content_hash, skipped_json, imported_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (deck_id, path) DO UPDATE SET "
            "content_hash = excluded.content_hash, skipped_json = excluded.skipped_json, "
            "imported_at = excluded.imported_at",
            (deck_id, plan.source, file_hash, json.dumps([item.to_json() for item in plan.skipped]), stamp),
        )

    def update_cards(self, writes: Iterable[CardWrite], now: datetime) -> None:
        """Cards take a draft's notes-side columns (and are live). The schedule columns are left alone: an
        edited definition keeps its history."""
        stamp = sql_datetime(now)
        self.connection.executemany(
            "UPDATE card SET source = ?, line = ?, context = ?, front = ?, back = ?, content_hash = ?, "
            "updated_at = ?, retired_at = NULL WHERE id = ?",
            [(c.source, c.line, c.context, c.front, c.back, c.content_hash, stamp, c.id) for c in writes],
        )

    def retire_cards(self, card_ids: Iterable[str], now: datetime) -> None:
        stamp = sql_datetime(now)
        self.connection.executemany(
            "UPDATE card SET retired_at = ? WHERE id = ?", [(stamp, identity) for identity in card_ids]
        )

    def delete_card(self, card_id: str) -> None:
        """Delete one card (one a prune took, whose id a later file of the same import uses again)."""
        self.connection.execute("DELETE FROM card WHERE id = ?", (card_id,))

    def card_place(self, deck_id: int, card_id: str) -> tuple[int, str] | None:
        """The card's rowid (the order a prune deletes a file's cards in) and file, if it is there."""
        row = self.connection.execute(
            "SELECT rowid, source FROM card WHERE id = ? AND deck_id = ?", (card_id, deck_id)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def retired_rows(self, deck_id: int, source: str) -> list[tuple[int, str]]:
        """(rowid, id) of the retired cards of a file: what `prune` deletes, in the order it deletes them."""
        return [
            (int(rowid), str(identity))
            for rowid, identity in self.connection.execute(
                "SELECT rowid, id FROM card WHERE retired_at IS NOT NULL AND source = ? AND deck_id = ? "
                "ORDER BY rowid",
                (source, deck_id),
            )
        ]

    def sync_clock(self) -> int:
        row = self.connection.execute("SELECT counter FROM sync_clock WHERE id = 1").fetchone()
        return 0 if row is None else int(row[0])

    def number_tombstones(self, card_ids: Sequence[str], after: int) -> None:
        """Number the tombstones of cards deleted in one transaction in this order, from the clock `after` on
        (each deletion took the clock's next tick, in whatever order it ran)."""
        self.connection.executemany(
            "UPDATE card_tombstone SET clock = ? WHERE card_id = ?",
            [(after + number, identity) for number, identity in enumerate(card_ids, start=1)],
        )

    def withdraw_cards(self, card_ids: Collection[str]) -> None:
        """Take back cards this transaction inserted, as if never written (a moved definition's draft that
        turned out to be its old card). Deleting a card leaves a tombstone and ticks the sync clock, for other
        machines to learn of it (migration 0010's trigger): a card no other machine can have seen leaves
        neither, and a tombstone its id had from before stays as it was."""
        if not card_ids:
            return
        counter = self.sync_clock()
        tombstones = list(
            self._rows_for_ids(
                "SELECT card_id, clock, device FROM card_tombstone WHERE card_id IN ({ids})", card_ids
            )
        )
        self._execute_for_ids("DELETE FROM card WHERE id IN ({ids})", card_ids)
        self._execute_for_ids("DELETE FROM card_tombstone WHERE card_id IN ({ids})", card_ids)
        self.connection.executemany(
            "INSERT INTO card_tombstone (card_id, clock, device) VALUES (?, ?, ?)", tombstones
        )
        self.connection.execute("UPDATE sync_clock SET counter = ? WHERE id = 1", (counter,))

    def _answered(self, card_ids: Iterable[str]) -> list[str]:
        """Those of `card_ids` that have answers in the log."""
        return [
            row[0]
            for row in self._rows_for_ids(
                "SELECT DISTINCT card_id FROM review WHERE card_id IN ({ids})", card_ids
            )
        ]

    def _rows_for_ids(self, query: str, ids: Iterable[str]) -> Iterator[Any]:
        """The rows of `query` over every one of `ids`, its `{ids}` standing for the placeholders of one chunk:
        SQLite caps the parameters of a statement, so a long list is asked for a chunk at a time."""
        listed = list(ids)
        for start in range(0, len(listed), _IDS_PER_STATEMENT):
            chunk = listed[start : start + _IDS_PER_STATEMENT]
            yield from self.connection.execute(query.format(ids=", ".join("?" * len(chunk))), chunk)

    def _execute_for_ids(self, statement: str, ids: Iterable[str]) -> None:
        """`statement` over every one of `ids`, a chunk at a time (see `_rows_for_ids`)."""
        for _ in self._rows_for_ids(statement, ids):
            pass

    def section_results(self, deck: str, source: str) -> tuple[dict[str, SectionResult], Layout]:
        """What each section of the file yielded at its last import, by section hash, and where they stood."""
        from .sections import result_from_record

        rows = self.connection.execute(
            "SELECT s.hash, s.result FROM source_section s JOIN deck d ON d.id = s.deck_id "
            "WHERE d.name = ? AND s.path = ?",
            (deck, source),
        )
        results: dict[str, SectionResult] = {}
        layout: Layout = {}
        for digest, record in rows:
            read = result_from_record(record) if isinstance(record, bytes) else None
            if read is not None:  # else unreadable here: the section is parsed again
                results[digest], layout[digest] = read
        return results, layout

    def keep_section_results(
        self,
        deck_id: int,
        source: str,
        results: Mapping[str, SectionResult],
        layout: Layout,
        previous: Layout,
    ) -> None:
        """The file's stored section results become `results`, laid out as `layout` (`previous`: the layout
        stored so far). Runs inside the caller's transaction."""
        from .sections import result_to_record

        stored = {
            row[0]
            for row in self.connection.execute(
                "SELECT hash FROM source_section WHERE deck_id = ? AND path = ?", (deck_id, source)
            )
        }
        self.connection.executemany(
            "DELETE FROM source_section WHERE deck_id = ? AND path = ? AND hash = ?",
            [(deck_id, source, digest) for digest in stored - results.keys()],
        )
        self.connection.executemany(
            "INSERT INTO source_section (deck_id, path, hash, result) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (deck_id, path, hash) DO UPDATE SET result = excluded.result",
            [
                (
                    deck_id,
                    source,
                    digest,
                    result_to_record(result, layout.get(digest, ())),
                )
                for digest, result in results.items()
                if digest not in stored or previous.get(digest, ()) != layout.get(digest, ())
            ],
        )

    def prune(self, deck_id: int, source: str) -> int:
        """Delete the retired cards of one file. Their review rows stay, so past work still counts."""
        cursor = self.connection.execute(
            "DELETE FROM card WHERE retired_at IS NOT NULL AND source = ? AND deck_id = ?", (source, deck_id)
        )
        return cursor.rowcount

    # -- browsing -------------------------------------------------------------------------------------------

    def cards(
        self,
        *,
        deck: str | None = None,
        search: str | None = None,
        include_retired: bool = False,
        only_suspended: bool = False,
        only_leeches: bool = False,
        limit: int | None = None,
    ) -> list[CardRow]:
        where: list[str] = []
        params: list[Any] = []
        if deck is not None:
            where.append("c.deck_id = ?")
            params.append(self.require_deck(deck))
        if not include_retired:
            where.append("c.retired_at IS NULL")
        if only_suspended:
            where.append("c.suspended = 1")
        if only_leeches:
            where.append("c.leech = 1")
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
        return [
            CardRow(
                id=row[0],
                deck=row[1],
                context=row[2],
                front=row[3],
                back=row[4],
                source=row[5],
                line=row[6],
                reps=row[7],
                ease=row[8],
                interval=row[9],
                due=parse_date(row[10]),
                lapses=row[11],
                suspended=bool(row[12]),
                retired=bool(row[13]),
                leech=bool(row[14]),
            )  # fmt: skip
            for row in self.connection.execute(sql, params)
        ]

    def resolve_card_ids(self, prefixes: Sequence[str]) -> list[str]:
        """Full ids for ids or unique id prefixes (at least 4 hex digits), as `cards` shows them."""
        resolved: list[str] = []
        for prefix in prefixes:
            wanted = prefix.strip().lower()
            if len(wanted) < 4 or any(ch not in "0123456789abcdef" for ch in wanted):
                raise UserError(f"not a card id: {prefix!r} (give at least 4 hex digits, as `cards` shows)")
            upper = wanted + "g"  # every id starting with the prefix sorts between it and this
            matches = [
                row[0]
                for row in self.connection.execute(
                    "SELECT id FROM card WHERE id >= ? AND id < ? LIMIT 2", (wanted, upper)
                )
            ]
            if not matches:
                raise UserError(f"no card with id {prefix!r}")
            if len(matches) > 1:
                raise UserError(f"card id {prefix!r} is ambiguous: give more digits")
            resolved.append(matches[0])
        return list(dict.fromkeys(resolved))  # one id given twice is one card

    def set_suspended_many(self, card_ids: Sequence[str], suspended: bool) -> int:
        """Suspend or unsuspend these cards in one transaction; the number whose flag changed."""
        with self.transaction():
            cursor = self.connection.executemany(
                "UPDATE card SET suspended = ? WHERE id = ? AND suspended != ?",
                [(int(suspended), card_id, int(suspended)) for card_id in card_ids],
            )
        return max(cursor.rowcount, 0)

    # -- settings -------------------------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM setting").fetchall())

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.write_setting(key, value)

    def write_setting(self, key: str, value: str) -> None:
        """Store one setting. Runs inside the caller's transaction."""
        self.connection.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- the log as each card's history (switching scheduler, optimize, stats' memory) --------------------------

    def answer_histories(self) -> dict[str, list[Review]]:
        """Every card's non-cram answers, in the order given, as FSRS reviews (learner day, grade 0-5).

        Cards since pruned are included: their answers are still the learner's history.
        """
        # Half a million answers share a few thousand (day, grade) pairs: SQL hands each answer over as one
        # `day || grade` text, and each distinct pair becomes one shared Review.
        reviews: dict[str, Review] = {}
        histories: dict[str, list[Review]] = {}
        # One pass over the table in log order (ix_review_card's order would cost a row lookup per answer).
        rows = self.connection.execute(
            f"SELECT card_id, day || quality FROM review WHERE kind != '{AnswerKind.CRAM.value}' "
            f"ORDER BY {self.log_order()}"
        ).fetchall()
        for card_id, answer in rows:
            review = reviews.get(answer)
            if review is None:
                review = reviews[answer] = Review(read_date(answer[:10]), int(answer[10:]))
            history = histories.get(card_id)
            if history is None:
                history = histories[card_id] = []
            history.append(review)
        return histories

    def answer_log(self) -> list[tuple[str, Review]]:
        """Every non-cram answer as (card id, review), in the order given: what `optimize` splits in time."""
        days: dict[str, date] = {}
        out = []
        for card_id, day, quality in self.connection.execute(
            f"SELECT card_id, day, quality FROM review WHERE kind != '{AnswerKind.CRAM.value}' "
            f"ORDER BY {self.log_order()}"
        ):
            parsed = days.get(day)
            if parsed is None:
                parsed = days[day] = read_date(day)
            out.append((card_id, Review(parsed, quality)))
        return out

    def card_states(self) -> dict[str, SM2State]:
        """Every card's stored scheduling state, by id."""
        return {
            row[0]: SM2State(row[1], row[2], row[3], parse_date(row[4]), bool(row[5]), row[6])
            for row in self.connection.execute(
                "SELECT id, reps, ease, interval, due, drill, lapses FROM card"
            )
        }

    def last_answer_states(self) -> dict[str, SM2State]:
        """Each answered card's state as its last answer in log order left it (a cram answer leaves the state it
        found): what a card's state is under FSRS (docs/rules.md, "Card state and the review log")."""
        columns = "card_id, reps_after, ease_after, interval_after, due_after, drill_after, lapses_after"
        if self.log_merged():  # by time, then global id: no index has that order, so number each card's rows
            order = self.log_order(descending=True)
            query = (
                f"SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY card_id ORDER BY {order}) "
                "AS latest FROM review) WHERE latest = 1"
            )
        else:  # by row id: each card's last one straight from the (card_id, id) index, 15x faster
            query = f"SELECT {columns} FROM review WHERE id IN (SELECT max(id) FROM review GROUP BY card_id)"
        return {
            row[0]: SM2State(row[1], row[2], row[3], parse_date(row[4]), bool(row[5]), row[6])
            for row in self.connection.execute(query)
        }

    def card_memories(self) -> dict[str, CardMemory]:
        """Every card's stored FSRS memory, by id (cards never answered have none)."""
        days: dict[str, date] = {}
        out = {}
        for card_id, stability, difficulty, day in self.connection.execute(
            "SELECT id, stability, difficulty, memory_day FROM card WHERE stability IS NOT NULL"
        ):
            parsed = days.get(day)
            if parsed is None:
                parsed = days[day] = read_date(day)
            out[card_id] = CardMemory(MemoryState(stability, difficulty), parsed)
        return out

    def write_memories(self, memories: Mapping[str, CardMemory]) -> None:
        """Store cards' FSRS memories. Runs inside the caller's transaction."""
        self.connection.executemany(
            "UPDATE card SET stability = ?, difficulty = ?, memory_day = ? WHERE id = ?",
            [(*_memory_values(memory), card_id) for card_id, memory in memories.items()],
        )

    def write_states(self, states: Mapping[str, SM2State]) -> None:
        """Store cards' scheduling states (flags untouched). Runs inside the caller's transaction."""
        self.connection.executemany(
            "UPDATE card SET reps = ?, ease = ?, interval = ?, due = ?, drill = ?, lapses = ? WHERE id = ?",
            [(*_state_values(state), card_id) for card_id, state in states.items()],
        )

    def unset_setting(self, key: str) -> None:
        with self.transaction():
            self.unset_setting_in_transaction(key)

    def unset_setting_in_transaction(self, key: str) -> None:
        """Forget one setting. Runs inside the caller's transaction."""
        self.connection.execute("DELETE FROM setting WHERE key = ?", (key,))

    def set_settings(self, values: Mapping[str, str | None]) -> None:
        """Several settings in one transaction; None removes a key."""
        with self.transaction():
            for key, value in values.items():
                if value is None:
                    self.connection.execute("DELETE FROM setting WHERE key = ?", (key,))
                else:
                    self.connection.execute(
                        "INSERT INTO setting (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )

    # -- exam ----------------------------------------------------------------------------------------------

    def exam_cards(self, deck_id: int | None = None) -> list[PlannedCard]:
        """The active cards (not retired, not suspended) of a deck or of all decks, with their FSRS memory:
        what the exam planner plans. In the order of the notes (deck name, file, line, id): each deck's cards
        come in that order from the covering ix_card_exam, one deck after another."""
        from .exam_inputs import PlannedCard  # the planner's record: only exam commands load it

        decks = self.connection.execute(
            "SELECT id, name FROM deck" + (" WHERE id = ?" if deck_id is not None else ""),
            (deck_id,) if deck_id is not None else (),
        ).fetchall()
        rows: list[tuple[Any, ...]] = []
        for deck, name in sorted(decks, key=lambda row: row[1]):
            rows += self.connection.execute(
                "SELECT ?, source, line, id, context, due, stability, difficulty, memory_day "
                f"FROM card c INDEXED BY ix_card_exam WHERE {ACTIVE.sql('c')} AND c.line IS NOT NULL "
                "AND c.deck_id = ? "
                "ORDER BY source, line, id",
                (name, deck),
            ).fetchall()
        # Tens of thousands of rows share a few hundred dates: each date text is read once.
        dates: dict[str, date] = {}

        def day(text: str) -> date:
            found = dates.get(text)
            if found is None:
                found = dates[text] = read_date(text)
            return found

        cards: list[PlannedCard] = []
        for deck, source, line, card_id, context, due, stability, difficulty, memory_day in rows:
            memory = None
            if stability is not None and difficulty is not None and memory_day is not None:
                memory = CardMemory(MemoryState(float(stability), float(difficulty)), day(memory_day))
            due_day = None if due is None else day(due)
            cards.append(PlannedCard(card_id, deck, context, source, line, due_day, memory))
        return cards

    def queue_cards(self, card_ids: Sequence[str], today: date) -> list[CardInfo]:
        """Those of `card_ids` that may be shown today (not retired, suspended or buried), for the queue."""
        found: list[CardInfo] = []
        for start in range(0, len(card_ids), _IDS_PER_STATEMENT):
            chunk = {
                f"id{index}": card_id
                for index, card_id in enumerate(card_ids[start : start + _IDS_PER_STATEMENT])
            }
            marks = ", ".join(f":{name}" for name in chunk)
            rows = self.connection.execute(
                f"SELECT {_QUEUE_COLUMNS} FROM card c JOIN deck d ON d.id = c.deck_id "
                f"WHERE {AVAILABLE.sql('c')} AND c.id IN ({marks})",
                {"today": sql_date(today), **chunk},
            ).fetchall()
            found += [_card_info(row) for row in rows]
        return found

    # -- review ---------------------------------------------------------------------------------------------
    # The review loop's queries. The queue is drawn through the partial indexes (ix_card_due, ix_card_new)
    # with SQL limits, so starting a session never reads every card; an answer is one short transaction.

    def review_card(self, card_id: str) -> ReviewCard | None:
        """One card as the review loop shows and grades it, or None if it no longer exists."""
        row = self.connection.execute(
            "SELECT c.id, d.name, c.context, c.front, c.back, c.source, c.line, c.retired_at IS NOT NULL, "
            "c.reps, c.ease, c.interval, c.due, c.drill, c.lapses, c.leech, c.suspended, c.buried_until, "
            "c.last_review, c.stability, c.difficulty, c.memory_day FROM card c JOIN deck d ON d.id = c.deck_id "
            "WHERE c.id = ?",
            (card_id,),
        ).fetchone()
        if row is None:
            return None
        return ReviewCard(
            id=row[0], deck=row[1], context=row[2], front=row[3], back=row[4], source=row[5], line=row[6],
            retired=bool(row[7]), schedule=_schedule(row[8:]),
        )  # fmt: skip

    def queue_candidates(
        self, today: date, *, deck_id: int | None = None, new_limit: int, review_limit: int
    ) -> list[CardInfo]:
        """The cards today's queue is built from: due reviews (most overdue first, at most `review_limit`),
        every drilling and re-learning card, and new cards in source order (at most `new_limit`).

        Suspended, retired and buried cards are never fetched. The orders match `session.build_queue`, so
        cutting with SQL LIMIT keeps exactly the cards it would keep.
        """
        params: dict[str, Any] = {"today": sql_date(today), "deck": deck_id}
        select = (
            f"SELECT {_QUEUE_COLUMNS} FROM card c JOIN deck d ON d.id = c.deck_id WHERE {AVAILABLE.sql('c')} "
        )
        in_deck = "AND c.deck_id = :deck " if deck_id is not None else ""
        rows: list[Any] = []
        if review_limit > 0:
            (reviews,) = SELECTS[CardState.REVIEW]
            due = f"AND {reviews.sql('c')} "
            order = "ORDER BY c.due, d.name, c.source, c.line, c.id LIMIT :limit"
            # `+c.deck_id`: walk ix_card_due in due order, stop at the limit; never sort a whole deck.
            query = select + due + in_deck.replace("c.deck_id", "+c.deck_id") + order
            rows += self.connection.execute(query, {**params, "limit": review_limit}).fetchall()
        # Drilling cards can be due any day: only ix_card_drill bounds them (the planner would rather walk
        # ix_card_due through the whole collection). Re-learning cards are due by today.
        drilling, relearning = SELECTS[CardState.DRILL]
        indexed = select.replace("FROM card c", "FROM card c INDEXED BY ix_card_drill")
        for drills in (f"{indexed}AND {drilling.sql('c')} ", f"{select}AND {relearning.sql('c')} "):
            rows += self.connection.execute(drills + in_deck, params).fetchall()
        if new_limit > 0:
            # One deck at a time, in name order, so each query walks ix_card_new in (source, line) order.
            decks = [deck_id] if deck_id is not None else self._deck_ids_by_name()
            (never,) = SELECTS[CardState.NEW]
            new = f"AND c.deck_id = :deck AND {never.sql('c')} ORDER BY c.source, c.line, c.id LIMIT :limit"
            left = new_limit
            for each in decks:
                query_params = {**params, "deck": each, "limit": left}
                found = self.connection.execute(select + new, query_params).fetchall()
                rows += found
                left -= len(found)
                if left <= 0:
                    break
        return [_card_info(row) for row in rows]

    def answers_today(self, day: date) -> tuple[int, int]:
        """(new cards introduced, due reviews answered) on the learner's `day`, over the whole collection.

        Both count cards, not answers, from the review log: an undone answer's row is gone, so it gives its
        place back. Drill and cram answers use up no limit.
        """
        introduced = AnswerKind.introduces_card_sql()
        row = self.connection.execute(
            f"SELECT count(DISTINCT CASE WHEN {introduced} THEN card_id END), "
            "count(DISTINCT CASE WHEN due_before IS NOT NULL THEN card_id END) "
            f"FROM review WHERE day = ? AND kind = '{AnswerKind.REVIEW.value}'",
            (sql_date(day),),
        ).fetchone()
        return int(row[0]), int(row[1])

    def record_answer(self, answer: Answer) -> int:
        """Log one answer and write the card's new state, in one transaction. Returns the review row's id.

        A cram answer logs the card's state as both before and after and leaves the card row untouched.
        """
        if answer.kind not in tuple(AnswerKind):
            raise ValueError(f"unknown review kind {answer.kind!r}")
        before = answer.before
        after, leech, suspended = answer.after, answer.leech, answer.suspended
        if answer.kind == AnswerKind.CRAM and (after, leech, suspended, answer.memory_after) != (
            before.state,
            before.leech,
            before.suspended,
            before.memory,
        ):
            raise ValueError("a cram answer must leave the card's state as it was")
        stamp = sql_datetime(answer.reviewed_at)
        with self.transaction():
            cursor = self.connection.execute(
                "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, "
                "ease_before, interval_before, due_before, drill_before, lapses_before, leech_before, "
                "suspended_before, reps_after, ease_after, interval_after, due_after, drill_after, "
                "lapses_after, stability_before, difficulty_before, stability_after, difficulty_after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.card_id,
                    stamp,
                    sql_date(answer.day),
                    answer.quality,
                    answer.kind,
                    max(0, answer.duration_ms),
                    *_state_values(before.state),
                    int(before.leech),
                    int(before.suspended),
                    *_state_values(after),
                    *_memory_values(before.memory)[:2],
                    *_memory_values(answer.memory_after)[:2],
                ),
            )
            if answer.kind != AnswerKind.CRAM:
                schedule = CardSchedule(
                    after, leech, suspended, before.buried_until, stamp, answer.memory_after
                )
                # Only over the state and memory this answer was given on: another session's answer in between
                # would otherwise be overwritten while its log row stays.
                if not self._write_schedule(answer.card_id, schedule, expected=before):
                    self._changed_or_gone(answer.card_id)
        return int(cursor.lastrowid or 0)

    def undo_answer(self, review_id: int, card_id: str, before: CardSchedule | None) -> None:
        """Remove one logged answer and put the card back exactly as it was (`None`: leave the card alone,
        for cram answers, which never changed it)."""
        with self.transaction():
            # Only while the card is still as this answer left it (its log row says how): after another
            # session's answer, putting `before` back would leave that answer in the log and not on the card.
            after = self.connection.execute(
                "SELECT reps_after, ease_after, interval_after, due_after, drill_after, lapses_after, "
                "stability_after, difficulty_after "
                "FROM review WHERE id = ? AND card_id = ?",
                (review_id, card_id),
            ).fetchone()
            if after is None:
                raise CardChanged(f"the answer to card {card_id} is no longer in the log")
            if before is not None and not self._write_schedule(card_id, before, expected_state=tuple(after)):
                self._changed_or_gone(card_id)
            self.connection.execute("DELETE FROM review WHERE id = ? AND card_id = ?", (review_id, card_id))

    def restore_schedule(self, card_id: str, before: CardSchedule, *, current: CardSchedule) -> None:
        """Put a card's schedule and flags back as they were (undoing a suspend or a bury), provided it is
        still `current` (as the suspend or bury left it) apart from that flag."""
        with self.transaction():
            if not self._write_schedule(card_id, before, expected=current):
                self._changed_or_gone(card_id)

    def _changed_or_gone(self, card_id: str) -> NoReturn:
        if self.connection.execute("SELECT 1 FROM card WHERE id = ?", (card_id,)).fetchone() is None:
            raise CardGone(f"card {card_id} is no longer in the collection")
        raise CardChanged(f"card {card_id} was changed by another dva-cards meanwhile")

    def set_suspended(self, card_id: str, suspended: bool = True) -> None:
        self.set_suspended_many([card_id], suspended)

    def bury(self, card_id: str, until: date) -> None:
        """Hide a card until the learner's day `until` (exclusive: it shows again on that day)."""
        with self.transaction():
            self.connection.execute(
                "UPDATE card SET buried_until = ? WHERE id = ?", (sql_date(until), card_id)
            )

    def due_count(self, day: date, *, deck_id: int | None = None) -> int:
        """Cards that will ask to be reviewed on `day`: due by then (reviews and re-learning) or drilling.

        New cards are not counted. Buried cards are: a bury lasts until the next learner day.
        """
        params = {"day": sql_date(day), "deck": deck_id}
        in_deck = "" if deck_id is None else "AND +c.deck_id = :deck"
        due_by, drilling = DUE_BY_DAY
        due = self.connection.execute(
            f"SELECT count(*) FROM card c WHERE {due_by.sql('c')} {in_deck}", params
        )
        drills = self.connection.execute(
            f"SELECT count(*) FROM card c INDEXED BY ix_card_drill WHERE {drilling.sql('c')} {in_deck}",
            params,
        )
        return int(due.fetchone()[0]) + int(drills.fetchone()[0])

    def has_new_cards(self, deck_id: int | None = None) -> bool:
        """Whether any new card could be introduced (to explain an empty queue)."""
        sql = f"SELECT 1 FROM card c WHERE {(ACTIVE & NEVER_SCHEDULED).sql('c')}"
        if deck_id is not None:
            sql += " AND c.deck_id = :deck"
        return self.connection.execute(sql + " LIMIT 1", {"deck": deck_id}).fetchone() is not None

    def cram_candidates(self, deck_id: int | None = None) -> list[tuple[str, str]]:
        """(id, context) of every card that is not retired, in source order: what `--cram` may show."""
        sql = "SELECT c.id, c.context FROM card c JOIN deck d ON d.id = c.deck_id WHERE c.retired_at IS NULL"
        params: tuple[Any, ...] = ()
        if deck_id is not None:
            sql += " AND c.deck_id = ?"
            params = (deck_id,)
        sql += " ORDER BY d.name, c.source, c.line, c.id"
        return [(row[0], row[1]) for row in self.connection.execute(sql, params)]

    def active_card_ids(self, card_ids: Sequence[str]) -> set[str]:
        """Those of `card_ids` that still exist and are not retired (after a re-import during review)."""
        return {
            row[0]
            for row in self._rows_for_ids(
                "SELECT id FROM card WHERE retired_at IS NULL AND id IN ({ids})", card_ids
            )
        }

    def _deck_ids_by_name(self) -> list[int]:
        return [row[0] for row in self.connection.execute("SELECT id FROM deck ORDER BY name")]

    def _write_schedule(
        self,
        card_id: str,
        schedule: CardSchedule,
        *,
        expected: CardSchedule | None = None,
        expected_state: tuple[Any, ...] | None = None,
    ) -> bool:
        """Write a card's schedule columns; False if the card is gone or not as `expected` (its state, leech
        and suspended flags) or `expected_state` (its state columns, as a review row stores them)."""
        condition, values = "", ()
        if expected is not None:
            condition, values = f" AND {_EXPECTED_SCHEDULE}", _expected_values(expected)
        elif expected_state is not None:
            condition, values = f" AND {_EXPECTED_STATE}", expected_state
        cursor = self.connection.execute(
            "UPDATE card SET reps = ?, ease = ?, interval = ?, due = ?, drill = ?, lapses = ?, leech = ?, "
            "suspended = ?, buried_until = ?, last_review = ?, stability = ?, difficulty = ?, memory_day = ? "
            f"WHERE id = ?{condition}",
            (
                *_state_values(schedule.state),
                int(schedule.leech),
                int(schedule.suspended),
                sql_date(schedule.buried_until),
                schedule.last_review,
                *_memory_values(schedule.memory),
                card_id,
                *values,
            ),
        )
        return cursor.rowcount == 1

    # -- check (`dva-cards check`) ---------------------------------------------------------------------------

    def card_logs(self) -> Iterator[CardLog]:
        """Every card's stored state and memory with its review log (in log order): what `replay` compares.
        Reviews of pruned cards whose bullet has not come back have no card and are left out."""
        from .replay import CardLog, LoggedAnswer

        cards = self.connection.execute(
            "SELECT id, reps, ease, interval, due, drill, lapses, stability, difficulty, memory_day "
            "FROM card ORDER BY id"
        ).fetchall()
        reviews = self.connection.execute(
            "SELECT r.card_id, r.id, r.reps_before, r.ease_before, r.interval_before, r.due_before, "
            "r.drill_before, r.lapses_before, r.reps_after, r.ease_after, r.interval_after, r.due_after, "
            "r.drill_after, r.lapses_after, r.day, r.quality, r.kind, r.device "
            f"FROM review r JOIN card c ON c.id = r.card_id ORDER BY r.card_id, {self.log_order('r')}"
        )
        days: dict[str, date] = {}
        pending = next(reviews, None)
        for card_id, *stored in cards:
            answers: list[LoggedAnswer] = []
            while pending is not None and pending[0] < card_id:
                pending = next(reviews, None)
            while pending is not None and pending[0] == card_id:
                day, quality, kind = pending[14:17]
                review = None
                if kind != AnswerKind.CRAM.value:
                    parsed = days.get(day)
                    if parsed is None:
                        parsed = days[day] = read_date(day)
                    review = Review(parsed, quality)
                answers.append(
                    LoggedAnswer(pending[1], _sm2(pending[2:8]), _sm2(pending[8:14]), review, pending[17])
                )
                pending = next(reviews, None)
            yield CardLog(card_id, _sm2(stored[:6]), tuple(answers), _memory(*stored[6:9]))

    def counts(self) -> tuple[int, int]:
        """(cards, reviews) in the collection."""
        row = self.connection.execute("SELECT (SELECT count(*) FROM card), (SELECT count(*) FROM review)")
        cards, reviews = row.fetchone()
        return int(cards), int(reviews)

    def repair_states(self, fixes: Sequence[Disagreement]) -> int:
        """Set each card's state and FSRS memory to the replay of its log, in one transaction; a card changed
        since it was read (state or memory not as seen) is left for the next check. Returns the cards set."""
        done = 0
        with self.transaction():
            for fix in fixes:
                # A memory read as None may be partly NULL (a damaged row): only a whole one is compared.
                memory_seen = fix.stored_memory is not None
                cursor = self.connection.execute(
                    "UPDATE card SET reps = ?, ease = ?, interval = ?, due = ?, drill = ?, lapses = ?, "
                    "stability = ?, difficulty = ?, memory_day = ? WHERE id = ? AND reps IS ? AND ease IS ? "
                    "AND interval IS ? AND due IS ? AND drill IS ? AND lapses IS ?"
                    + (" AND stability IS ? AND difficulty IS ? AND memory_day IS ?" if memory_seen else ""),
                    (
                        *_state_values(fix.replayed),
                        *_memory_values(fix.replayed_memory),
                        fix.card_id,
                        *_state_values(fix.stored),
                        *(_memory_values(fix.stored_memory) if memory_seen else ()),
                    ),
                )
                done += cursor.rowcount
        return done

    # -- stats (`dva-cards stats`) ----------------------------------------------------------------------------
    # Read-only grouping for `stats.compute`. SQL does the grouping with integer arithmetic and ISO
    # day strings compared as text, so Python only sees a few thousand rows: the cards in one scan of the
    # covering ix_card_stats (a twelfth of the table's bytes) grouped by one packed integer key (one sort key
    # costs far less than six), the hardest cards from the end of that same index, due dates through
    # ix_card_due, answers per day by one ix_review_day seek per day (cheaper than a GROUP BY over the
    # year), older study days by index seeks, the retention window through ix_review_day with each
    # answer's context from the covering ix_card_context. One deck's answers come from ix_review_deck_day:
    # each answer row carries its card's deck (filled in by the trigger review_deck), so a deck's figures
    # read only its own answers.

    def stats_rows(
        self,
        *,
        today: date,
        retention_start: date,
        forecast_end: date,
        heat_start: date,
        deck_id: int | None,
        interval_edges: Sequence[int],
        mature_days: int,
        learning_reps: int,
        low_ease: int,
        hardest_limit: int,
    ) -> StatsRows:
        """The grouped rows behind the stats screen, for all decks or one (`deck_id`), in one read snapshot.

        Fields (see `domain.StatsRows`): decks (id, name); card_groups (deck_id, `StatsCategory`, ease // 100,
        interval bucket, `CardState` today, leech, count); due_by_day (due, count) of active
        scheduled cards; review_days (day, answers: heat_start to today) and
        older_days (days before heat_start) for review and drill answers;
        today (answers, cram, cards, time_ms, new cards introduced in the whole collection); retention
        (section: the first part of a context, or None; young passed, young answers, mature passed, mature
        answers) of due reviews;
        hardest (id, deck_id, front, context, source, line, lapses, ease, interval, leech, suspended).
        """
        params: dict[str, Any] = {
            "today": sql_date(today),
            "start": sql_date(retention_start),
            "end": sql_date(forecast_end),
            "heat": sql_date(heat_start),
            "deck": deck_id,
            "mature": mature_days,
            "learning": learning_reps,
            "low_ease": low_ease,
            "limit": hardest_limit,
        }
        in_deck = "" if deck_id is None else "AND deck_id = :deck "
        review_in_deck = ""
        if deck_id is not None:
            review_in_deck = "AND deck_id = :deck "
        answered = AnswerKind.study_sql() + " "
        # A context's first part, as `stats.section_of` reads it before trimming: what retention groups by.
        separator = f"'{CONTEXT_SEPARATOR}'"
        first = f"substr(context, 1, instr(context, {separator}) - 1)"
        section = f"CASE WHEN instr(context, {separator}) THEN {first} ELSE context END"
        passed = Grade.passing_sql("r.quality")
        # Packed key: deck_id << 40 | (ease // 100) << 16 | leech << 10 | state << 7 | category << 4 | bucket.
        card_groups = (
            "SELECT deck_id * 1099511627776 + (ease / 100) * 65536 + leech * 1024 + "
            f"{case_sql(STATE_RULES)} * 128 + {case_sql(CATEGORY_RULES)} * 16 + "
            f"{_bucket_sql('interval', [int(edge) for edge in interval_edges])} AS k, count(*) "
            f"FROM card INDEXED BY ix_card_stats WHERE 1 {in_deck}GROUP BY k"
        )
        # Counting one day's entries of an index is a short walk; a GROUP BY over the whole year costs twice as
        # much. Record kinds are review, drill or cram (record_answer checks). One deck's answers are counted
        # along ix_review_deck_day (deck_id, day, kind), the same way.
        answers = "review" if deck_id is None else "review INDEXED BY ix_review_deck_day"
        of_deck = "" if deck_id is None else "deck_id = :deck AND "
        review_days = (
            "WITH RECURSIVE d(day) AS (SELECT :heat UNION ALL SELECT date(day, '+1 day') FROM d "
            f"WHERE day < :today) SELECT day, (SELECT count(*) FROM {answers} WHERE {of_deck}day = d.day) "
            f"- (SELECT count(*) FROM {answers} WHERE {of_deck}day = d.day "
            f"AND kind = '{AnswerKind.CRAM.value}') FROM d"
        )
        # Each step seeks the latest study day before the previous one: a few hundred index seeks.
        older_days = (
            "WITH RECURSIVE studied(day) AS ("
            f"SELECT (SELECT day FROM {answers} WHERE {of_deck}day < :heat AND {answered}"
            "ORDER BY day DESC LIMIT 1) "
            f"UNION ALL SELECT (SELECT day FROM {answers} WHERE {of_deck}day < studied.day AND {answered}"
            "ORDER BY day DESC LIMIT 1) FROM studied WHERE studied.day IS NOT NULL) "
            "SELECT day FROM studied WHERE day IS NOT NULL"
        )
        card_queries = {
            "decks": f"SELECT id, name FROM deck WHERE 1 {in_deck.replace('deck_id', 'id')}ORDER BY name",
            "card_groups": card_groups,
            "due_by_day": (
                "SELECT due, count(*) FROM card WHERE retired_at IS NULL AND suspended = 0 "
                f"AND due IS NOT NULL AND due < :end {in_deck}GROUP BY due"
            ),
            # ix_card_stats leads with (lapses, ease): read backwards, only the top lapses are visited.
            "hardest": (
                "SELECT id, deck_id, front, context, source, line, lapses, ease, interval, leech, suspended "
                "FROM card INDEXED BY ix_card_stats WHERE retired_at IS NULL "
                f"AND (lapses > 0 OR ease < :low_ease) {in_deck}"
                "ORDER BY lapses DESC, ease, source, line, id LIMIT :limit"
            ),
            # Today's predicted recall: each active card's section and FSRS memory, from the covering
            # ix_card_memory (the planner would rather walk ix_card_due and read every card row).
            "memories": (
                f"SELECT {section}, CAST(julianday(:today) - julianday(memory_day) AS INTEGER), stability "
                "FROM card INDEXED BY ix_card_memory "
                f"WHERE stability IS NOT NULL AND retired_at IS NULL AND suspended = 0 {in_deck}"
            ),
        }
        review_queries = {
            "review_days": review_days,
            "older_days": older_days,
            "today": (
                f"SELECT sum({answered}), sum(kind = '{AnswerKind.CRAM.value}'), "
                f"count(DISTINCT CASE WHEN {answered}THEN card_id END), sum(duration_ms) "
                f"FROM review WHERE day = :today {review_in_deck}"
            ),
            # The daily new-card limit is the whole collection's, whatever the deck.
            "new_seen": (
                f"SELECT count(DISTINCT card_id) FROM review WHERE day = :today AND {AnswerKind.introduces_card_sql()}"
            ),
            # Due-review answers (kind review, reps >= 1) are each card's first answer of its day. Each one
            # finds its card's context in ix_card_context (no card row read) and counts for the context's
            # section (its first part: all `stats.sections` needs), young and mature apart, each as
            # answers + passed << 32. Answers of a pruned card get a NULL section.
            "retention": (
                f"SELECT {section}, sum(y >> 32), sum(y & 4294967295), sum(m >> 32), sum(m & 4294967295) "
                "FROM (SELECT k.context AS context, "
                f"CASE WHEN r.interval_before < :mature THEN 1 + {passed} * 4294967296 ELSE 0 END AS y, "
                f"CASE WHEN r.interval_before < :mature THEN 0 ELSE 1 + {passed} * 4294967296 END AS m "
                f"FROM review r {'LEFT' if deck_id is None else 'CROSS'} JOIN card k INDEXED BY ix_card_context "
                "ON k.id = r.card_id "
                f"WHERE r.day >= :start AND r.day <= :today AND r.kind = '{AnswerKind.REVIEW.value}' "
                "AND r.reps_before >= 1 "
                f"AND r.drill_before = 0 {in_deck.replace('deck_id', 'k.deck_id')}) GROUP BY 1"
            ),
        }
        # One read snapshot for every figure.
        result = _read_snapshot(self.connection, {**card_queries, **review_queries}, params)
        today_row = (*result["today"][0], result["new_seen"][0][0])
        return StatsRows(
            decks={int(deck_id): str(name) for deck_id, name in result["decks"]},
            card_groups=[
                CardGroup(
                    key >> 40,
                    StatsCategory((key >> 4) & 7),
                    (key >> 16) & 0xFFFFFF,
                    key & 15,
                    CardState((key >> 7) & 7),
                    bool((key >> 10) & 1),
                    n,
                )  # fmt: skip
                for key, n in result["card_groups"]
            ],
            due_by_day=[(read_date(day), int(n)) for day, n in result["due_by_day"]],
            review_days=[(read_date(day), int(n)) for day, n in result["review_days"]],
            older_days=[read_date(row[0]) for row in result["older_days"]],
            today=TodayRow(*(int(value or 0) for value in today_row)),
            retention=[
                RetentionRow(row[0], *(int(value or 0) for value in row[1:])) for row in result["retention"]
            ],
            hardest=[_hard_card(row) for row in result["hardest"]],
            memories=[MemoryRow(*row) for row in result["memories"]],
        )

    # -- end of stats ---------------------------------------------------------------------------------------


# -- stats helpers ----------------------------------------------------------------------------------------


class DeckCards:
    """One deck's cards as the collection holds them at the moment, as an import reconciles them
    (`reconcile.StoredCards`): read by id or by file, never all at once."""

    def __init__(self, store: Store, deck_id: int) -> None:
        self.store = store
        self.deck_id = deck_id

    def card(self, identity: str) -> ExistingCard | None:
        row = self.store.connection.execute(
            f"SELECT {_EXISTING_CARD} FROM card WHERE id = ? AND deck_id = ?", (identity, self.deck_id)
        ).fetchone()
        return None if row is None else _existing_cards([row])[0]

    def cards(self, ids: Collection[str]) -> list[ExistingCard]:
        query = f"SELECT {_EXISTING_CARD} FROM card WHERE deck_id = {int(self.deck_id)} AND id IN ({{ids}})"
        return _existing_cards(self.store._rows_for_ids(query, ids))

    def sources(self) -> list[str]:
        return [
            row[0]
            for row in self.store.connection.execute(
                "SELECT DISTINCT source FROM card WHERE deck_id = ?", (self.deck_id,)
            )
        ]

    def live_cards(self, source: str) -> list[ExistingCard]:
        rows = self.store.connection.execute(
            f"SELECT {_EXISTING_CARD} FROM card WHERE deck_id = ? AND source = ? AND retired_at IS NULL",
            (self.deck_id, source),
        )
        return _existing_cards(rows)

    def writes(self, ids: Collection[str]) -> Iterator[CardWrite]:
        from .reconcile import CardWrite

        query = "SELECT id, source, line, context, front, back, content_hash FROM card WHERE id IN ({ids})"
        return (CardWrite(*row) for row in self.store._rows_for_ids(query, ids))

    def answers(self, ids: Collection[str]) -> dict[str, str]:
        return self.store.card_answers(ids)


def _existing_cards(rows: Iterable[Sequence[Any]]) -> list[ExistingCard]:
    """Rows of `_EXISTING_CARD` as cards."""
    from .reconcile import ExistingCard

    return [
        ExistingCard(identity, source, line, digest, bool(retired), context, front)
        for identity, source, line, digest, retired, context, front in rows
    ]


def _hard_card(row: Sequence[Any]) -> HardCard:
    id_, deck_id, front, context, source, line, lapses, ease, interval, leech, suspended = row
    return HardCard(
        str(id_), int(deck_id), str(front), str(context), str(source), int(line), int(lapses), int(ease),
        int(interval), bool(leech), bool(suspended),
    )  # fmt: skip


def _read_snapshot(
    connection: sqlite3.Connection, queries: dict[str, str], params: dict[str, Any]
) -> dict[str, Any]:
    """Every query's rows, read in one deferred transaction (one snapshot) with a roomy page cache."""
    cache_size = connection.execute("PRAGMA cache_size").fetchone()[0]
    # Several passes read the same pages: keep them in memory (64 MiB at most) for this read.
    connection.execute("PRAGMA cache_size = -65536")
    own = not connection.in_transaction  # inside a caller's transaction, that one is the snapshot
    if own:
        connection.execute("BEGIN")
    try:
        return {name: connection.execute(sql, params).fetchall() for name, sql in queries.items()}
    finally:
        if own:
            connection.execute("COMMIT")
        connection.execute(f"PRAGMA cache_size = {int(cache_size)}")


def _bucket_sql(column: str, edges: Sequence[int], first: int = 0) -> str:
    """SQL for the index of the last of `edges` (ascending ints) that `column` reaches, as a balanced tree of
    CASE tests (about log2 comparisons a row instead of one per edge). Values below edges[0] give `first`."""
    if len(edges) <= 2:
        tests = "".join(f"WHEN {column} < {int(e)} THEN {first + i - 1} " for i, e in enumerate(edges) if i)
        return f"(CASE {tests}ELSE {first + len(edges) - 1} END)" if tests else str(first)
    middle = len(edges) // 2
    low = _bucket_sql(column, edges[:middle], first)
    high = _bucket_sql(column, edges[middle:], first + middle)
    return f"(CASE WHEN {column} < {int(edges[middle])} THEN {low} ELSE {high} END)"


def _busy(path: Path, error: sqlite3.OperationalError) -> CollectionError:
    if "locked" in str(error) or "busy" in str(error):
        return CollectionError(f"collection {path} is busy: another dva-cards is writing to it; try again")
    return CollectionError(f"collection {path}: {error}")


# SQLite caps the number of parameters of one statement: a list of ids goes in chunks of this many.
_IDS_PER_STATEMENT = 500
# What reconciliation reads of a card (`reconcile.ExistingCard`), in its order.
_EXISTING_CARD = "id, source, line, content_hash, retired_at IS NOT NULL, context, front"

_QUEUE_COLUMNS = (
    "c.id, d.name, c.source, c.line, c.reps, c.ease, c.interval, c.due, c.drill, c.lapses, c.buried_until"
)


def _card_info(row: Sequence[Any]) -> CardInfo:
    """A row of `_QUEUE_COLUMNS` as the queue's card."""
    return CardInfo(
        id=row[0],
        state=SM2State(row[4], row[5], row[6], parse_date(row[7]), bool(row[8]), row[9]),
        order=(row[1], row[2], row[3]),
        buried_until=parse_date(row[10]),
    )


def _schedule(row: Sequence[Any]) -> CardSchedule:
    reps, ease, interval, due, drill, lapses, leech, suspended, buried_until, last_review, *memory = row
    return CardSchedule(
        state=SM2State(reps, ease, interval, parse_date(due), bool(drill), lapses),
        leech=bool(leech),
        suspended=bool(suspended),
        buried_until=parse_date(buried_until),
        last_review=last_review,
        memory=_memory(*memory),
    )


# A card's state columns and FSRS memory as the session last saw them (`IS`: a new card's due and memory are
# NULL). The memory's day is not in a review row, so an undo compares stability and difficulty only.
_EXPECTED_STATE = (
    "reps IS ? AND ease IS ? AND interval IS ? AND due IS ? AND drill IS ? AND lapses IS ? "
    "AND stability IS ? AND difficulty IS ?"
)
_EXPECTED_SCHEDULE = f"{_EXPECTED_STATE} AND memory_day IS ? AND leech IS ? AND suspended IS ?"


def _expected_values(schedule: CardSchedule) -> tuple[Any, ...]:
    return (
        *_state_values(schedule.state),
        *_memory_values(schedule.memory),
        int(schedule.leech),
        int(schedule.suspended),
    )


def _sm2(values: Sequence[Any]) -> SM2State:
    reps, ease, interval, due, drill, lapses = values
    return SM2State(reps, ease, interval, parse_date(due), bool(drill), lapses)


def _memory(stability: float | None, difficulty: float | None, day: str | None) -> CardMemory | None:
    if stability is None or difficulty is None or day is None:
        return None
    return CardMemory(MemoryState(float(stability), float(difficulty)), read_date(day))


def _memory_values(memory: CardMemory | None) -> tuple[float | None, float | None, str | None]:
    """A memory as its three stored columns: stability, difficulty and its learner day."""
    if memory is None:
        return None, None, None
    return memory.state.stability, memory.state.difficulty, sql_date(memory.last_review)


def _state_values(state: SM2State) -> tuple[Any, ...]:
    return state.reps, state.ease, state.interval, sql_date(state.due), int(state.drill), state.lapses
