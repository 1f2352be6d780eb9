"""`dva-cards import`: notes files -> cards, all in one transaction. No printing: progress goes to a callback.

The files are taken one after the other: read, parsed, reconciled (`reconcile.DeckImport`) and written, each
file's drafts and plan dropped before the next, so an import holds about one file's worth at a time whatever
the number of files. Across files it keeps only what the summary and the moves between files need.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .domain import CardRow, MovedCard, SkippedRow
from .extract import EXTRACTOR_VERSION, CardDraft
from .identity import file_hash, with_title
from .parse_pool import Job, extract_files
from .reconcile import Counts, DeckImport, ExistingCard, FileExists, FileInput, FilePlan, Move
from .sections import LaidOut, Layout, LineRange, lay_out
from .sources import NotesFile, decode_notes, find_notes, read_bytes, read_notes
from .steady import key_of, lines_agree, merged, steady_ranges, untouched_ranges
from .store import DeckCards, Store

Progress = Callable[[NotesFile, int], None]  # called as each file is parsed, with the number of files so far

# Parsing is the slow part (about 1 MB of notes a second on a core). An import parses this much of its notes
# ahead of the file it writes: all of an ordinary import before the write lock is taken, so a review answering
# meanwhile waits only for the writes, never for seconds of markdown; under the lock, the files after are
# parsed (on the other cores) while those before are written. The files go to the parsers in batches of this
# size, so only a batch's texts are held at a time.
READ_AHEAD_BYTES = 4 * 1024 * 1024


def load_notes(paths: list[Path]) -> list[NotesFile]:
    """Find and read every file before anything is written: a bad file (unreadable, not text) fails the import
    up front. The texts are not kept: the import reads each file again when it comes to it."""
    return [NotesFile(path, directory, len(read_notes(path))) for path, directory in find_notes(paths)]


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
    with _collector_paused(), closing(_reads(store, notes, deck, dry_run)) as reads:
        store.check_ahead()  # the check before the first write runs while the notes are parsed
        ahead = _ReadAhead(reads, READ_AHEAD_BYTES, progress)
        ahead.fill()  # before the write lock
        with store.transaction(rollback=dry_run):
            run = _Run(store, now, dry_run, prune, file_exists)
            for read in ahead:
                run.add(read)
            return run.finish()


def _batches(notes: list[NotesFile], size: int) -> list[list[NotesFile]]:
    """The files in order, in runs of about `size` bytes (a file larger than that alone)."""
    batches: list[list[NotesFile]] = []
    total = 0
    for note in notes:
        if not batches or (batches[-1] and total + note.size > size):
            batches.append([])
            total = 0
        batches[-1].append(note)
        total += note.size
    return batches


@dataclass(frozen=True)
class ParsedFile:
    laid: LaidOut  # its extraction; what each of its sections yielded, kept for its next import
    previous: Layout  # where its sections started at its last import
    recorded: str | None  # the fingerprint its last import recorded, when `previous` was read


@dataclass(frozen=True)
class _Read:
    """A notes file as the import read it: its fingerprint, and its drafts -- or, when it was unchanged since its
    last import, its bytes (parsed only if another import changed its record before the write lock)."""

    note: NotesFile
    deck: str
    digest: str
    content: ParsedFile | bytes


def _reads(
    store: Store, notes: list[NotesFile], deck: str | None, dry_run: bool
) -> Generator[_Read, None, None]:
    """Every file read, in order, a batch at a time (`_read`)."""
    for batch in _batches(notes, READ_AHEAD_BYTES):
        with closing(_read(store, batch, deck, dry_run)) as reads:
            yield from reads


@dataclass
class _ReadAhead:
    """The files read and parsed ahead of the one being written, about `size` bytes of them: all of an ordinary
    import before the write lock is taken; under it, the files after are parsed (on other cores) while those
    before are written."""

    reads: Iterator[_Read]
    size: int
    progress: Progress | None
    window: deque[_Read] = field(default_factory=deque)
    held: int = 0  # bytes in the window
    done: int = 0  # files read so far

    def fill(self) -> None:
        while self.held < self.size:
            read = next(self.reads, None)
            if read is None:
                return
            self.window.append(read)
            self.held += max(read.note.size, 1)
            self.done += 1
            if self.progress is not None:
                self.progress(read.note, self.done)

    def __iter__(self) -> Iterator[_Read]:
        while self.window:
            read = self.window.popleft()
            self.held -= max(read.note.size, 1)
            yield read
            del read  # written: let it go before reading more
            self.fill()


def _read(
    store: Store, notes: list[NotesFile], deck: str | None, dry_run: bool
) -> Generator[_Read, None, None]:
    """Each file read and, unless unchanged since its last import, parsed: re-parsing only the sections not
    seen at its last import, the files on several cores when that pays (`parse_pool`), the results the same
    either way. Each file's fingerprint is that of the bytes parsed."""
    found: list[tuple[NotesFile, str, str, tuple[Layout, str | None] | bytes]] = []
    jobs: list[Job] = []
    for note in notes:
        name = _deck_of(note, deck)
        source = str(note.path)
        data = read_bytes(note.path)
        # Whether titles go into the contexts is part of how a file is read: a change re-reads it.
        digest = file_hash(data, EXTRACTOR_VERSION + ("+title" if _titled(note, name) else ""))
        recorded = None if dry_run else store.recorded_hash(name, source)
        if recorded == digest:
            found.append((note, name, digest, data))
        else:
            known, layout = ({}, {}) if dry_run else store.section_results(name, source)
            jobs.append((decode_notes(data, note.path), known, layout))
            found.append((note, name, digest, (layout, recorded)))
    with closing(extract_files(jobs, EXTRACTOR_VERSION)) as extracted:  # closed: its workers end with it
        for note, name, digest, before in found:
            if isinstance(before, bytes):
                yield _Read(note, name, digest, before)
            else:
                yield _Read(note, name, digest, ParsedFile(next(extracted), *before))


@dataclass
class _Deck:
    id: int
    work: DeckImport
    cards: DeckCards
    lookup: Callable[[str], ExistingCard | None]


@dataclass
class _Run:
    """One import's writes, file after file, inside its transaction, and what it keeps across files: each
    deck's reconciliation (`DeckImport`), the prunes waiting for the moves, and the summary."""

    store: Store
    now: datetime
    dry_run: bool
    prune: bool
    file_exists: FileExists
    decks: dict[str, _Deck] = field(default_factory=dict)
    files: int = 0
    counts: Counts = Counts()
    skipped: list[SkippedRow] = field(default_factory=list)
    new_cards: list[CardRow] = field(default_factory=list)  # a dry run's
    prunes: _Prunes = field(init=False)

    def __post_init__(self) -> None:
        self.prunes = _Prunes(self.store)

    def add(self, read: _Read) -> None:
        deck = self._deck(read.deck)
        source = str(read.note.path)
        # Read inside the write lock: another import may have changed a file's record since it was read.
        recorded = None if self.dry_run else self.store.unchanged_file(read.deck, source, read.digest)
        parsed: ParsedFile | None = None
        if recorded is not None and not self.prune:  # its cards stay as they are: only counted
            file = FileInput(source, None, recorded_skips=recorded)
            plan = deck.work.unchanged(file, self.store.live_card_ids(deck.id, source))
        else:
            if recorded is not None:
                file = FileInput(source, None, recorded_skips=recorded, prune=self.prune)
                cards, _ = self.store.file_cards(deck.id, source)
            else:
                if isinstance(read.content, bytes):  # unchanged when read, changed since by another import
                    text = decode_notes(read.content, read.note.path)
                    parsed = _parse(self.store, text, read.deck, source, self.dry_run)
                else:
                    parsed = read.content
                file, cards = _file_input(self.store, deck.id, read.note, read.deck, parsed, self.prune)
            plan = deck.work.reconcile(file, self.files, cards, deck.lookup, self.file_exists)
        self.files += 1
        self._write(deck, plan, read.digest)
        if parsed is not None and not self.dry_run:
            laid = parsed.laid
            self.store.keep_section_results(deck.id, source, laid.sections, laid.layout, parsed.previous)
        self.counts += plan.counts
        self.skipped += plan.skipped
        if self.dry_run:
            self.new_cards += plan.new_cards(read.deck)

    def _deck(self, name: str) -> _Deck:
        deck = self.decks.get(name)
        if deck is None:
            deck_id = self.store.ensure_deck(name)
            holds_cards, holds_live_cards = self.store.deck_holds(deck_id)
            cards = self.store.deck_cards(deck_id)
            # In a deck that held no card, every card is one of this import's: no id needs looking up.
            lookup = cards.card if holds_cards else _no_card
            deck = self.decks[name] = _Deck(deck_id, DeckImport(name, holds_live_cards), cards, lookup)
        return deck

    def _write(self, deck: _Deck, plan: FilePlan, digest: str) -> None:
        """The plan's writes but its retirements, held until the moves are known (`DeckImport`)."""
        self.store.retire_cards(plan.settled, self.now)
        for identity in plan.reinserted:
            self.prunes.delete_ahead(deck.id, identity)
        self.store.write_file_plan(deck.id, plan, digest, self.now)
        if plan.prune:  # a prune of cards whose retirement a move may undo waits for the moves
            self.prunes.run(deck.id, plan.source, wait=bool(plan.retirements))

    def finish(self) -> ImportResult:
        """The moves between files of each deck, the retirements that stand, the prunes that waited; then the
        summary, its lists in the order of the files."""
        moves: list[Move] = []
        for deck in self.decks.values():
            settled = deck.work.settle(deck.cards, self.file_exists)
            self.store.update_cards([replace(move.write, id=move.card) for move in settled.moves], self.now)
            self.store.withdraw_cards([move.write.id for move in settled.moves])
            self.store.retire_cards(settled.retirements, self.now)
            self.counts += settled.counts
            moves += settled.moves
        self.prunes.finish()
        moves.sort(key=lambda move: (move.file, move.position))
        withdrawn = {move.write.id for move in moves}
        return ImportResult(
            self.counts,
            tuple(self.skipped),
            tuple(card for card in self.new_cards if card.id not in withdrawn),
            self.dry_run,
            tuple(move.record for move in moves),
        )


@dataclass
class _Prunes:
    """An import's prunes, in the order of their files. Deleting a card ticks the sync clock, which numbers the
    card's tombstone, so the cards are deleted in the order a prune of every file in turn gives them: a prune
    of cards whose retirement a move may undo waits for the moves, and so does every prune after it."""

    store: Store
    waiting: list[tuple[int, str]] = field(default_factory=list)  # (deck id, file)
    clock: int = 0  # the sync clock when the first prune began to wait
    # Cards a waiting prune takes that a later file inserts anew, deleted ahead: (rowid, id) by waiting prune.
    ahead: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def run(self, deck_id: int, source: str, *, wait: bool) -> None:
        if not self.waiting and not wait:
            self.store.prune(deck_id, source)
            return
        if not self.waiting:
            self.clock = self.store.sync_clock()
        self.waiting.append((deck_id, source))

    def delete_ahead(self, deck_id: int, identity: str) -> None:
        """Delete a card a prune took, its id about to be inserted anew (if its prune waits, it is still there)."""
        found = self.store.card_place(deck_id, identity)
        if found is not None:
            rowid, source = found
            self.ahead.setdefault(self.waiting.index((deck_id, source)), []).append((rowid, identity))
            self.store.delete_card(identity)

    def finish(self) -> None:
        """Run the waiting prunes; the tombstones of cards deleted ahead take back their place among them."""
        order: list[str] = []
        for index, (deck_id, source) in enumerate(self.waiting):
            if self.ahead:
                taken = self.store.retired_rows(deck_id, source) + self.ahead.get(index, [])
                order += [identity for _, identity in sorted(taken)]
            self.store.prune(deck_id, source)
        if self.ahead:
            self.store.number_tombstones(order, self.clock)


def _no_card(_: str) -> ExistingCard | None:
    return None


def _file_input(
    store: Store, deck_id: int, note: NotesFile, deck: str, parsed: ParsedFile, prune: bool
) -> tuple[FileInput, list[ExistingCard]]:
    """The file's reconciliation input and its cards as stored. The cards of steady sections are left out of
    both, their drafts never built; a section found touched (`steady.untouched_ranges`), or a file whose
    cards are not where its last import left them, is read again and reconciled."""
    source = str(note.path)
    laid = parsed.laid
    title = (laid.title or note.path.stem) if _titled(note, deck) else None
    skipped = laid.skipped()
    # Sections read at parsing describe the file's cards only if no import changed them since.
    current = parsed.recorded == store.recorded_hash(deck, source)
    held: list[LineRange] = []
    if current:
        held = steady_ranges(parsed.previous, laid.layout, laid.sections, titled=title is not None)
    while True:
        cards, kept = store.file_cards(deck_id, source, merged(held))
        drafts = _with_title(laid.drafts(leave_out=held), title)
        if not held:
            return FileInput(source, drafts, skipped, prune=prune), cards
        steady = laid.within(held)
        narrowed = []
        if lines_agree(steady, (line for _, line in kept)):
            keys = [key_of(card.context, card.front) for card in cards]
            narrowed = untouched_ranges(steady, drafts, keys, title)
        if narrowed == held:
            steady_ids = frozenset(identity for identity, _ in kept)
            return FileInput(source, drafts, skipped, prune=prune, steady=steady_ids), cards
        held = narrowed


def _parse(store: Store, text: str, deck: str, source: str, dry_run: bool) -> ParsedFile:
    """The file's drafts, re-parsing only sections not seen at its last import into `deck`."""
    known, previous = ({}, {}) if dry_run else store.section_results(deck, source)
    recorded = None if dry_run else store.recorded_hash(deck, source)
    return ParsedFile(lay_out(text, known, EXTRACTOR_VERSION, previous=previous), previous, recorded)


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


def _with_title(drafts: tuple[CardDraft, ...], title: str | None) -> tuple[CardDraft, ...]:
    """The drafts with the file's title leading each context (`identity.with_title`): `title` is the file's
    first heading, else its name, in a titled file (`_titled`), None in others."""
    if title is None:
        return drafts
    return tuple(
        draft
        if (context := with_title(draft.context, title)) is draft.context
        else draft._replace(context=context)
        for draft in drafts
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
