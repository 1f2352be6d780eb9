"""The local collection's side of a sync: what this machine has not sent yet, and applying what was pulled.

Rows this machine wrote carry a NULL device (the database stamps their clocks: migration 0010); they are sent
with the machine's id (`sync-device`, made once). Per server, two watermarks (settings, never synced): the
highest local clock sent (`sync-pushed:<server>`) and the server's last sequence number seen
(`sync-pulled:<server>`). Both move only in the transaction that applies the pull, so a sync killed before it
commits is simply done again: the server ignores rows it has (global ids, clocks), and so does this side.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from .scheduler import START_EASE, SM2State
from .scheduler_switch import replay_for_scheduler
from .store import Store, read_date
from .sync_merge import (
    REVIEW_COLUMNS,
    Clock,
    Counts,
    LocalView,
    LoggedReview,
    Pulled,
    PullPlan,
    ReviewRow,
    SettingRow,
    SharedCard,
    lamport,
    plan_pull,
    rederived,
)
from .sync_server import Outgoing

DEVICE_KEY = "sync-device"
_CHUNK = 500  # SQLite bound parameters per IN (...)


def pushed_key(server: str) -> str:
    return f"sync-pushed:{server}"


def pulled_key(server: str) -> str:
    return f"sync-pulled:{server}"


def device_id(store: Store) -> str:
    """This collection's machine id, made once (a copy of the file made afterwards is the same machine)."""
    row = store.connection.execute("SELECT value FROM setting WHERE key = ?", (DEVICE_KEY,)).fetchone()
    if row is not None:
        return str(row[0])
    with store.transaction():
        store.connection.execute(
            "INSERT OR IGNORE INTO setting (key, value) VALUES (?, ?)", (DEVICE_KEY, secrets.token_hex(8))
        )
    return str(
        store.connection.execute("SELECT value FROM setting WHERE key = ?", (DEVICE_KEY,)).fetchone()[0]
    )


def watermarks(store: Store, server: str) -> tuple[int, int]:
    """(highest local clock sent, server sequence seen) for `server`; -1 and 0 before the first sync."""
    values = dict(
        store.connection.execute(
            "SELECT key, value FROM setting WHERE key IN (?, ?)", (pushed_key(server), pulled_key(server))
        ).fetchall()
    )
    return int(values.get(pushed_key(server), -1)), int(values.get(pulled_key(server), 0))


# A card written here since the last sync (clock NULL) is newer than anything pulled meanwhile.
_UNSTAMPED = 2**62


def stamp(store: Store) -> None:
    """Give every card written here since the last sync (clock NULL) the next tick of the logical clock, so it
    can be sent and compared: one tick for all of them, past every clock received so far."""
    with store.transaction():
        conn = store.connection
        if conn.execute("SELECT 1 FROM card WHERE clock IS NULL LIMIT 1").fetchone() is None:
            return
        conn.execute("UPDATE sync_clock SET counter = counter + 1 WHERE id = 1")
        conn.execute(
            "UPDATE card SET clock = (SELECT counter FROM sync_clock WHERE id = 1) WHERE clock IS NULL"
        )
        # A pruned card whose bullet came back: its card row is the newer write.
        conn.execute("DELETE FROM card_tombstone WHERE card_id IN (SELECT id FROM card)")


@dataclass(frozen=True)
class Snapshot:
    outgoing: Outgoing
    max_clock: int  # the highest clock among them: the next push watermark


def outgoing(store: Store, device: str, pushed: int) -> Snapshot:
    """Every write of this machine after clock `pushed`, read in one snapshot (cards not yet stamped count as
    new: `stamp` first, except for `sync --status`)."""
    conn = store.connection
    conn.execute("BEGIN")
    try:
        cards = [
            SharedCard(
                i,
                deck,
                ctx,
                front,
                back,
                digest,
                made,
                retired,
                bool(susp),
                buried,
                bool(leech),
                False,
                -1 if clock is None else clock,  # not stamped yet: only `sync --status` reads such rows
                device,
            )
            for i, deck, ctx, front, back, digest, made, retired, susp, buried, leech, clock in conn.execute(
                "SELECT c.id, d.name, c.context, c.front, c.back, c.content_hash, c.created_at, c.retired_at, "
                "c.suspended, c.buried_until, c.leech, c.clock FROM card c JOIN deck d ON d.id = c.deck_id "
                # In the order of the notes: the server numbers rows as they come, and a machine without the
                # notes introduces new cards in the order it received them.
                "WHERE c.clock_device IS NULL AND (c.clock IS NULL OR c.clock > ?) "
                "ORDER BY d.name, c.source, c.line, c.id",
                (pushed,),
            )
        ]
        cards += [
            SharedCard(card_id, "", "", "", "", "", "", None, False, None, False, True, clock, device)
            for card_id, clock in conn.execute(
                "SELECT card_id, clock FROM card_tombstone WHERE device IS NULL AND clock > ?", (pushed,)
            )
        ]
        settings = [
            SettingRow(key, value, clock, device)
            for key, value, clock in conn.execute(
                "SELECT key, value, clock FROM setting WHERE clock_device IS NULL AND clock > ? "
                "AND key NOT LIKE 'sync-%'",
                (pushed,),
            )
        ]
        settings += [
            SettingRow(key, None, clock, device)
            for key, clock in conn.execute(
                "SELECT key, clock FROM setting_tombstone WHERE device IS NULL AND clock > ?", (pushed,)
            )
        ]
        columns = ", ".join(f"r.{column}" for column in REVIEW_COLUMNS)
        reviews = [
            ReviewRow(uid, device, deck, tuple(values))
            for uid, deck, *values in conn.execute(
                f"SELECT r.uid, d.name, {columns} FROM review r INDEXED BY ix_review_clock "
                "LEFT JOIN deck d ON d.id = r.deck_id WHERE r.device IS NULL AND r.clock > ?",
                (pushed,),
            )
        ]
        undone = list(
            conn.execute(
                "SELECT uid, clock FROM review_tombstone WHERE device IS NULL AND clock > ?", (pushed,)
            )
        )
        reviews += [ReviewRow(uid, device, None, (), True) for uid, _clock in undone]
        clocks = (
            [card.clock for card in cards] + [s.clock for s in settings] + [clock for _uid, clock in undone]
        )
        top = conn.execute(
            "SELECT max(clock) FROM review INDEXED BY ix_review_clock WHERE device IS NULL AND clock > ?",
            (pushed,),
        ).fetchone()[0]
    finally:
        conn.execute("COMMIT")
    return Snapshot(Outgoing(cards, settings, reviews), max([pushed, *clocks, top or pushed]))


def counts_of(out: Outgoing) -> Counts:
    return Counts(
        cards=len(out.cards),
        settings=len(out.settings),
        reviews=sum(1 for r in out.reviews if not r.deleted),
        undone=sum(1 for r in out.reviews if r.deleted),
    )


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def local_view(store: Store, pulled: Pulled) -> LocalView:
    """The local clocks and answers the pulled rows meet."""
    conn = store.connection
    card_clocks: dict[str, Clock] = {}
    own = device_id(store)
    ids = sorted({card.id for card in pulled.cards})
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for sql in (
            f"SELECT id, clock, clock_device FROM card WHERE id IN ({marks})",
            f"SELECT card_id, clock, device FROM card_tombstone WHERE card_id IN ({marks})",
        ):
            for card_id, clock, origin in conn.execute(sql, chunk):
                stamp = (_UNSTAMPED if clock is None else int(clock), origin or own)
                if card_id not in card_clocks or stamp > card_clocks[card_id]:
                    card_clocks[card_id] = stamp
    setting_clocks: dict[str, Clock] = {}
    for sql in (
        "SELECT key, clock, clock_device FROM setting WHERE clock IS NOT NULL",
        "SELECT key, clock, device FROM setting_tombstone",
    ):
        for key, clock, origin in conn.execute(sql):
            stamp = (int(clock), origin or own)
            if key not in setting_clocks or stamp > setting_clocks[key]:
                setting_clocks[key] = stamp
    review_cards: dict[str, str] = {}
    undone: set[str] = set()
    uids = sorted({review.uid for review in pulled.reviews})
    for chunk in _chunks(uids):
        marks = ", ".join("?" * len(chunk))
        review_cards.update(conn.execute(f"SELECT uid, card_id FROM review WHERE uid IN ({marks})", chunk))
        undone.update(
            row[0] for row in conn.execute(f"SELECT uid FROM review_tombstone WHERE uid IN ({marks})", chunk)
        )
    return LocalView(card_clocks, setting_clocks, review_cards, frozenset(undone))


def apply(
    store: Store,
    pulled: Pulled,
    *,
    server: str,
    pushed_clock: int,
    server_seq: int,
    now: str,
    progress: Callable[[int], None] | None = None,
) -> tuple[PullPlan, int]:
    """Apply what was pulled, re-derive the cards whose answers changed and move both watermarks: one
    transaction. Returns the plan applied and the number of cards re-derived."""
    tick = progress or (lambda _n: None)
    with store.transaction():
        plan = plan_pull(pulled, local_view(store, pulled))
        conn = store.connection
        decks: dict[str, int] = {}
        inserted: set[str] = set()
        # Cards this machine has no notes for are numbered as they arrive (their `line`), so its new cards come
        # in the order the machine that had the notes sent them: the notes' order.
        arrived = conn.execute("SELECT coalesce(max(line), 0) FROM card WHERE source = ''").fetchone()[0]

        def deck(name: str) -> int:
            if name not in decks:
                decks[name] = store.ensure_deck(name)
            return decks[name]

        for card in plan.cards:
            if card.deleted:
                conn.execute(
                    "DELETE FROM card WHERE id = ?", (card.id,)
                )  # its trigger writes a local tombstone
                conn.execute(
                    "INSERT OR REPLACE INTO card_tombstone (card_id, clock, device) VALUES (?, ?, ?)",
                    (card.id, card.clock, card.device),
                )
                continue
            conn.execute("DELETE FROM card_tombstone WHERE card_id = ?", (card.id,))
            shared = (
                deck(card.deck),
                card.context,
                card.front,
                card.back,
                card.content_hash,
                card.retired_at,
                int(card.suspended),
                card.buried_until,
                int(card.leech),
                card.clock,
                card.device,
            )
            updated = conn.execute(
                "UPDATE card SET deck_id = ?, context = ?, front = ?, back = ?, content_hash = ?, retired_at = ?, "
                "suspended = ?, buried_until = ?, leech = ?, clock = ?, clock_device = ?, updated_at = ? "
                "WHERE id = ?",
                (*shared, now, card.id),
            ).rowcount
            if not updated:
                # A card this machine has no notes for: reviewable all the same; its source stays empty until
                # the same notes are imported here (from whatever path), which takes it over with its history.
                conn.execute(
                    "INSERT INTO card (id, deck_id, context, front, back, content_hash, retired_at, suspended, "
                    "buried_until, leech, clock, clock_device, source, line, created_at, updated_at, reps, ease, "
                    f"interval, drill, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, 0, "
                    f"{START_EASE}, 0, 0, 0)",
                    (card.id, *shared, arrived + 1, card.created_at, now),
                )
                arrived += 1
                inserted.add(card.id)
        for setting in plan.settings:
            if setting.value is None:
                conn.execute(
                    "INSERT OR REPLACE INTO setting_tombstone (key, clock, device) VALUES (?, ?, ?)",
                    (setting.key, setting.clock, setting.device),
                )
                conn.execute("DELETE FROM setting WHERE key = ?", (setting.key,))
            else:
                conn.execute("DELETE FROM setting_tombstone WHERE key = ?", (setting.key,))
                conn.execute(
                    "INSERT INTO setting (key, value, clock, clock_device) VALUES (?, ?, ?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value, clock = excluded.clock, "
                    "clock_device = excluded.clock_device",
                    (setting.key, setting.value, setting.clock, setting.device),
                )
        marks = ", ".join("?" * (len(REVIEW_COLUMNS) + 4))
        insert = (
            f"INSERT INTO review (uid, device, clock, deck_id, {', '.join(REVIEW_COLUMNS)}) VALUES ({marks})"
        )
        for start in range(0, len(plan.new_reviews), 5000):
            batch = plan.new_reviews[start : start + 5000]
            conn.executemany(
                insert,
                [
                    (review.uid, review.device, 0, deck(review.deck) if review.deck else None, *review.values)
                    for review in batch
                ],
            )
            tick(len(batch))
        for review in plan.undone_reviews:
            conn.execute(
                "INSERT OR REPLACE INTO review_tombstone (uid, clock, device) VALUES (?, 0, ?)",
                (review.uid, review.device),
            )
            conn.execute("DELETE FROM review WHERE uid = ?", (review.uid,))
        conn.execute(
            "UPDATE sync_clock SET counter = max(counter, ?) WHERE id = 1", (lamport(0, [plan.max_clock]),)
        )
        if plan.new_reviews or plan.undone_reviews:
            store.mark_log_merged()
        # A pulled scheduler or FSRS parameters change: replayed as the switch or `optimize` did it where it
        # was made, by the same rule.
        rederived_count = replay_for_scheduler(store).cards if plan.rederive_all else 0
        rederived_count = max(rederived_count, rederive(store, plan.touched_cards | inserted))
        for key, value in ((pushed_key(server), pushed_clock), (pulled_key(server), server_seq)):
            conn.execute(
                "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )
    return plan, rederived_count


def rederive(store: Store, card_ids: Iterable[str] | None) -> int:
    """Set each card's state and memory to the replay of all its answers (`None`: every card). Runs inside the
    caller's transaction."""
    from .settings import effective

    chosen = effective(store.settings()).scheduling
    conn = store.connection
    ids = [row[0] for row in conn.execute("SELECT id FROM card")] if card_ids is None else sorted(card_ids)
    days: dict[str, date] = {}
    done = 0
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        logs: dict[str, list[LoggedReview]] = {card_id: [] for card_id in chunk}
        for row in conn.execute(
            "SELECT card_id, uid, reviewed_at, day, quality, kind, reps_after, ease_after, interval_after, "
            f"due_after, drill_after, lapses_after FROM review WHERE card_id IN ({marks})",
            chunk,
        ):
            day = days.get(row[3]) or days.setdefault(row[3], read_date(row[3]))
            after = SM2State(
                row[6], row[7], row[8], read_date(row[9]) if row[9] else None, bool(row[10]), row[11]
            )
            logs[row[0]].append(LoggedReview(row[1], row[2], day, row[4], row[5], after))
        updates = []
        for card_id, answers in logs.items():
            derived = rederived(card_id, answers, chosen)
            state, memory = derived.state, derived.memory
            updates.append(
                (
                    state.reps,
                    state.ease,
                    state.interval,
                    state.due.isoformat() if state.due else None,
                    int(state.drill),
                    state.lapses,
                    memory.state.stability if memory else None,
                    memory.state.difficulty if memory else None,
                    memory.last_review.isoformat() if memory else None,
                    derived.last_review,
                    card_id,
                )
            )
        conn.executemany(
            "UPDATE card SET reps = ?, ease = ?, interval = ?, due = ?, drill = ?, lapses = ?, stability = ?, "
            "difficulty = ?, memory_day = ?, last_review = ? WHERE id = ?",
            updates,
        )
        done += len(updates)
    return done


def pending_local(store: Store, server: str) -> Counts:
    """What the next sync would send to `server` (for `sync --status`); writes nothing."""
    row = store.connection.execute("SELECT value FROM setting WHERE key = ?", (DEVICE_KEY,)).fetchone()
    pushed = watermarks(store, server)[0] if row is not None else -1
    return counts_of(outgoing(store, str(row[0]) if row else "", pushed).outgoing)


def is_sqlite_busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
