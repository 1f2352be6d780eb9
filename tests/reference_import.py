"""The import as one whole, for reference: every file parsed, each deck reconciled in one call
(`tests.whole_deck.reconcile_deck`, moves folded into the plans), then every plan written in file order.

This is how `importer.import_notes` worked before it went file by file (`tests.whole_deck`); the property tests check that the
file-by-file import leaves the same collection and gives the same summary for any notes. It also builds every
draft of a file, steady sections too, numbered over the whole file, and finds the steady sections' touched keys
among those drafts, where the import builds only the drafts it reconciles.
"""

from __future__ import annotations

import os
from datetime import datetime

from dva_cards.domain import MovedCard, SkippedRow
from dva_cards.extract import CardDraft
from dva_cards.identity import file_hash
from dva_cards.importer import (
    EXTRACTOR_VERSION,
    ImportResult,
    ParsedFile,
    _deck_of,
    _parse,
    _titled,
    _with_title,
)
from dva_cards.reconcile import Counts, ExistingCard, FileExists, FileInput, FilePlan
from dva_cards.sections import LineRange
from dva_cards.sources import NotesFile, decode_notes, read_notes
from dva_cards.steady import Key, draft_key, key_of, merged, steady_ranges
from dva_cards.store import Store
from tests.whole_deck import DeckPlan, DeckSnapshot, reconcile_deck


def import_whole(
    store: Store,
    notes: list[NotesFile],
    now: datetime,
    *,
    deck: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    file_exists: FileExists = os.path.exists,
) -> ImportResult:
    with store.transaction(rollback=dry_run):
        files: dict[
            str, list[tuple[str, str, ParsedFile | None, list[SkippedRow] | None, list[LineRange]]]
        ] = {}
        drafts_of = {}
        digests = []
        for note in notes:
            name = _deck_of(note, deck)
            source = str(note.path)
            data = read_notes(note.path)
            digest = file_hash(data, EXTRACTOR_VERSION + ("+title" if _titled(note, name) else ""))
            digests.append(digest)
            recorded = None if dry_run else store.unchanged_file(name, source, digest)
            if recorded is not None:
                files.setdefault(name, []).append((source, digest, None, recorded, []))
                continue
            parsed = _parse(store, decode_notes(data, note.path), name, source, dry_run)
            titled = _titled(note, name)
            extraction = parsed.laid.extraction()
            title = (extraction.title or note.path.stem) if titled else None
            drafts_of[source] = _with_title(extraction.cards, title)
            laid = parsed.laid
            steady = steady_ranges(parsed.previous, laid.layout, laid.sections, titled=titled)
            files.setdefault(name, []).append((source, digest, parsed, None, steady))
        plans: dict[str, tuple[int, list[tuple[FilePlan, tuple[MovedCard, ...]]]]] = {}
        for name, deck_files in files.items():
            deck_id, snapshot, inputs = _deck_inputs(store, name, deck_files, drafts_of, prune)
            plan: DeckPlan = reconcile_deck(snapshot, inputs, file_exists, store.card_answers)
            plans[name] = (deck_id, list(zip(plan.files, plan.moves, strict=True)))
        order = {name: iter(deck_plans) for name, (_, deck_plans) in plans.items()}
        ordered = []
        moves: list[MovedCard] = []
        for note, digest in zip(notes, digests, strict=True):
            name = _deck_of(note, deck)
            deck_id = plans[name][0]
            file_plan, file_moves = next(order[name])
            moves += file_moves
            store.write_file_plan(deck_id, file_plan, digest, now)
            store.retire_cards(file_plan.retirements, now)
            if file_plan.prune:
                store.prune(deck_id, file_plan.source)
            ordered.append((name, file_plan))
        for name, deck_files in files.items():
            for source, _, parsed, _, _ in deck_files:
                if parsed is not None and not dry_run:
                    store.keep_section_results(
                        plans[name][0], source, parsed.laid.sections, parsed.laid.layout, parsed.previous
                    )
    counts = Counts()
    for _, each in ordered:
        counts += each.counts
    return ImportResult(
        counts,
        tuple(item for _, each in ordered for item in each.skipped),
        tuple(card for name, each in ordered for card in each.new_cards(name)) if dry_run else (),
        dry_run,
        tuple(moves),
    )


def _deck_inputs(
    store: Store,
    deck: str,
    files: list[tuple[str, str, ParsedFile | None, list[SkippedRow] | None, list[LineRange]]],
    drafts_of: dict[str, object],
    prune: bool,
) -> tuple[int, DeckSnapshot, list[FileInput]]:
    held = {source: steady for source, _, parsed, _, steady in files if steady and parsed is not None}
    while True:
        deck_id, snapshot, kept = _snapshot(store, deck, {source: merged(r) for source, r in held.items()})
        by_source: dict[str, list[tuple[str, str]]] = {}
        for card in snapshot.cards:
            if card.source in held:
                by_source.setdefault(card.source, []).append(key_of(card.context, card.front))
        narrowed: dict[str, list[LineRange]] = {}
        split = {}
        for source, _, parsed, _, _ in files:
            ranges = held.get(source)
            if not ranges or parsed is None:
                continue
            reconciled, steady = split[source] = _split_drafts(drafts_of[source], ranges)  # type: ignore[arg-type]
            if sorted(d.line for d in steady) == sorted(line for _, line in kept.get(source, ())):
                ranges = _untouched_ranges(ranges, steady, reconciled, by_source.get(source, ()))
                if ranges:
                    narrowed[source] = ranges
        if narrowed == held:
            break
        held = narrowed
    inputs = []
    for source, _, parsed, recorded, _ in files:
        if parsed is None:
            inputs.append(FileInput(source, None, recorded_skips=recorded or (), prune=prune))
        elif source in held:
            steady_ids = frozenset(identity for identity, _ in kept.get(source, ()))
            inputs.append(
                FileInput(source, split[source][0], parsed.laid.skipped(), prune=prune, steady=steady_ids)
            )
        else:
            inputs.append(FileInput(source, drafts_of[source], parsed.laid.skipped(), prune=prune))  # type: ignore[arg-type]
    return deck_id, snapshot, inputs


def _snapshot(
    store: Store, deck: str, steady: dict[str, list[LineRange]]
) -> tuple[int, DeckSnapshot, dict[str, list[tuple[str, int]]]]:
    """The deck's id (created if new) and its cards, but for the live cards of `steady` line ranges, given
    apart as (id, line) by file."""
    deck_id = store.ensure_deck(deck)
    connection = store.connection
    columns = "id, source, line, content_hash, retired_at IS NOT NULL, context, front"
    kept: dict[str, list[tuple[str, int]]] = {}
    ranges = [(source, first, last) for source, each in steady.items() for first, last in each]
    inside = " OR ".join("(source = ? AND line BETWEEN ? AND ?)" for _ in ranges) or "0"
    values = [value for each in ranges for value in each]
    for identity, source, line in connection.execute(
        f"SELECT id, source, line FROM card WHERE deck_id = ? AND retired_at IS NULL AND ({inside})",
        (deck_id, *values),
    ):
        kept.setdefault(source, []).append((identity, line))
    rows = connection.execute(
        f"SELECT {columns} FROM card WHERE deck_id = ? AND (retired_at IS NOT NULL OR NOT ({inside}))",
        (deck_id, *values),
    )
    cards = tuple(ExistingCard(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows)
    return deck_id, DeckSnapshot(deck, cards), kept


def _range_of(line: int, ranges: list[LineRange]) -> int | None:
    return next((index for index, (first, last) in enumerate(ranges) if first <= line <= last), None)


def _split_drafts(
    drafts: tuple[CardDraft, ...], ranges: list[LineRange]
) -> tuple[list[CardDraft], list[CardDraft]]:
    """(drafts to reconcile, drafts on the steady ranges), each in file order."""
    steady = [draft for draft in drafts if _range_of(draft.line, ranges) is not None]
    return [draft for draft in drafts if _range_of(draft.line, ranges) is None], steady


def _untouched_ranges(
    ranges: list[LineRange], steady: list[CardDraft], reconciled: list[CardDraft], file_cards: list[Key]
) -> list[LineRange]:
    """`ranges` without those holding a steady draft whose key a draft to reconcile or a card of the file
    outside the steady ranges has."""
    touched = {draft_key(draft) for draft in reconciled} | set(file_cards)
    dropped = {_range_of(draft.line, ranges) for draft in steady if draft_key(draft) in touched}
    return [each for index, each in enumerate(ranges) if index not in dropped]
