"""`dva-cards import`: notes files -> cards, all in one transaction. No printing: progress goes to a callback."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .domain import CardRow, MovedCard, SkippedRow
from .extract import EXTRACTOR_VERSION, CardDraft, Extraction
from .identity import file_hash
from .parse_pool import Job, extract_files
from .reconcile import Counts, DeckPlan, DeckSnapshot, FileExists, FileInput, FilePlan, reconcile_deck
from .sections import Layout, SectionResult, extract_laid_out
from .sources import NotesFile, find_notes, read_notes
from .steady import Key, LineRange, key_of, lines_agree, merged, split_drafts, steady_ranges, untouched_ranges
from .store import Store

Progress = Callable[[NotesFile, int], None]  # called after each file with the number of bytes done


def load_notes(paths: list[Path]) -> list[NotesFile]:
    """Read and decode every file before anything is written: a bad file fails the import up front."""
    return [read_notes(path, directory) for path, directory in find_notes(paths)]


@dataclass(frozen=True)
class ImportResult:
    counts: Counts
    skipped: tuple[SkippedRow, ...]
    cards: tuple[CardRow, ...]  # the cards a dry run would add (empty for a real import)
    dry_run: bool = False
    moves: tuple[MovedCard, ...] = ()  # cards carried to their definition's new place

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "added": self.counts.added,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "retired": self.counts.retired,
            "restored": self.counts.restored,
            "pruned": self.counts.pruned,
            "moved": self.counts.moved,
            "moves": [move.to_json() for move in self.moves],
            "not_carded": len(self.skipped),
            "skipped": [item.to_json() for item in self.skipped],
        }
        if self.dry_run:
            result["dry_run"] = True
            result["cards"] = [card.to_json() for card in self.cards]
        return result


def import_notes(
    store: Store,
    notes: list[NotesFile],
    now: datetime,
    *,
    deck: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    file_exists: FileExists = os.path.exists,
) -> ImportResult:
    # Parsing is the slow part: it runs before the write lock is taken, so a review answering meanwhile waits
    # only for the writes, never for seconds of markdown.
    # Whether titles go into the contexts is part of how a file is read: a change re-reads it.
    # A changed file re-parses only the sections whose text changed since its last import.
    digests = [
        file_hash(note.data, EXTRACTOR_VERSION + ("+title" if _titled(note, _deck_of(note, deck)) else ""))
        for note in notes
    ]
    with _collector_paused():
        return _import(store, notes, digests, now, deck, dry_run, prune, progress, file_exists)


def _import(
    store: Store,
    notes: list[NotesFile],
    digests: list[str],
    now: datetime,
    deck: str | None,
    dry_run: bool,
    prune: bool,
    progress: Progress | None,
    file_exists: FileExists,
) -> ImportResult:
    parsed = _parse_changed(store, notes, digests, deck, dry_run, progress)
    with store.transaction(rollback=dry_run):
        # Read inside the write lock: another import may have changed a file's record since parsing.
        files: dict[str, list[_FileDrafts]] = {}
        for note, digest, parsed_file in zip(notes, digests, parsed, strict=True):
            name = _deck_of(note, deck)
            recorded = None if dry_run else store.unchanged_file(name, str(note.path), digest)
            if recorded is not None:
                each = _FileDrafts(str(note.path), None, recorded=recorded)
            else:
                if parsed_file is None:  # unchanged when parsed, changed since by another import: parsed now
                    parsed_file = _parse(store, note, name, dry_run)
                titled = _titled(note, name)
                extraction = parsed_file.extraction
                # Sections read at parsing describe the file's cards only if no import changed them since.
                current = parsed_file.recorded == store.recorded_hash(name, str(note.path))
                each = _FileDrafts(
                    str(note.path),
                    _with_title(extraction, note) if titled else extraction.cards,
                    parsed=parsed_file,
                    steady=steady_ranges(
                        parsed_file.previous, parsed_file.layout, parsed_file.sections, titled=titled
                    )
                    if current
                    else [],
                )
            files.setdefault(name, []).append(each)
        plans: dict[str, tuple[int, Iterator[FilePlan], DeckPlan]] = {}
        for name, deck_files in files.items():
            deck_id, snapshot, inputs = _deck_inputs(store, name, deck_files, prune)
            plan = reconcile_deck(snapshot, inputs, file_exists, store.card_answers)
            plans[name] = (deck_id, iter(plan.files), plan)
        # Applied in the order the files were given, as reconciled: each deck's plans stay in their order.
        for note, digest in zip(notes, digests, strict=True):
            name = _deck_of(note, deck)
            deck_id, file_plans, _ = plans[name]
            store.apply_file_plan(deck_id, next(file_plans), digest, now)
        for name, deck_files in files.items():
            for each in deck_files:
                if each.parsed is not None and not dry_run:
                    store.keep_section_results(
                        plans[name][0],
                        each.source,
                        each.parsed.sections,
                        each.parsed.layout,
                        each.parsed.previous,
                    )
    return _result(notes, deck, plans, dry_run)


@dataclass(frozen=True)
class _FileDrafts:
    """One file of an import: its drafts (None: unchanged since its last import) and the line ranges of its
    sections that may keep their cards as they are (`steady`)."""

    source: str
    drafts: tuple[CardDraft, ...] | None
    parsed: ParsedFile | None = None
    recorded: list[SkippedRow] | None = None  # what its last import skipped, when unchanged
    steady: list[LineRange] = field(default_factory=list)


def _deck_inputs(
    store: Store, deck: str, files: list[_FileDrafts], prune: bool
) -> tuple[int, DeckSnapshot, list[FileInput]]:
    """The deck's snapshot and its files' reconciliation inputs. The cards of steady sections are left out of
    both; a section found touched (`steady.untouched_ranges`), or a file whose cards are not where its last
    import left them, is read again and reconciled."""
    held = {each.source: each.steady for each in files if each.steady and each.drafts is not None}
    while True:
        deck_id, snapshot, kept = store.deck_snapshot(deck, {source: merged(r) for source, r in held.items()})
        by_source: dict[str, list[Key]] = {}
        for card in snapshot.cards:
            if card.source in held:
                by_source.setdefault(card.source, []).append(key_of(card.context, card.front))
        narrowed: dict[str, list[LineRange]] = {}
        split: dict[str, tuple[list[CardDraft], list[CardDraft]]] = {}
        for each in files:
            ranges = held.get(each.source)
            if not ranges or each.drafts is None:
                continue
            reconciled, steady = split[each.source] = split_drafts(each.drafts, ranges)
            if lines_agree(steady, (line for _, line in kept.get(each.source, ()))):
                ranges = untouched_ranges(ranges, steady, reconciled, by_source.get(each.source, ()))
                if ranges:
                    narrowed[each.source] = ranges
        if narrowed == held:
            break
        held = narrowed
    inputs = []
    for each in files:
        if each.drafts is None:
            inputs.append(FileInput(each.source, None, recorded_skips=each.recorded or (), prune=prune))
            continue
        skipped = each.parsed.extraction.skipped if each.parsed is not None else ()
        if each.source in held:
            steady_ids = frozenset(identity for identity, _ in kept.get(each.source, ()))
            inputs.append(
                FileInput(each.source, split[each.source][0], skipped, prune=prune, steady=steady_ids)
            )
        else:
            inputs.append(FileInput(each.source, each.drafts, skipped, prune=prune))
    return deck_id, snapshot, inputs


def _parse_changed(
    store: Store,
    notes: list[NotesFile],
    digests: list[str],
    deck: str | None,
    dry_run: bool,
    progress: Progress | None,
) -> list[ParsedFile | None]:
    """Each file's drafts, None for a file unchanged since its last import; the files on several cores when
    that pays (`parse_pool`), the results the same either way."""
    changed: list[int] = []
    jobs: list[Job] = []
    previous: list[tuple[Layout, str | None]] = []
    for index, (note, digest) in enumerate(zip(notes, digests, strict=True)):
        name = _deck_of(note, deck)
        if dry_run or store.unchanged_file(name, str(note.path), digest) is None:
            changed.append(index)
            known, layout = ({}, {}) if dry_run else store.section_results(name, str(note.path))
            jobs.append((note.text, known))
            previous.append((layout, None if dry_run else store.recorded_hash(name, str(note.path))))
    parsed: list[ParsedFile | None] = [None] * len(notes)
    done = 0
    with closing(extract_files(jobs, EXTRACTOR_VERSION)) as extracted:  # closed: its workers end with it
        for index, (before, recorded), (extraction, sections, layout) in zip(
            changed, previous, extracted, strict=True
        ):
            parsed[index] = ParsedFile(extraction, sections, layout, before, recorded)
            while progress is not None and done <= index:  # unchanged files before it count as done too
                done += 1
                progress(notes[done - 1], done)
    if progress is not None:
        for number in range(done + 1, len(notes) + 1):
            progress(notes[number - 1], number)
    return parsed


@dataclass(frozen=True)
class ParsedFile:
    extraction: Extraction
    sections: dict[str, SectionResult]  # what each of its sections yielded, kept for its next import
    layout: Layout  # where its sections start
    previous: Layout  # where its sections started at its last import
    recorded: str | None  # the fingerprint its last import recorded, when `previous` was read


def _parse(store: Store, note: NotesFile, deck: str, dry_run: bool) -> ParsedFile:
    """The file's drafts, re-parsing only sections not seen at its last import into `deck`."""
    known, previous = ({}, {}) if dry_run else store.section_results(deck, str(note.path))
    recorded = None if dry_run else store.recorded_hash(deck, str(note.path))
    return ParsedFile(*extract_laid_out(note.text, known, EXTRACTOR_VERSION), previous, recorded)


def _deck_of(note: NotesFile, deck: str | None) -> str:
    """The deck a file's cards go to: the one given, else the directory it was found in (one deck for a
    whole directory of notes), else the file's name without its extension."""
    if deck:
        return deck
    if note.directory is not None and note.directory.name:
        return note.directory.name
    return note.path.stem


def _titled(note: NotesFile, deck: str) -> bool:
    """A file whose deck is not named after it shares that deck with other files: its title goes into its
    cards' contexts, so equal headings of different files stay apart. Decided by the names alone, so a file
    reads the same whether it comes in with its directory, on its own with `--deck`, or from a review."""
    return deck != note.path.stem


def _with_title(extraction: Extraction, note: NotesFile) -> tuple[CardDraft, ...]:
    """The drafts with the file's title (its first heading, else its name) leading each context, unless the
    context already starts with it (a file whose top heading holds everything is unchanged)."""
    title = extraction.title or note.path.stem
    return tuple(
        draft
        if draft.context[:1] == (title,)
        else CardDraft((title, *draft.context), draft.front, draft.back, draft.line, draft.occurrence)
        for draft in extraction.cards
    )


def _result(
    notes: list[NotesFile],
    deck: str | None,
    plans: dict[str, tuple[int, Iterator[FilePlan], DeckPlan]],
    dry_run: bool,
) -> ImportResult:
    by_source = {(name, each.source): each for name, (_, _, plan) in plans.items() for each in plan.files}
    named = [(_deck_of(note, deck), str(note.path)) for note in notes]
    ordered = [(name, by_source[(name, source)]) for name, source in named]
    counts = Counts()
    for _, each in ordered:
        counts += each.counts
    cards = [card for name, each in ordered for card in each.new_cards(name)] if dry_run else []
    return ImportResult(
        counts,
        tuple(item for _, each in ordered for item in each.skipped),
        tuple(cards),
        dry_run,
        tuple(move for _, each in ordered for move in each.moves),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing makes millions of short-lived tokens, which trip Python's cyclic collector over and over, each
    time walking every object still alive (every card parsed so far): 10-40 % of a large import; reading
    and reconciling a large deck's cards does the same. Tokens, drafts and plans form no reference cycles, so
    reference counting frees them all the same; the collector is back on afterwards, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
