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

Suspended, retired and buried cards are left out. The queue is an immutable value: answering a card returns a
new queue, so the review loop can undo by keeping the previous one.
"""

from __future__ import annotations

from collections.abc import Iterable
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
class Queue:
    reviews: tuple[str, ...] = ()  # due review cards, most overdue first
    new: tuple[str, ...] = ()  # never-seen cards, in source order
    drills: tuple[str, ...] = ()  # cards to see again today, in the order they failed

    def next_card(self) -> tuple[str, Kind] | None:
        """The card to show now and why: reviews first, then new cards, then the day's drills."""
        if self.reviews:
            return self.reviews[0], "review"
        if self.new:
            return self.new[0], "new"
        if self.drills:
            return self.drills[0], "drill"
        return None

    def counts(self) -> tuple[int, int, int]:
        """Cards left as (new, review, drill), the order the session header shows them in."""
        return len(self.new), len(self.reviews), len(self.drills)

    def __len__(self) -> int:
        return len(self.reviews) + len(self.new) + len(self.drills)


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


def after_answer(queue: Queue, card_id: str, new_state: SM2State, today: date) -> Queue:
    """The queue once ``card_id`` has been graded into ``new_state``: it leaves its place and, if it must be
    seen again today (still drilling, or re-learning after a failing grade), joins the end of the drills."""
    rest = without(queue, card_id)
    if new_state.drill or new_state.due == today:
        return Queue(reviews=rest.reviews, new=rest.new, drills=(*rest.drills, card_id))
    return rest


def without(queue: Queue, card_id: str) -> Queue:
    """The queue with ``card_id`` gone from every list (suspended or buried during the session)."""
    return Queue(
        reviews=_drop(queue.reviews, card_id),
        new=_drop(queue.new, card_id),
        drills=_drop(queue.drills, card_id),
    )


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


def _drop(ids: tuple[str, ...], card_id: str) -> tuple[str, ...]:
    return tuple(each for each in ids if each != card_id)
