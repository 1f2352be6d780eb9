"""`dva-cards import`: notes files -> cards, all in one transaction. No printing: progress goes to a callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .extract import extract
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
    with store.transaction(rollback=dry_run):
        for done, note in enumerate(notes, start=1):
            deck_name = deck or note.path.stem
            total.add(
                _import_one(store, note, deck_name, now, claimed.setdefault(deck_name, set()), dry_run, prune)
            )
            if progress is not None:
                progress(note, done)
    return total


def _import_one(
    store: Store, note: NotesFile, deck: str, now: datetime, claimed: set[str], dry_run: bool, prune: bool
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
    extraction = extract(note.text)
    counts = store.sync_file(
        deck, source, digest, extraction.cards, extraction.skipped, now, claimed, collect_cards=dry_run
    )
    if prune:
        counts.pruned = store.prune(deck, source)
    return counts
