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
from .store import Store, SyncCounts

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
    claimed: dict[str, set[str]] = {}
    # Parsing is the slow part: it runs before the write lock is taken, so a review answering meanwhile waits
    # only for the writes, never for seconds of markdown.
    parsed: list[Extraction | None] = []
    with _collector_paused():
        for done, note in enumerate(notes, start=1):
            digest, deck_name = file_hash(note.data, EXTRACTOR_VERSION), deck or note.path.stem
            recorded = None if dry_run else store.unchanged_file(deck_name, str(note.path), digest)
            parsed.append(None if recorded is not None else extract(note.text))
            if progress is not None:
                progress(note, done)
    with store.transaction(rollback=dry_run):
        for note, extraction in zip(notes, parsed, strict=True):
            deck_name = deck or note.path.stem
            claimed_ids = claimed.setdefault(deck_name, set())
            total.add(_import_one(store, note, deck_name, now, claimed_ids, dry_run, prune, extraction))
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
    now: datetime,
    claimed: set[str],
    dry_run: bool,
    prune: bool,
    extraction: Extraction | None = None,
) -> SyncCounts:
    source = str(note.path)
    digest = file_hash(note.data, EXTRACTOR_VERSION)
    if not dry_run:
        recorded_skips = store.unchanged_file(deck, source, digest)
        if recorded_skips is not None:
            counts = SyncCounts(unchanged=store.active_card_count(deck, source), skipped=recorded_skips)
            if prune:
                counts.pruned = store.prune(deck, source)
            return counts
    if extraction is None:  # unchanged when parsed, changed since by another import: parsed now
        extraction = extract(note.text)
    counts = store.sync_file(
        deck, source, digest, extraction.cards, extraction.skipped, now, claimed, collect_cards=dry_run
    )
    if prune:
        counts.pruned = store.prune(deck, source)
    return counts
