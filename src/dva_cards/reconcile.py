"""Import reconciliation: a deck's cards as stored + the drafts of the files being imported -> plans of writes.

Pure: the store reads the cards and applies the plans in one transaction; whether a notes file still exists
is asked through a function, so nothing here touches the disk. The rules (docs/rules.md, "Import sync"):

* A draft whose file already holds a card with the same context and normalized term keeps that card's id, and
  so its schedule, whatever else changed (the answer, the line, the file's other cards).
* Any other draft takes the first id along its occurrence chain (see `identity.card_id`) that no live card of
  another existing file holds and no file of this import has taken yet. A retired card, or a card whose file
  is gone (renamed or moved notes), is taken over with its history.
* A card of the file that no draft claims is retired (kept, with its reviews, until `--prune`).
* Once every file of the deck is planned, a card retired by this import (or left behind by a file that is
  gone) and a draft added by it that are one definition moved (`moves.pair_moves`) become one card: the draft
  takes over the card's id, schedule and history, in any file of the deck.

An import goes file by file (`DeckImport`): each file is reconciled against the deck's cards as the store
holds them once the plans before it are written, so only one file's drafts and plan are held at a time; what
the moves found at the end may still undo is held back until then (`DeckImport.settle`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from .domain import CardRow, MovedCard, SkippedRow
from .identity import card_id, content_hash, join_context, normalize_term
from .moves import Definition, pair_moves

if TYPE_CHECKING:  # markdown-it costs ~30 ms to import: reconciling needs only the drafts' shape
    from .extract import CardDraft, Skipped

FileExists = Callable[[str], bool]


@dataclass(frozen=True)
class ExistingCard:
    """What reconciliation needs to know of a stored card."""

    id: str
    source: str
    line: int
    content_hash: str
    retired: bool
    context: str
    front: str


@dataclass(frozen=True)
class FileInput:
    """One notes file of an import. `drafts is None`: its bytes are those of its last import, so its cards
    stand as they are (`recorded_skips` are what that import skipped)."""

    source: str
    drafts: Sequence[CardDraft] | None
    skipped: Sequence[Skipped] = ()
    recorded_skips: Sequence[SkippedRow] = ()
    prune: bool = False
    # Live cards of the file that stay exactly as they are, left out of `drafts` and of the cards read: the
    # cards of sections that did not change or move since the file's last import (see `steady`).
    steady: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CardWrite:
    """A card's notes-side columns as a draft sets them (the schedule columns are never part of it)."""

    id: str
    source: str
    line: int
    context: str
    front: str
    back: str
    content_hash: str


@dataclass(frozen=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    restored: int = 0
    pruned: int = 0
    moved: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.retired + other.retired,
            self.restored + other.restored,
            self.pruned + other.pruned,
            self.moved + other.moved,
        )


@dataclass(frozen=True)
class FilePlan:
    """The writes that bring one file's cards in line with its drafts, in the order they must be applied."""

    source: str
    changed: bool  # False: the file is unchanged since its last import; only a prune may apply
    inserts: tuple[CardWrite, ...] = ()
    updates: tuple[CardWrite, ...] = ()  # restorations and takeovers included; unmoved identical cards not
    retirements: tuple[str, ...] = ()
    restorations: tuple[str, ...] = ()  # ids of retired cards a draft brings back
    takeovers: tuple[str, ...] = ()  # ids taken from a retired card or one whose file is gone, moves included
    skipped: tuple[SkippedRow, ...] = ()
    prune: bool = False
    counts: Counts = Counts()
    # Going file by file, retirements are held back until the moves are known (`DeckImport`). Cards an earlier
    # file of the import retired that this plan takes: their retirement stands, written before this plan.
    settled: tuple[str, ...] = ()
    # Cards an earlier file's prune took that this plan inserts anew: deleted before this plan.
    reinserted: tuple[str, ...] = ()

    def new_cards(self, deck: str) -> list[CardRow]:
        """The cards this plan adds, as `cards --json` would show them once added."""
        return [CardRow(c.id, deck, c.context, c.front, c.back, c.source, c.line) for c in self.inserts]


class StoredCards(Protocol):
    """A deck's cards as the store holds them at the moment (the plans of the files before written)."""

    def card(self, identity: str) -> ExistingCard | None: ...

    def cards(self, ids: Collection[str]) -> list[ExistingCard]: ...

    def sources(self) -> list[str]:
        """The files the deck's cards come from."""
        ...

    def live_cards(self, source: str) -> list[ExistingCard]: ...

    def writes(self, ids: Collection[str]) -> Iterable[CardWrite]:
        """The notes-side columns of these cards (read a few at a time: they may be many)."""
        ...

    def answers(self, ids: Collection[str]) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Move:
    """A card left behind (`card`) that the draft inserted as `write.id` turns out to be: the card takes the
    draft's place and content, and the draft's own card goes."""

    card: str
    write: CardWrite
    file: int  # the index of the file that inserted the draft, and the draft's place among its inserts
    position: int
    retired_by: int  # the index of the file whose retirement of the card this undoes; -1: its file is gone
    pruned_by: int | None  # the index of the file whose prune of the card this undoes
    record: MovedCard


@dataclass(frozen=True)
class Settlement:
    """What a deck's import writes once all its files are reconciled: the moves (by file and place), the
    retirements they leave standing (in the order the files made them) and what they change in the counts."""

    moves: tuple[Move, ...]
    retirements: tuple[str, ...]
    counts: Counts = Counts()


@dataclass
class DeckImport:
    """One deck's side of an import, carried from file to file (local to one import).

    `reconcile` plans one file against the deck's cards as the store holds them once the plans before it are
    written. What the moves found at the end (`settle`) may still undo is not written meanwhile: this import's
    retirements (a moved definition keeps its card) are held here, and so are the ids it inserts while a move
    is possible at all (the deck had live cards: nothing is kept for a new deck). The cards held, and those a
    prune took, read as the earlier plans left them: retired, and gone."""

    deck: str
    movable: bool  # the deck had live cards before the import: a card may be left behind for a move
    claimed: set[str] = field(default_factory=set)  # ids the files of this import took
    held: dict[str, int] = field(default_factory=dict)  # retired, not yet written: id -> the file's index
    pruned: dict[str, int] = field(default_factory=dict)  # taken by a prune: id -> the file's index
    sources: set[str] = field(default_factory=set)  # the files reconciled so far
    inserted: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (file index, ids), if movable
    # (context, term) -> an occurrence below which this import has claimed every id of the chain. Claims only
    # grow, so the walk may start there: many files of one deck with equal headings (copies, one template)
    # would otherwise walk each chain from 0 for every file, quadratic in the files. Kept from 2 on only: a
    # chain taken once (nearly every one) is walked again in one step more, and keeping it would cost an entry
    # for every card of the import.
    chain_start: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict)

    def reconcile(
        self,
        file: FileInput,
        index: int,
        cards: Iterable[ExistingCard],
        lookup: Callable[[str], ExistingCard | None],
        file_exists: FileExists,
    ) -> FilePlan:
        """The plan of the import's `index`-th file. `cards`: the file's cards as stored (steady ones left out);
        `lookup`: any card of the deck as stored, by id."""
        stored = [card for card in map(self._as_now, cards) if card is not None]
        self.claimed.update(file.steady)
        self.sources.add(file.source)
        if file.drafts is None:
            live = sum(1 for card in stored if not card.retired)
            plan = FilePlan(
                file.source, changed=False, skipped=tuple(file.recorded_skips), counts=Counts(unchanged=live)
            )
            retired = [card.id for card in stored if card.retired]
        else:
            plan, retired = self._sync(file, index, stored, lookup, file_exists)
        if file.prune:  # the file's retired cards leave the collection
            for identity in retired:
                self.pruned[identity] = index
            plan = replace(plan, prune=True, counts=replace(plan.counts, pruned=len(retired)))
        return plan

    def unchanged(self, file: FileInput, live_ids: Iterable[str]) -> FilePlan:
        """`reconcile` of a file unchanged since its last import (`file.drafts is None`) and not pruned, from
        the ids of its live cards as stored alone: a large file's cards need not be read whole to be counted."""
        assert file.drafts is None and not file.prune
        self.sources.add(file.source)
        live = sum(1 for identity in live_ids if identity not in self.pruned and identity not in self.held)
        return FilePlan(
            file.source, changed=False, skipped=tuple(file.recorded_skips), counts=Counts(unchanged=live)
        )

    def _as_now(self, card: ExistingCard | None) -> ExistingCard | None:
        """A stored card as the plans so far leave it: held retirements retire it, prunes delete it."""
        if card is None or card.id in self.pruned:
            return None
        return replace(card, retired=True) if card.id in self.held else card

    def _sync(
        self,
        file: FileInput,
        index: int,
        stored: list[ExistingCard],
        lookup: Callable[[str], ExistingCard | None],
        file_exists: FileExists,
    ) -> tuple[FilePlan, list[str]]:
        """The file's plan, and its cards retired once the plan is written."""
        source = file.source
        added = updated = unchanged = 0
        inserts: list[CardWrite] = []
        updates: list[CardWrite] = []
        restorations: list[str] = []
        takeovers: list[str] = []
        settled: list[str] = []
        reinserted: list[str] = []
        written: set[str] = set()
        own = self._own_cards_by_key(stored)
        by_id = {card.id: card for card in stored}
        for draft in file.drafts or ():
            context = join_context(draft.context)
            term = normalize_term(draft.front)
            # The file's own card for this term keeps its id (and so its schedule), whatever else changed.
            mine = own.get((context, term))
            is_own = bool(mine)
            before: ExistingCard | None
            if mine:
                identity = mine.pop(0)
                before = by_id[identity]
            else:
                identity, before = self._free_id(draft, term, lookup, file_exists)
            self.claimed.add(identity)
            if identity in self.held:  # retired by an earlier file and taken here: no move can undo that
                del self.held[identity]
                settled.append(identity)
            if identity in self.pruned:
                del self.pruned[identity]
                reinserted.append(identity)
            written.add(identity)
            digest = content_hash(draft.front, draft.back)
            write = CardWrite(identity, source, draft.line, context, draft.front, draft.back, digest)
            if before is None:
                added += 1
                inserts.append(write)
                continue
            if not is_own:  # a retired card, or one whose file is gone, with its history
                takeovers.append(identity)
            if before.retired:
                restorations.append(identity)
            elif before.content_hash != digest:
                updated += 1
            else:
                unchanged += 1
                if before.source == source and before.line == draft.line:
                    continue
            updates.append(write)
        gone = sorted(
            (card for card in stored if card.id not in written and not card.retired),
            key=lambda card: (card.line, card.id),
        )
        for card in gone:
            self.held[card.id] = index
        if self.movable and inserts:
            self.inserted.append((index, tuple(write.id for write in inserts)))
        plan = FilePlan(
            source,
            changed=True,
            inserts=tuple(inserts),
            updates=tuple(updates),
            retirements=tuple(card.id for card in gone),
            restorations=tuple(restorations),
            takeovers=tuple(takeovers),
            skipped=tuple(SkippedRow(source, item.line, item.reason, item.text) for item in file.skipped),
            counts=Counts(added, updated, unchanged + len(file.steady), len(gone), len(restorations)),
            settled=tuple(settled),
            reinserted=tuple(reinserted),
        )
        return plan, [card.id for card in stored if card.id not in written]  # the rest is retired now

    def _own_cards_by_key(self, stored: Iterable[ExistingCard]) -> dict[tuple[str, str], list[str]]:
        """This file's cards (retired ones too) by context and normalized term, in line order."""
        own: dict[tuple[str, str], list[str]] = {}
        for card in sorted(stored, key=lambda card: (card.line, card.id)):
            if card.id not in self.claimed:
                own.setdefault((card.context, normalize_term(card.front)), []).append(card.id)
        return own

    def _free_id(
        self,
        draft: CardDraft,
        term: str,
        lookup: Callable[[str], ExistingCard | None],
        file_exists: FileExists,
    ) -> tuple[str, ExistingCard | None]:
        """An id for a draft the file holds no card for, and the card that holds it now if any: the first id
        along its occurrence chain that no live card of another existing file holds and that this import has
        not taken yet."""
        key = (draft.context, term)
        start = self.chain_start.get(key, 0)
        occurrence = max(draft.occurrence, start)
        passed_claims_only = draft.occurrence <= start  # every id walked past so far is one this import took
        while True:
            identity = card_id(self.deck, draft.context, term, occurrence)
            if identity not in self.claimed:
                holder = self._as_now(lookup(identity))
                if holder is None or holder.retired or not file_exists(holder.source):
                    if passed_claims_only and occurrence >= 1:  # the caller claims it: all below are taken
                        self.chain_start[key] = occurrence + 1
                    return identity, holder
                passed_claims_only = False
            occurrence += 1

    # -- moved definitions ----------------------------------------------------------------------------------

    def settle(self, stored: StoredCards, file_exists: FileExists) -> Settlement:
        """Once every file is reconciled and its plan written: every clear move (`moves.pair_moves`) between a
        card left behind (retired by this import, or live in a file that is gone) and a draft the import
        inserted, and the retirements that stand."""
        nothing = Settlement((), tuple(self.held))
        if not self.inserted:
            return nothing
        candidates = self._left_behind(stored, file_exists)
        if not candidates:  # nothing retired or left behind: no move
            return nothing
        terms = {normalize_term(card.front) for card, _ in candidates.values()}
        contexts = {card.context for card, _ in candidates.values()}
        # Only a draft sharing a term or a context with a card left behind can pair with one.
        ids = [identity for _, batch in self.inserted for identity in batch]
        added = [
            write
            for write in stored.writes(ids)
            if write.context in contexts or normalize_term(write.front) in terms
        ]
        added_terms = {normalize_term(write.front) for write in added}
        added_contexts = {write.context for write in added}
        # ... and only a card sharing one with such a draft: no other back is read.
        left = {
            identity: card
            for identity, (card, _) in candidates.items()
            if normalize_term(card.front) in added_terms or card.context in added_contexts
        }
        if not left:
            return nothing
        answers = stored.answers(list(left))
        retired = [
            Definition(identity, card.source, card.context, normalize_term(card.front), answers[identity])
            for identity, card in left.items()
            if identity in answers
        ]
        definitions = [
            Definition(write.id, write.source, write.context, normalize_term(write.front), write.back)
            for write in added
        ]
        pairs = pair_moves(retired, definitions)
        if not pairs:
            return nothing
        return self._moves(pairs, candidates, {write.id: write for write in added})

    def _left_behind(
        self, stored: StoredCards, file_exists: FileExists
    ) -> dict[str, tuple[ExistingCard, int]]:
        """Cards a move may come from, with the index of the file that retired them (-1: none did): those this
        import retired (pruned ones too) that no later file took, as they were; and the live cards of files
        that are gone that no draft took over."""
        found: dict[str, tuple[ExistingCard, int]] = {}
        as_stored = {card.id: card for card in stored.cards(list(self.held))}  # held: written as they were
        for identity, index in self.held.items():
            found[identity] = (as_stored[identity], index)
        gone = sorted(
            source for source in stored.sources() if source not in self.sources and not file_exists(source)
        )
        for source in gone:
            for card in stored.live_cards(source):
                if card.id not in self.claimed:
                    found[card.id] = (card, -1)
        return found

    def _moves(
        self,
        pairs: list[tuple[str, str]],
        left: dict[str, tuple[ExistingCard, int]],
        writes: dict[str, CardWrite],
    ) -> Settlement:
        places = {
            identity: (index, position)
            for index, batch in self.inserted
            for position, identity in enumerate(batch)
            if identity in writes
        }
        moves = []
        for identity, draft_id in pairs:
            old, retired_by = left[identity]
            write = writes[draft_id]
            index, position = places[draft_id]
            record = MovedCard(
                identity,
                old.context,
                old.front,
                old.source,
                write.context,
                write.front,
                write.source,
                write.line,
            )
            moves.append(
                Move(identity, write, index, position, retired_by, self.pruned.pop(identity, None), record)
            )
        moves.sort(key=lambda move: (move.file, move.position))
        moved = {move.card for move in moves}
        counts = Counts(
            added=-len(moves),
            moved=len(moves),
            retired=-sum(1 for move in moves if move.retired_by >= 0),
            pruned=-sum(1 for move in moves if move.pruned_by is not None),
        )
        return Settlement(tuple(moves), tuple(i for i in self.held if i not in moved), counts)
