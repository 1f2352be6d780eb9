"""The day's review queue: which cards to show, in what order, within the daily limits. No I/O of its own.

A card lands in at most one of three lists:

* ``reviews``: learned cards (reps >= 1, not drilling) due today or earlier, most overdue first, ties
  broken by source order; at most ``reviews_per_day - reviews_done_today`` of them.
* ``new``: cards never scheduled (``due is None``), in source order (deck, path, line); at most
  ``new_per_day - new_seen_today`` of them.
Which list a card belongs to is `card_state.CardState` (the rules are in docs/rules.md):

* ``drills``: cards to see again today whatever the limits say: cards graded 3 and still drilling
  (SM-2 step 7, whatever their due date) and cards re-learning after a failing grade (reps == 0 with a due
  date up to today). A failed card has already used its place in today's limits, so drills are never capped.

Suspended, retired and buried cards are left out. The queue changes in place, in constant time per answer
whatever its size; each change returns a `QueueStep`, all that undo needs to hand to `Queue.put_back`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from dva_cards.card_state import CardFacts, CardState, state_of
from dva_cards.scheduler import SM2State

Kind = Literal["new", "review", "drill"]

DEFAULT_NEW_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200


@dataclass(frozen=True)
class CardInfo:
    """What the queue needs to know about a card."""

    id: str
    state: SM2State
    order: tuple[str, str, int]  # (deck name, source path, line): new cards come in this order
    suspended: bool = False
    buried_until: date | None = None  # hidden while today < buried_until
    retired: bool = False


@dataclass(frozen=True)
class DailyLimits:
    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY


@dataclass(frozen=True)
class QueueStep:
    """What taking one card off the queue changed: all that undo needs to put it back."""

    card_id: str
    kind: Kind | None  # the list it left, None if it was in none
    position: int  # its place in that list (0: the head, where the card on screen always is)
    again: bool  # it joined the end of the drills


class Queue:
    """The session's queue, changed in place as cards are answered, suspended or buried.

    Taking the card on screen (the head of its list) and putting it back are O(1) whatever the queue's size,
    so an answer costs the same at 100 cards or 100,000; undo keeps the small `QueueStep` each change
    returns, never a copy of the queue. A card is in at most one list (given twice, the first list keeps it).
    """

    __slots__ = ("_lists", "_where")

    def __init__(
        self, reviews: Iterable[str] = (), new: Iterable[str] = (), drills: Iterable[str] = ()
    ) -> None:
        self._where: dict[str, Kind] = {}
        self._lists: dict[Kind, deque[str]] = {"review": deque(), "new": deque(), "drill": deque()}
        given: tuple[tuple[Kind, Iterable[str]], ...] = (("review", reviews), ("new", new), ("drill", drills))
        for kind, ids in given:
            kept = self._lists[kind]
            for card_id in ids:
                if card_id not in self._where:
                    self._where[card_id] = kind
                    kept.append(card_id)

    @property
    def reviews(self) -> tuple[str, ...]:
        """Due review cards, most overdue first (a copy: O(n))."""
        return tuple(self._lists["review"])

    @property
    def new(self) -> tuple[str, ...]:
        """Never-seen cards, in source order (a copy: O(n))."""
        return tuple(self._lists["new"])

    @property
    def drills(self) -> tuple[str, ...]:
        """Cards to see again today, in the order they failed (a copy: O(n))."""
        return tuple(self._lists["drill"])

    def next_card(self) -> tuple[str, Kind] | None:
        """The card to show now and why: reviews first, then new cards, then the day's drills."""
        for kind in _ORDER:
            ids = self._lists[kind]
            if ids:
                return ids[0], kind
        return None

    def counts(self) -> tuple[int, int, int]:
        """Cards left as (new, review, drill), the order the session header shows them in."""
        return len(self._lists["new"]), len(self._lists["review"]), len(self._lists["drill"])

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, card_id: object) -> bool:
        return card_id in self._where

    def card_ids(self) -> set[str]:
        return set(self._where)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Queue):
            return NotImplemented
        return (self.reviews, self.new, self.drills) == (other.reviews, other.new, other.drills)

    __hash__ = None  # type: ignore[assignment]  # changes in place: no hash

    def __repr__(self) -> str:
        return f"Queue(reviews={self.reviews!r}, new={self.new!r}, drills={self.drills!r})"

    def take(self, card_id: str, *, again: bool = False) -> QueueStep:
        """Take ``card_id`` off the queue; with ``again`` it joins the end of the drills.

        O(1) for the card at the head of its list (the one shown); anywhere else (a card changed behind the
        session's back) it is found by a scan.
        """
        kind = self._where.pop(card_id, None)
        position = -1
        if kind is not None:
            ids = self._lists[kind]
            if ids[0] == card_id:
                ids.popleft()
                position = 0
            else:
                position = ids.index(card_id)
                del ids[position]
        if again:
            self._lists["drill"].append(card_id)
            self._where[card_id] = "drill"
        return QueueStep(card_id, kind, position, again)

    def put_back(self, step: QueueStep) -> None:
        """Undo ``step``: the queue as it was before it, when the steps taken since are undone first."""
        if step.again and self._where.get(step.card_id) == "drill":
            drills = self._lists["drill"]
            if drills[-1] == step.card_id:
                drills.pop()
            else:
                drills.remove(step.card_id)
            del self._where[step.card_id]
        if step.kind is None or step.card_id in self._where:
            return
        ids = self._lists[step.kind]
        if step.position == 0:
            ids.appendleft(step.card_id)
        else:
            ids.insert(min(step.position, len(ids)), step.card_id)
        self._where[step.card_id] = step.kind


_ORDER: tuple[Kind, ...] = ("review", "new", "drill")


def build_queue(
    cards: Iterable[CardInfo],
    today: date,
    limits: DailyLimits,
    new_seen_today: int = 0,
    reviews_done_today: int = 0,
) -> Queue:
    """The queue for ``today``, leaving room only for what today's limits have not used up yet."""
    reviews: list[CardInfo] = []
    new: list[CardInfo] = []
    drills: list[CardInfo] = []
    lists = {CardState.DRILL: drills, CardState.NEW: new, CardState.REVIEW: reviews}
    for card in cards:
        chosen = lists.get(state_today(card, today))
        if chosen is not None:
            chosen.append(card)
    reviews.sort(key=_most_overdue_first)
    new.sort(key=_source_order)
    drills.sort(key=_failed_first)
    return Queue(
        reviews=_ids(reviews[: _room(limits.reviews_per_day, reviews_done_today)]),
        new=_ids(new[: _room(limits.new_per_day, new_seen_today)]),
        drills=_ids(drills),
    )


def after_answer(queue: Queue, card_id: str, new_state: SM2State, today: date) -> QueueStep:
    """Take ``card_id``, graded into ``new_state``, off the queue (in place); if it must be seen again today
    (still drilling, or re-learning after a failing grade) it joins the end of the drills. The step returned
    is what undo needs."""
    return queue.take(card_id, again=new_state.drill or new_state.due == today)


def without(queue: Queue, card_id: str) -> QueueStep:
    """Take ``card_id`` off the queue (in place): suspended, buried, or changed behind the session's back."""
    return queue.take(card_id)


def facts_of(
    state: SM2State, *, suspended: bool = False, buried_until: date | None = None, retired: bool = False
) -> CardFacts:
    """The columns the card-state rules read, from a schedule and its flags."""
    return CardFacts(retired, suspended, buried_until, state.drill, state.due, state.reps, state.interval)


def state_today(card: CardInfo, today: date) -> CardState:
    """What the card is on ``today`` (see `card_state.STATE_RULES`)."""
    facts = facts_of(
        card.state, suspended=card.suspended, buried_until=card.buried_until, retired=card.retired
    )
    return state_of(facts, today)


def _most_overdue_first(card: CardInfo) -> tuple[date, tuple[str, str, int], str]:
    due = card.state.due or date.min  # only cards with a due date reach the review list
    return due, card.order, card.id


def _source_order(card: CardInfo) -> tuple[tuple[str, str, int], str]:
    return card.order, card.id


def _failed_first(card: CardInfo) -> tuple[int, tuple[str, str, int], str]:
    # The day a card was last graded is due - interval both for a drill (due = day + I) and for a re-learn
    # (due = day, I = 0): the closest the stored state comes to "the order they failed".
    state = card.state
    graded_on = state.due.toordinal() - state.interval if state.due is not None else 0
    return graded_on, card.order, card.id


def _room(limit: int, used: int) -> int:
    return max(0, limit - used)


def _ids(cards: list[CardInfo]) -> tuple[str, ...]:
    return tuple(card.id for card in cards)


def follow_exam_plan(
    queue: Queue,
    planned: Iterable[CardInfo],
    plan_new: Sequence[str],
    plan_forward: Sequence[str],
    today: date,
    limits: DailyLimits,
) -> Queue:
    """Today's queue when an exam plan is followed.

    ``queue`` is the plain queue (built with the same ``limits``, the room today has left); ``planned`` are the
    cards the plan names for today, as stored now. Due reviews stay first, most overdue first; the plan's
    brought-forward reviews (cards learned but not due yet) follow, in the room the due ones leave. New cards
    are the plan's, in its order (weakest sections first when the limits bind): other new cards wait, since
    the plan already spends new-per-day on the exam's cards. Drills are unchanged.
    """
    cards = {card.id: card for card in planned}
    due = set(queue.reviews)  # `queue.reviews` copies its list: read once
    new = [
        card_id
        for card_id in plan_new
        if card_id in cards and state_today(cards[card_id], today) is CardState.NEW
    ]
    forward = [
        card_id
        for card_id in plan_forward
        if card_id in cards and state_today(cards[card_id], today) is CardState.WAITING and card_id not in due
    ]
    room = _room(limits.reviews_per_day, len(queue.reviews))
    return Queue(
        reviews=(*queue.reviews, *forward[:room]),
        new=tuple(new[: limits.new_per_day]),
        drills=queue.drills,
    )
