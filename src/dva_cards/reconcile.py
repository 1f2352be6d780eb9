"""Import reconciliation: a deck's cards as stored + the drafts of the files being imported -> a plan of writes.

Pure: the store reads the snapshot and applies the plan in one transaction; whether a notes file still exists
is asked through a function, so nothing here touches the disk. The rules (docs/rules.md, "Import sync"):

* A draft whose file already holds a card with the same context and normalized term keeps that card's id, and
  so its schedule, whatever else changed (the answer, the line, the file's other cards).
* Any other draft takes the first id along its occurrence chain (see `identity.card_id`) that no live card of
  another existing file holds and no file of this import has taken yet. A retired card, or a card whose file
  is gone (renamed or moved notes), is taken over with its history.
* A card of the file that no draft claims is retired (kept, with its reviews, until `--prune`).

A whole import of one deck is one call, `reconcile_deck`, so a later step can look at every file's plan at
once (e.g. pair a card retired in one file with a card added in another).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .domain import CardRow, SkippedRow
from .identity import card_id, content_hash, join_context, normalize_term

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
class DeckSnapshot:
    name: str
    cards: tuple[ExistingCard, ...]


@dataclass(frozen=True)
class FileInput:
    """One notes file of an import. `drafts is None`: its bytes are those of its last import, so its cards
    stand as they are (`recorded_skips` are what that import skipped)."""

    source: str
    drafts: Sequence[CardDraft] | None
    skipped: Sequence[Skipped] = ()
    recorded_skips: Sequence[SkippedRow] = ()
    prune: bool = False


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

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.retired + other.retired,
            self.restored + other.restored,
            self.pruned + other.pruned,
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
    takeovers: tuple[str, ...] = ()  # ids taken from a retired card or one whose file is gone
    skipped: tuple[SkippedRow, ...] = ()
    prune: bool = False
    counts: Counts = Counts()

    def new_cards(self, deck: str) -> list[CardRow]:
        """The cards this plan adds, as `cards --json` would show them once added."""
        return [CardRow(c.id, deck, c.context, c.front, c.back, c.source, c.line) for c in self.inserts]


@dataclass(frozen=True)
class DeckPlan:
    deck: str
    files: tuple[FilePlan, ...]

    @property
    def counts(self) -> Counts:
        total = Counts()
        for plan in self.files:
            total += plan.counts
        return total


def reconcile_deck(snapshot: DeckSnapshot, files: Sequence[FileInput], file_exists: FileExists) -> DeckPlan:
    """The plan for one deck's files of an import, each file seeing the writes of those before it."""
    work = _Working.of(snapshot)
    return DeckPlan(snapshot.name, tuple(work.reconcile(each, file_exists) for each in files))


@dataclass
class _Working:
    """The deck's cards as they stand after the files reconciled so far (local to one call)."""

    deck: str
    cards: dict[str, ExistingCard] = field(default_factory=dict)
    by_source: dict[str, set[str]] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)  # ids the files of this import already took

    @classmethod
    def of(cls, snapshot: DeckSnapshot) -> _Working:
        work = cls(snapshot.name)
        for card in snapshot.cards:
            work.remember(card)
        return work

    def remember(self, card: ExistingCard) -> None:
        previous = self.cards.get(card.id)
        if previous is not None and previous.source != card.source:
            self.by_source[previous.source].discard(card.id)
        self.cards[card.id] = card
        self.by_source.setdefault(card.source, set()).add(card.id)

    def reconcile(self, file: FileInput, file_exists: FileExists) -> FilePlan:
        if file.drafts is None:
            live = sum(1 for i in self.by_source.get(file.source, ()) if not self.cards[i].retired)
            plan = FilePlan(
                file.source, changed=False, skipped=tuple(file.recorded_skips), counts=Counts(unchanged=live)
            )
        else:
            plan = self._sync(file, file_exists)
        if file.prune:
            plan = replace(
                plan, prune=True, counts=replace(plan.counts, pruned=self._forget_retired(file.source))
            )
        return plan

    def _sync(self, file: FileInput, file_exists: FileExists) -> FilePlan:
        source = file.source
        added = updated = unchanged = 0
        inserts: list[CardWrite] = []
        updates: list[CardWrite] = []
        restorations: list[str] = []
        takeovers: list[str] = []
        written: dict[str, ExistingCard] = {}
        own = self._own_cards_by_key(source)
        for draft in file.drafts or ():
            context = join_context(draft.context)
            term = normalize_term(draft.front)
            # The file's own card for this term keeps its id (and so its schedule), whatever else changed.
            mine = own.get((context, term))
            is_own = bool(mine)
            identity = mine.pop(0) if mine else self._free_id(draft, term, file_exists)
            self.claimed.add(identity)
            digest = content_hash(draft.front, draft.back)
            written[identity] = ExistingCard(
                identity, source, draft.line, digest, False, context, draft.front
            )
            write = CardWrite(identity, source, draft.line, context, draft.front, draft.back, digest)
            before = self.cards.get(identity)
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
        gone = [i for i in self.by_source.get(source, ()) if i not in written and not self.cards[i].retired]
        gone.sort(key=lambda identity: (self.cards[identity].line, identity))
        for identity in gone:
            self.cards[identity] = replace(self.cards[identity], retired=True)
        for card in written.values():
            self.remember(card)
        return FilePlan(
            source,
            changed=True,
            inserts=tuple(inserts),
            updates=tuple(updates),
            retirements=tuple(gone),
            restorations=tuple(restorations),
            takeovers=tuple(takeovers),
            skipped=tuple(SkippedRow(source, item.line, item.reason, item.text) for item in file.skipped),
            counts=Counts(added, updated, unchanged, len(gone), len(restorations)),
        )

    def _forget_retired(self, source: str) -> int:
        """A prune: the file's retired cards leave the collection. Returns how many."""
        retired = [i for i in self.by_source.get(source, ()) if self.cards[i].retired]
        for identity in retired:
            del self.cards[identity]
            self.by_source[source].discard(identity)
        return len(retired)

    def _own_cards_by_key(self, source: str) -> dict[tuple[str, str], list[str]]:
        """This file's cards (retired ones too) by context and normalized term, in line order."""
        own: dict[tuple[str, str], list[str]] = {}
        ids = sorted(
            self.by_source.get(source, ()), key=lambda identity: (self.cards[identity].line, identity)
        )
        for identity in ids:
            if identity not in self.claimed:
                card = self.cards[identity]
                own.setdefault((card.context, normalize_term(card.front)), []).append(identity)
        return own

    def _free_id(self, draft: CardDraft, term: str, file_exists: FileExists) -> str:
        """An id for a draft the file holds no card for: the first one along its occurrence chain that no
        live card of another existing file holds and that this import has not taken yet."""
        occurrence = draft.occurrence
        while True:
            identity = card_id(self.deck, draft.context, term, occurrence)
            holder = self.cards.get(identity)
            taken = holder is not None and not holder.retired and file_exists(holder.source)
            if identity not in self.claimed and not taken:
                return identity
            occurrence += 1
