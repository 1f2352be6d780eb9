"""Import reconciliation: a deck's cards as stored + the drafts of the files being imported -> a plan of writes.

Pure: the store reads the snapshot and applies the plan in one transaction; whether a notes file still exists
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

A whole import of one deck is one call, `reconcile_deck`, so that last step sees every file's plan at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .domain import CardRow, MovedCard, SkippedRow
from .identity import card_id, content_hash, join_context, normalize_term
from .moves import Definition, pair_moves

if TYPE_CHECKING:  # markdown-it costs ~30 ms to import: reconciling needs only the drafts' shape
    from .extract import CardDraft, Skipped

FileExists = Callable[[str], bool]
# The stored backs of some of the deck's cards, by id: read only for the few cards a move may concern.
StoredAnswers = Callable[[Collection[str]], Mapping[str, str]]


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
    # Live cards of the file that stay exactly as they are, left out of `drafts` and of the snapshot: the
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
    moves: tuple[MovedCard, ...] = ()  # cards this file's drafts carried over from their old place
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


def reconcile_deck(
    snapshot: DeckSnapshot, files: Sequence[FileInput], file_exists: FileExists, stored_answers: StoredAnswers
) -> DeckPlan:
    """The plan for one deck's files of an import, each file seeing the writes of those before it; then the
    definitions that moved (between headings, terms or files of the deck) keep their cards."""
    work = _Working.of(snapshot)
    for each in files:  # held by their own file's unchanged drafts: no other draft of the import takes them
        work.claimed.update(each.steady)
    plans = [work.reconcile(each, file_exists, index) for index, each in enumerate(files)]
    return DeckPlan(snapshot.name, tuple(work.carry_moves(plans, file_exists, stored_answers)))


@dataclass
class _Working:
    """The deck's cards as they stand after the files reconciled so far (local to one call)."""

    deck: str
    cards: dict[str, ExistingCard] = field(default_factory=dict)
    by_source: dict[str, set[str]] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)  # ids the files of this import already took
    pruned: dict[str, tuple[ExistingCard, int]] = field(default_factory=dict)  # id -> card, index of its plan
    # (context, term) -> an occurrence below which this import has claimed every id of the chain. Claims only
    # grow during a call, so the walk may start there: many files of one deck with equal headings (copies,
    # one template) would otherwise walk each chain from 0 for every file, quadratic in the files.
    chain_start: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict)

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

    def reconcile(self, file: FileInput, file_exists: FileExists, index: int) -> FilePlan:
        if file.drafts is None:
            live = sum(1 for i in self.by_source.get(file.source, ()) if not self.cards[i].retired)
            plan = FilePlan(
                file.source, changed=False, skipped=tuple(file.recorded_skips), counts=Counts(unchanged=live)
            )
        else:
            plan = self._sync(file, file_exists)
        if file.prune:
            plan = replace(
                plan, prune=True, counts=replace(plan.counts, pruned=self._forget_retired(file.source, index))
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
            counts=Counts(added, updated, unchanged + len(file.steady), len(gone), len(restorations)),
        )

    def _forget_retired(self, source: str, index: int) -> int:
        """A prune: the file's retired cards leave the collection. Returns how many."""
        retired = [i for i in self.by_source.get(source, ()) if self.cards[i].retired]
        for identity in retired:
            self.pruned[identity] = (self.cards[identity], index)
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
        key = (draft.context, term)
        start = self.chain_start.get(key, 0)
        occurrence = max(draft.occurrence, start)
        while True:
            identity = card_id(self.deck, draft.context, term, occurrence)
            holder = self.cards.get(identity)
            taken = holder is not None and not holder.retired and file_exists(holder.source)
            if identity not in self.claimed and not taken:
                if occurrence == start:  # the caller claims it: the chain is claimed one further
                    self.chain_start[key] = start + 1
                return identity
            occurrence += 1

    # -- moved definitions ----------------------------------------------------------------------------------

    def carry_moves(
        self, plans: list[FilePlan], file_exists: FileExists, stored_answers: StoredAnswers
    ) -> list[FilePlan]:
        """The plans with every clear move (`moves.pair_moves`) turned from a retirement and an insert into a
        takeover: the card keeps its id, schedule and history, and takes the draft's place and content."""
        if not any(plan.inserts for plan in plans):
            return plans
        candidates = self._left_behind(plans, file_exists)
        if not candidates:  # nothing retired or left behind: no move (a first import of new notes)
            return plans
        added = [
            Definition(
                f"{index}:{position}", write.source, write.context, normalize_term(write.front), write.back
            )
            for index, plan in enumerate(plans)
            for position, write in enumerate(plan.inserts)
        ]
        terms = {each.term for each in added}
        contexts = {each.context for each in added}
        # Only a card sharing a term or a context with an added draft can pair with one: read no other back.
        left = {
            identity: card
            for identity, (card, _) in candidates.items()
            if normalize_term(card.front) in terms or card.context in contexts
        }
        if not left:
            return plans
        answers = stored_answers(list(left))
        retired = [
            Definition(identity, card.source, card.context, normalize_term(card.front), answers[identity])
            for identity, card in left.items()
            if identity in answers
        ]
        pairs = pair_moves(retired, added)
        if not pairs:
            return plans
        return self._apply_moves(plans, pairs, candidates)

    def _left_behind(
        self, plans: list[FilePlan], file_exists: FileExists
    ) -> dict[str, tuple[ExistingCard, int]]:
        """Cards a move may come from, with the index of the plan that retired them (-1: none did): those this
        import retired (pruned ones too) that no later file brought back, and live cards of files that are
        gone and that no draft took over."""
        found: dict[str, tuple[ExistingCard, int]] = {}
        for index, plan in enumerate(plans):
            for identity in plan.retirements:
                card = self.cards.get(identity)
                if card is None and identity in self.pruned:
                    card = self.pruned[identity][0]
                if card is not None and card.retired and identity not in self.claimed:
                    found[identity] = (card, index)
        imported = {plan.source for plan in plans}
        gone = {
            source
            for source, ids in self.by_source.items()
            if ids and source not in imported and not file_exists(source)
        }
        for source in sorted(gone):
            for identity in self.by_source[source]:
                card = self.cards[identity]
                if not card.retired and identity not in self.claimed:
                    found[identity] = (card, -1)
        return found

    def _apply_moves(
        self,
        plans: list[FilePlan],
        pairs: list[tuple[str, str]],
        left: dict[str, tuple[ExistingCard, int]],
    ) -> list[FilePlan]:
        moved_inserts: dict[int, dict[int, str]] = {}  # plan index -> insert position -> the card's id
        unretired: dict[int, set[str]] = {}  # plan index -> ids it no longer retires
        unpruned: dict[int, int] = {}  # plan index -> cards it no longer prunes
        for identity, key in pairs:
            index, position = (int(part) for part in key.split(":"))
            moved_inserts.setdefault(index, {})[position] = identity
            _, retired_by = left[identity]
            if retired_by >= 0:
                unretired.setdefault(retired_by, set()).add(identity)
            if identity in self.pruned:
                pruned_by = self.pruned.pop(identity)[1]
                unpruned[pruned_by] = unpruned.get(pruned_by, 0) + 1
        result = []
        for index, plan in enumerate(plans):
            counts = plan.counts
            inserts, updates, takeovers = list(plan.inserts), list(plan.updates), list(plan.takeovers)
            moves: list[MovedCard] = []
            carried = moved_inserts.get(index, {})
            if carried:
                inserts = []
                for position, write in enumerate(plan.inserts):
                    if position not in carried:
                        inserts.append(write)
                        continue
                    identity = carried[position]
                    old = left[identity][0]
                    updates.append(replace(write, id=identity))
                    takeovers.append(identity)
                    moves.append(
                        MovedCard(
                            identity, old.context, old.front, old.source,
                            write.context, write.front, write.source, write.line,
                        )
                    )  # fmt: skip
                    self._carry(write, identity)
                counts = replace(counts, added=counts.added - len(carried), moved=counts.moved + len(carried))
            dropped = unretired.get(index, set())
            retirements = tuple(i for i in plan.retirements if i not in dropped)
            counts = replace(
                counts, retired=counts.retired - len(dropped), pruned=counts.pruned - unpruned.get(index, 0)
            )
            result.append(
                replace(
                    plan,
                    inserts=tuple(inserts),
                    updates=tuple(updates),
                    retirements=retirements,
                    takeovers=tuple(takeovers),
                    moves=tuple(moves),
                    counts=counts,
                )
            )
        return result

    def _carry(self, write: CardWrite, identity: str) -> None:
        """The working state after a move: the draft's own new id is gone, the old card lives at its place."""
        placeholder = self.cards.pop(write.id, None)
        if placeholder is not None:
            self.by_source[placeholder.source].discard(write.id)
        self.claimed.discard(write.id)
        self.claimed.add(identity)
        self.remember(
            ExistingCard(
                identity, write.source, write.line, write.content_hash, False, write.context, write.front
            )
        )
