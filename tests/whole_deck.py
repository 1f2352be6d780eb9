"""Reconciliation of a deck as one whole, for reference: every file's drafts at hand, the deck's cards held in
memory and written plan by plan, the moves folded into the plans at the end.

It states the import rules of `reconcile.DeckImport` (which the import runs file by file against the store)
over a snapshot, so the rules are tested without a database (tests/test_reconcile.py), and the reference
import (tests/reference_import.py) is built on it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dva_cards.domain import MovedCard
from dva_cards.reconcile import (
    CardWrite,
    Counts,
    DeckImport,
    ExistingCard,
    FileExists,
    FileInput,
    FilePlan,
    Move,
    Settlement,
)

# The stored backs of cards, by id: what a moved definition is recognised by.
StoredAnswers = Callable[[Collection[str]], Mapping[str, str]]


@dataclass(frozen=True)
class DeckSnapshot:
    name: str
    cards: tuple[ExistingCard, ...]


@dataclass(frozen=True)
class DeckPlan:
    deck: str
    files: tuple[FilePlan, ...]
    moves: tuple[
        tuple[MovedCard, ...], ...
    ]  # by file: the cards its drafts carried over from their old place

    @property
    def counts(self) -> Counts:
        total = Counts()
        for plan in self.files:
            total += plan.counts
        return total


def reconcile_deck(
    snapshot: DeckSnapshot, files: Sequence[FileInput], file_exists: FileExists, stored_answers: StoredAnswers
) -> DeckPlan:
    """The plans for one deck's files of an import, as one whole: each file sees the writes of those before
    it, then the definitions that moved (between headings, terms or files of the deck) keep their cards, each
    move folded into the plans of the files it concerns. Over the snapshot held in memory, with every file's
    drafts at hand: the import itself goes file by file (`DeckImport`) and gives the same collection."""
    table = _Table.of(snapshot, stored_answers)
    work = DeckImport(snapshot.name, movable=any(not card.retired for card in snapshot.cards))
    for each in files:  # held by their own file's unchanged drafts: no other draft of the import takes them
        work.claimed.update(each.steady)
    plans = []
    for index, each in enumerate(files):
        plan = work.reconcile(each, index, table.of_source(each.source), table.card, file_exists)
        table.write(plan)
        plans.append(plan)
    settlement = work.settle(table, file_exists)
    moves = tuple(
        tuple(move.record for move in settlement.moves if move.file == index) for index in range(len(plans))
    )
    return DeckPlan(snapshot.name, tuple(_with_moves(plans, settlement)), moves)


@dataclass
class _Table:
    """A deck's cards held in memory, written plan by plan as the store would write them (`reconcile_deck`)."""

    by_id: dict[str, ExistingCard]
    by_source: dict[str, set[str]]
    stored_answers: StoredAnswers
    inserted: dict[str, CardWrite] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: DeckSnapshot, stored_answers: StoredAnswers) -> _Table:
        table = cls({}, {}, stored_answers)
        for card in snapshot.cards:
            table._remember(card)
        return table

    def _remember(self, card: ExistingCard) -> None:
        previous = self.by_id.get(card.id)
        if previous is not None and previous.source != card.source:
            self.by_source[previous.source].discard(card.id)
        self.by_id[card.id] = card
        self.by_source.setdefault(card.source, set()).add(card.id)

    def write(self, plan: FilePlan) -> None:
        """The plan's inserts and updates, and its prune of the cards retired before (its own retirements are
        held by `DeckImport` until the moves are known)."""
        for write in plan.inserts:
            self.inserted[write.id] = write
        for write in (*plan.inserts, *plan.updates):
            self._remember(
                ExistingCard(
                    write.id, write.source, write.line, write.content_hash, False, write.context, write.front
                )
            )
        if plan.prune:
            for card in self.of_source(plan.source):
                if card.retired:
                    del self.by_id[card.id]
                    self.by_source[card.source].discard(card.id)

    def card(self, identity: str) -> ExistingCard | None:
        return self.by_id.get(identity)

    def of_source(self, source: str) -> list[ExistingCard]:
        return [self.by_id[identity] for identity in self.by_source.get(source, ())]

    def cards(self, ids: Collection[str]) -> list[ExistingCard]:
        return [self.by_id[identity] for identity in ids if identity in self.by_id]

    def sources(self) -> list[str]:
        return [source for source, ids in self.by_source.items() if ids]

    def live_cards(self, source: str) -> list[ExistingCard]:
        return [card for card in self.of_source(source) if not card.retired]

    def writes(self, ids: Collection[str]) -> list[CardWrite]:
        return [self.inserted[identity] for identity in ids]

    def answers(self, ids: Collection[str]) -> Mapping[str, str]:
        return self.stored_answers(ids)


def _with_moves(plans: list[FilePlan], settlement: Settlement) -> list[FilePlan]:
    """The plans with every move folded in: the draft's insert becomes a takeover of the card left behind, the
    card's retirement (and prune) is undone."""
    carried: dict[int, list[Move]] = {}
    unretired: dict[int, set[str]] = {}
    unpruned: dict[int, int] = {}
    for move in settlement.moves:
        carried.setdefault(move.file, []).append(move)
        if move.retired_by >= 0:
            unretired.setdefault(move.retired_by, set()).add(move.card)
        if move.pruned_by is not None:
            unpruned[move.pruned_by] = unpruned.get(move.pruned_by, 0) + 1
    result = []
    for index, plan in enumerate(plans):
        moves = carried.get(index, [])
        inserted = {move.write.id for move in moves}
        dropped = unretired.get(index, set())
        counts = replace(
            plan.counts,
            added=plan.counts.added - len(moves),
            moved=plan.counts.moved + len(moves),
            retired=plan.counts.retired - len(dropped),
            pruned=plan.counts.pruned - unpruned.get(index, 0),
        )
        result.append(
            replace(
                plan,
                inserts=tuple(write for write in plan.inserts if write.id not in inserted),
                updates=(*plan.updates, *(replace(move.write, id=move.card) for move in moves)),
                retirements=tuple(i for i in plan.retirements if i not in dropped),
                takeovers=(*plan.takeovers, *(move.card for move in moves)),
                counts=counts,
            )
        )
    return result
