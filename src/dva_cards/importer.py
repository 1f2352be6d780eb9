"""`dva-cards import`: notes files -> cards, all in one transaction. No printing: progress goes to a callback."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .extract import Extraction, extract
from .identity import file_hash
from .sources import NotesFile, find_notes, read_notes
from .store import DeckSync, Store, SyncCounts

# Bump when extraction rules change, so every file is read again instead of skipped as unchanged.
EXTRACTOR_VERSION = "1"

Progress = Callable[[NotesFile, int], None]  # called after each file with the number of bytes done


def load_notes(paths: list[Path]) -> list[NotesFile]:
    """Read and decode every file before anything is written: a bad file fails the import up front."""
    return [read_notes(path) for path in find_notes(paths)]


def import_notes(
    store: Store,
    notes: list[NotesFile],
    now: datetime,
    *,
    deck: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
) -> SyncCounts:
    total = SyncCounts()
    # Parsing is the slow part: it runs before the write lock is taken, so a review answering meanwhile waits
    # only for the writes, never for seconds of markdown.
    parsed: list[tuple[str, Extraction | None]] = []
    with _collector_paused():
        for done, note in enumerate(notes, start=1):
            digest = file_hash(note.data, EXTRACTOR_VERSION)
            recorded = (
                None if dry_run else store.unchanged_file(deck or note.path.stem, str(note.path), digest)
            )
            parsed.append((digest, None if recorded is not None else extract(note.text)))
            if progress is not None:
                progress(note, done)
    with store.transaction(rollback=dry_run):
        decks: dict[str, DeckSync] = {}
        for note, (digest, extraction) in zip(notes, parsed, strict=True):
            deck_name = deck or note.path.stem
            total.add(_import_one(store, note, deck_name, digest, extraction, decks, now, dry_run, prune))
    return total


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing makes millions of short-lived tokens, which trip Python's cyclic collector over and over, each
    time walking every object still alive (every card parsed so far): 10-40 % of a large import. Tokens and
    drafts form no reference cycles, so reference counting frees them all the same; the collector is back
    on afterwards, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_one(
    store: Store,
    note: NotesFile,
    deck: str,
    digest: str,
    extraction: Extraction | None,
    decks: dict[str, DeckSync],
    now: datetime,
    dry_run: bool,
    prune: bool,
) -> SyncCounts:
    source = str(note.path)
    if not dry_run:
        recorded_skips = store.unchanged_file(deck, source, digest)
        if recorded_skips is not None:
            counts = SyncCounts(unchanged=store.active_card_count(deck, source), skipped=recorded_skips)
            if prune:
                counts.pruned = store.prune(deck, source)
                if deck in decks:
                    decks[deck].forget_retired(source)
            return counts
    if extraction is None:  # unchanged when parsed, changed since by another import: parsed now
        extraction = extract(note.text)
    if deck not in decks:
        decks[deck] = store.deck_sync(deck)
    counts = store.sync_file(
        decks[deck], source, digest, extraction.cards, extraction.skipped, now, collect_cards=dry_run
    )
    if prune:
        counts.pruned = store.prune(deck, source)
        decks[deck].forget_retired(source)
    return counts
