"""Anki collections holding the same cards as a dva-cards collection, for the side-by-side benchmark.

`mirror_collection(dva_db, anki_path, today)` reads a dva-cards collection (one that tests/bench/generate.py
made) and writes an Anki collection with the same decks, the same notes (fields Front, Back, Context, Source of
the `dva-cards` note type that `dva-cards export` writes), each card's schedule translated to Anki's columns and
every review row as a revlog entry. Notes go in through Anki's own note-adding API; the schedules and the
review log, which no Anki API writes in bulk, through Anki's database proxy, in one pass each.

`empty_collection(anki_path)` is a new Anki collection that already has the `dva-cards` note type, as a
learner's would after importing one `.apkg`: what Anki's text import of `dva-cards export FILE.txt` needs.

Translation (dva-cards → Anki): a new card stays new (in note order); a learned card is a review card with the
same interval, ease (factor), reps and lapses, due on the same date; a re-learning or drilling card is an
inter-day relearning card due on its date; suspended, retired (not in review, history kept) and buried cards
are suspended, suspended and buried; leeches and retired cards are tagged `leech` / `retired`. Grades map to
buttons 0-2 → Again, 3 → Hard, 4 → Good, 5 → Easy; answer kinds to revlog types: a new card's first answer →
learn, review → review, drill → relearn, cram → filtered.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

NOTETYPE = "dva-cards"
FIELDS = ("Front", "Back", "Context", "Source")
DAY_SECONDS = 86_400
ROLLOVER_HOUR = 4  # Anki's default, and dva-cards' default rollover-hour
# Anki studies one deck and its children; dva-cards reviews all decks at once: the decks become children of one
# parent, which is the deck selected for study.
PARENT_DECK = "dva-cards"


def deck_name(dva_deck: str) -> str:
    """The Anki deck of a dva-cards deck (search it with `deck:"<name>"`)."""
    return f"{PARENT_DECK}::{dva_deck}"


def empty_collection(path: Path) -> Path:
    from anki.collection import Collection

    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    try:
        col.set_config("rollover", ROLLOVER_HOUR)
        _add_notetype(col)
    finally:
        col.close()
    return path


def mirror_collection(dva_db: Path, path: Path, today: date) -> Path:
    """Write `path` (replaced) as the Anki twin of the dva-cards collection `dva_db`; returns `path`."""
    from anki.collection import AddNoteRequest, Collection

    for stale in (path, path.with_name(path.name + "-wal")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dva_db}?mode=ro", uri=True)
    try:
        cards = source.execute(
            "SELECT c.id, d.name, c.context, c.front, c.back, c.source, c.line, c.reps, c.ease, c.interval, "
            "c.due, c.drill, c.lapses, c.suspended, c.buried_until, c.retired_at IS NOT NULL, c.leech "
            "FROM card c JOIN deck d ON d.id = c.deck_id ORDER BY d.name, c.source, c.line, c.id"
        ).fetchall()
        reviews = source.execute(
            "SELECT card_id, reviewed_at, quality, kind, duration_ms, interval_before, due_before, "
            "interval_after, ease_after FROM review ORDER BY reviewed_at, id"
        ).fetchall()
    finally:
        source.close()

    col = Collection(str(path))
    try:
        col.set_config("rollover", ROLLOVER_HOUR)
        # Anki counts days from the collection's creation: start it before the oldest review, so every due
        # date and log entry has a positive day number, as in a collection used for that long.
        col.crt = col.crt - 500 * DAY_SECONDS
    finally:
        col.close()
    col = Collection(str(path))
    try:
        notetype = _add_notetype(col)
        deck_ids = {name: col.decks.id(deck_name(name)) for name in sorted({row[1] for row in cards})}
        col.decks.select(col.decks.id(PARENT_DECK))
        requests = []
        for row in cards:
            (card_id, deck, context, front, back, source_path, line, *_rest) = row
            retired, leech = bool(row[15]), bool(row[16])
            note = col.new_note(notetype)
            note.fields = [front, back, context, f"{Path(source_path).name}:{line}"]
            note.guid = card_id
            note.tags = [tag for tag, wanted in (("leech", leech), ("retired", retired)) if wanted]
            requests.append(AddNoteRequest(note=note, deck_id=deck_ids[deck]))
        col.add_notes(requests)
        anki_id = {
            guid: cid
            for cid, guid in col.db.all("SELECT c.id, n.guid FROM cards c JOIN notes n ON n.id = c.nid")
        }
        today_number = col.sched.today
        stamp = int(datetime.now(UTC).timestamp())

        def day_number(value: str) -> int:
            return today_number + (date.fromisoformat(value) - today).days

        updates: list[tuple[Any, ...]] = []
        for position, row in enumerate(cards):
            (card_id, _deck, _context, _front, _back, _source, _line, reps, ease, interval, due, drill, lapses,
             suspended, buried_until, retired, _leech) = row  # fmt: skip
            if due is None:
                kind, queue, due_value, ivl, factor, left = 0, 0, position, 0, 0, 0
            elif drill or reps == 0:  # drilling or re-learning: seen again on its due date
                kind, queue, due_value, ivl, factor, left = 3, 3, day_number(due), max(1, interval), ease, 1
            else:
                kind, queue, due_value, ivl, factor, left = 2, 2, day_number(due), interval, ease, 0
            if suspended or retired:
                queue = -1
            elif buried_until is not None and date.fromisoformat(buried_until) > today:
                queue = -3
            updates.append((kind, queue, due_value, ivl, factor, reps, lapses, left, stamp, anki_id[card_id]))
        col.db.executemany(
            "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, "
            "left = ?, mod = ? WHERE id = ?",
            updates,
        )
        log: list[tuple[Any, ...]] = []
        last_id = 0
        for card_id, reviewed_at, quality, kind, duration_ms, before, due_before, after, ease in reviews:
            moment = datetime.fromisoformat(reviewed_at).replace(tzinfo=UTC)
            entry_id = max(int(moment.timestamp() * 1000), last_id + 1)  # revlog ids are unique times
            last_id = entry_id
            button = 1 if quality < 3 else quality - 1
            if kind == "cram":
                log_type = 3
            elif kind == "drill":
                log_type = 2
            else:
                log_type = 0 if due_before is None else 1
            cid = anki_id.get(card_id)
            if cid is not None:
                log.append((entry_id, cid, -1, button, after, before, ease, duration_ms, log_type))
        col.db.executemany(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            log,
        )
    finally:
        col.close()
    return path


def set_daily_limits(path: Path, *, new_per_day: int, reviews_per_day: int) -> None:
    """The default deck options' daily limits (every deck of a mirrored collection uses them)."""
    from anki.collection import Collection

    col = Collection(str(path))
    try:
        config = col.decks.get_config(1)
        assert config is not None
        config["new"]["perDay"] = new_per_day
        config["rev"]["perDay"] = reviews_per_day
        col.decks.update_config(config)
    finally:
        col.close()


def _add_notetype(col: Any) -> Any:
    """The note type `dva-cards export` writes: same name, fields, templates and CSS."""
    from dva_cards.export import note_type

    model = note_type()
    models = col.models
    notetype = models.new(NOTETYPE)
    for name in FIELDS:
        models.add_field(notetype, models.new_field(name))
    template = models.new_template(model.templates[0]["name"])
    template["qfmt"] = model.templates[0]["qfmt"]
    template["afmt"] = model.templates[0]["afmt"]
    models.add_template(notetype, template)
    notetype["css"] = model.css
    models.add(notetype)
    return models.by_name(NOTETYPE)


if __name__ == "__main__":  # python -m tests.bench.anki_mirror DVA_DB ANKI_PATH YYYY-MM-DD
    mirror_collection(Path(sys.argv[1]), Path(sys.argv[2]), date.fromisoformat(sys.argv[3]))
