"""Exam mode: a day-by-day plan that gets every card seen and above the target recall on the exam day.

Pure: cards' memory states, today, the exam date, the limits and a memory model in; a plan and a readiness
report out. No database, no clock, no terminal.

How the plan is made (every answer in it is assumed to be Good; the plan is made again every day from the
real answers, so a failed card is simply replanned the next day):

1. **Normal scheduling, simulated.** Day by day from today to the day before the exam, due reviews are taken
   most overdue first up to the reviews-per-day limit (as the session takes them), and new cards are
   introduced up to the new-per-day limit. Every card should be introduced by the *cut-off*: the last day a
   new card can be introduced and still get its first follow-up review before the exam day. Cards the limit
   leaves past the cut-off still come (late, but seen), and the report says how many.
2. **Reviews brought forward.** A card whose next review falls on or after the exam day and whose predicted
   recall on the exam day is below the target gets one extra review inside its *window*: from the earliest day
   on which a Good answer would carry it to the exam at or above the target, to the day before the exam. Each
   card goes to the day of its window with the most room left under the reviews-per-day limit (the later day
   on a tie), cards with the narrowest window first, so the load is spread and no day exceeds the limit.
3. **When the limits bind**, the weakest sections (lowest predicted exam-day recall if the learner stopped
   today) go first: their new cards are introduced first and their reviews are brought forward first.

A card never seen counts as recall 0 in every mean: a question on a card never studied is a guess.
An exam date before today gives no plan: the collection is back on normal scheduling.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from dva_cards import fsrs
from dva_cards.fsrs import CardMemory, MemoryState, Parameters
from dva_cards.session import DailyLimits

DEFAULT_TARGET = 0.9
DEFAULT_LIMITS = DailyLimits()


@dataclass(frozen=True)
class MemoryModel:
    """What the planner needs to know about memory, so that any model (FSRS-6, or a stand-in) can drive it.

    ``recall(days, state)`` is the probability of recall ``days`` after the last review; ``after_good(state,
    days)`` is the memory after a Good answer ``days`` after the previous one (``state`` None: a new card);
    ``interval(state)`` is the days normal scheduling waits before the next review.
    """

    recall: Callable[[int, MemoryState], float]
    after_good: Callable[[MemoryState | None, int], MemoryState]
    interval: Callable[[MemoryState], int]


def fsrs_model(
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS,
    desired_retention: float = fsrs.DEFAULT_DESIRED_RETENTION,
    maximum_interval: int = fsrs.DEFAULT_MAXIMUM_INTERVAL,
) -> MemoryModel:
    """FSRS-6 with these parameters, scheduling at ``desired_retention``."""

    def recall(days: int, state: MemoryState) -> float:
        return fsrs.retrievability(days, state.stability, parameters)

    def after_good(state: MemoryState | None, days: int) -> MemoryState:
        return fsrs.next_state(state, fsrs.Rating.GOOD, days, parameters)

    def interval(state: MemoryState) -> int:
        return fsrs.next_interval(state.stability, desired_retention, maximum_interval, parameters)

    return MemoryModel(recall=recall, after_good=after_good, interval=interval)


@dataclass(frozen=True)
class ExamCard:
    """A card in review (not suspended, not retired) as the planner sees it."""

    id: str
    section: str  # top-level section: the first part of the card's context
    memory: CardMemory | None  # None: never seen
    due: date | None  # next normal review; None for a card never seen
    order: int  # position in the notes: new cards come in this order


@dataclass(frozen=True)
class DayPlan:
    day: date
    new: tuple[str, ...]  # cards to introduce, in this order
    reviews: int  # normal reviews expected (cards falling due)
    brought_forward: tuple[str, ...]  # cards reviewed early so they are ready on the exam day

    @property
    def review_load(self) -> int:
        return self.reviews + len(self.brought_forward)


@dataclass(frozen=True)
class SectionReadiness:
    section: str
    cards: int
    unseen: int  # never seen today
    recall_if_followed: float  # mean predicted recall on the exam day
    recall_if_stopped: float
    below_target: int  # cards under the target on the exam day if the plan is followed


@dataclass(frozen=True)
class Workload:
    """The pace the plan needs, beside the limits it is given."""

    new_per_day: int  # to introduce every unseen card by the cut-off
    reviews_per_day: int  # the busiest day's reviews, once every card that needs one has its review
    new_limit: int
    reviews_limit: int


@dataclass(frozen=True)
class Readiness:
    today: date
    exam: date
    target: float
    days_left: int  # days from today to the exam day
    cutoff: date | None  # last day to introduce a new card; None when no day is left for one
    cards: int
    unseen: int  # never seen today
    unseen_at_exam: int  # still never seen on the exam day if the plan is followed
    late: int  # introduced after the cut-off, too late for their reviews
    recall_if_followed: float
    recall_if_stopped: float
    below_target_if_followed: int
    below_target_if_stopped: int
    sections: tuple[SectionReadiness, ...]  # weakest first (if the plan is followed)
    workload: Workload
    verdict: str

    @property
    def on_track(self) -> bool:
        return self.verdict == ON_TRACK


@dataclass(frozen=True)
class ExamPlan:
    active: bool  # False once the exam date is past: normal scheduling
    days: tuple[DayPlan, ...]  # today first, up to the day before the exam
    readiness: Readiness | None  # None when not active

    def for_day(self, day: date) -> DayPlan | None:
        for plan in self.days:
            if plan.day == day:
                return plan
        return None


ON_TRACK = "on track"


def plan_exam(
    cards: Iterable[ExamCard],
    today: date,
    exam: date,
    model: MemoryModel,
    limits: DailyLimits = DEFAULT_LIMITS,
    target: float = DEFAULT_TARGET,
    new_seen_today: int = 0,
    reviews_done_today: int = 0,
) -> ExamPlan:
    """The plan from ``today`` to the exam and the readiness it leads to (see the module's description).

    ``new_seen_today`` and ``reviews_done_today`` are what today's limits have already spent.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"the target recall must be between 0 and 1, not {target!r}")
    if exam < today:
        return ExamPlan(active=False, days=(), readiness=None)
    deck = sorted(cards, key=lambda card: (card.order, card.id))
    stopped = {card.id: _exam_recall(card.memory, exam, model) for card in deck}
    weakness = _section_rank(deck, stopped)
    cutoff = _cutoff(today, exam, model)
    outcome = _plan(
        deck, today, exam, model, limits, target, cutoff, weakness, new_seen_today, reviews_done_today
    )
    workload = Workload(
        new_per_day=_new_needed(deck, today, cutoff, new_seen_today),
        reviews_per_day=_reviews_needed(
            deck,
            today,
            exam,
            model,
            limits,
            target,
            cutoff,
            weakness,
            new_seen_today,
            reviews_done_today,
            outcome,
        ),
        new_limit=limits.new_per_day,
        reviews_limit=limits.reviews_per_day,
    )
    readiness = _readiness(deck, today, exam, target, cutoff, stopped, outcome, workload)
    return ExamPlan(active=True, days=outcome.days, readiness=readiness)


# --- the simulation -----------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    days: tuple[DayPlan, ...]
    recall: dict[str, float]  # predicted exam-day recall if the plan is followed (0 for unseen)
    late: int  # new cards introduced after the cut-off
    unplaced: int  # cards needing a review before the exam that found no room under the limits
    backlog: int  # due reviews still not done on the exam day for lack of room
    peak_reviews: int


@dataclass
class _Sim:
    memory: dict[str, CardMemory] = field(default_factory=dict)
    due: dict[str, date] = field(default_factory=dict)


def _plan(
    deck: Sequence[ExamCard],
    today: date,
    exam: date,
    model: MemoryModel,
    limits: DailyLimits,
    target: float,
    cutoff: date | None,
    weakness: dict[str, int],
    new_seen_today: int,
    reviews_done_today: int,
) -> _Outcome:
    study_days = [today + timedelta(days=offset) for offset in range((exam - today).days)]
    order = {card.id: card.order for card in deck}
    sim = _Sim()
    for card in deck:
        if card.memory is not None:
            sim.memory[card.id] = card.memory
            sim.due[card.id] = card.due if card.due is not None else card.memory.last_review
    unseen = [card for card in deck if card.memory is None]
    new_room = _room_until(study_days, cutoff, limits.new_per_day, new_seen_today)
    if len(unseen) > new_room:  # the limits bind: the weakest sections' cards come first
        unseen.sort(key=lambda card: (weakness[card.section], card.order, card.id))
    new_queue = deque(card.id for card in unseen)

    # Step 1: normal scheduling, every answer Good.
    heap = [(due, order[card_id], card_id) for card_id, due in sim.due.items()]
    heapq.heapify(heap)
    room: dict[date, int] = {}
    introduced: dict[date, tuple[str, ...]] = {}
    reviewed: dict[date, int] = {}
    late = 0
    for day in study_days:
        review_room = max(0, limits.reviews_per_day - (reviews_done_today if day == today else 0))
        done = 0
        while heap and heap[0][0] <= day and done < review_room:
            _due, _order, card_id = heapq.heappop(heap)
            memory = sim.memory[card_id]
            state = model.after_good(memory.state, (day - memory.last_review).days)
            sim.memory[card_id] = CardMemory(state, day)
            sim.due[card_id] = day + timedelta(days=max(1, model.interval(state)))
            heapq.heappush(heap, (sim.due[card_id], order[card_id], card_id))
            done += 1
        reviewed[day] = done
        room[day] = review_room - done
        # Past the cut-off new cards still come: seen late is better than never seen on the exam day.
        new_today: list[str] = []
        quota = max(0, limits.new_per_day - (new_seen_today if day == today else 0))
        while new_queue and len(new_today) < quota:
            card_id = new_queue.popleft()
            state = model.after_good(None, 0)
            sim.memory[card_id] = CardMemory(state, day)
            sim.due[card_id] = day + timedelta(days=max(1, model.interval(state)))
            heapq.heappush(heap, (sim.due[card_id], order[card_id], card_id))
            new_today.append(card_id)
        introduced[day] = tuple(new_today)
        if cutoff is None or day > cutoff:
            late += len(new_today)
    backlog = sum(1 for due, _order, _id in heap if due < exam)

    # Step 2: one review brought forward for each card that would reach the exam below the target.
    windows: list[tuple[date, ExamCard]] = []
    for card in deck:
        last_state = sim.memory.get(card.id)
        if last_state is None or sim.due[card.id] < exam:
            continue
        if model.recall((exam - last_state.last_review).days, last_state.state) >= target:
            continue
        first = max(today, last_state.last_review + timedelta(days=1))
        last = exam - timedelta(days=1)
        if first > last:
            continue
        windows.append((_window_start(last_state, first, last, exam, model, target), card))
    placed = _place(windows, room, weakness, by_weakness=False)
    if placed is None:
        placed = _place(windows, room, weakness, by_weakness=True)
        assert placed is not None
    assignment, unplaced = placed

    forward: dict[date, list[str]] = {day: [] for day in study_days}
    recall: dict[str, float] = {}
    for card in deck:
        final = sim.memory.get(card.id)
        if card.id in assignment:
            day = assignment[card.id]
            forward[day].append(card.id)
            assert final is not None
            final = CardMemory(model.after_good(final.state, (day - final.last_review).days), day)
        recall[card.id] = _exam_recall(final, exam, model)
    days = tuple(
        DayPlan(
            day=day,
            new=introduced[day],
            reviews=reviewed[day],
            brought_forward=tuple(sorted(forward[day], key=lambda card_id: (order[card_id], card_id))),
        )
        for day in study_days
    )
    peak = max((plan.review_load for plan in days), default=0)
    return _Outcome(
        days=days, recall=recall, late=late, unplaced=unplaced, backlog=backlog, peak_reviews=peak
    )


def _window_start(
    memory: CardMemory, first: date, last: date, exam: date, model: MemoryModel, target: float
) -> date:
    """The earliest day in [first, last] on which a Good answer carries the card to the exam at the target.

    A later review both leaves fewer days to forget and (reviewing at lower recall) builds more stability, so
    the recall it leads to only grows with the day: a binary search finds the edge. If even ``last`` falls
    short, the window is ``last`` alone, the best there is.
    """

    def enough(day: date) -> bool:
        state = model.after_good(memory.state, (day - memory.last_review).days)
        return model.recall((exam - day).days, state) >= target

    low, high = 0, (last - first).days
    if not enough(last):
        return last
    while low < high:
        middle = (low + high) // 2
        if enough(first + timedelta(days=middle)):
            high = middle
        else:
            low = middle + 1
    return first + timedelta(days=low)


def _place(
    windows: Sequence[tuple[date, ExamCard]],
    room: dict[date, int],
    weakness: dict[str, int],
    by_weakness: bool,
) -> tuple[dict[str, date], int] | None:
    """Each card to the day of its window with the most room left (the later on a tie).

    Narrowest windows first; with ``by_weakness`` the weakest sections first. Returns None when a card found no
    room and ``by_weakness`` is off, so the caller can try again with the weakest sections first.
    """
    left = dict(room)
    assignment: dict[str, date] = {}
    unplaced = 0

    def priority(item: tuple[date, ExamCard]) -> tuple[int, int, int, str]:
        start, card = item
        section = weakness[card.section] if by_weakness else 0
        return (section, -start.toordinal(), card.order, card.id)

    last_day = max(room, default=None)
    for start, card in sorted(windows, key=priority):
        best: date | None = None
        day = last_day
        while day is not None and day >= start:
            if left[day] > 0 and (best is None or left[day] > left[best]):
                best = day
            day -= timedelta(days=1)
        if best is None:
            if not by_weakness:
                return None
            unplaced += 1
            continue
        left[best] -= 1
        assignment[card.id] = best
    return assignment, unplaced


# --- rules used above ---------------------------------------------------------------------------------------


def _exam_recall(memory: CardMemory | None, exam: date, model: MemoryModel) -> float:
    if memory is None:
        return 0.0
    return model.recall(max(0, (exam - memory.last_review).days), memory.state)


def _cutoff(today: date, exam: date, model: MemoryModel) -> date | None:
    """The last day a new card can be introduced and still get its first follow-up review before the exam."""
    first_interval = max(1, model.interval(model.after_good(None, 0)))
    cutoff = exam - timedelta(days=first_interval + 1)
    return cutoff if cutoff >= today else None


def _room_until(study_days: Sequence[date], cutoff: date | None, per_day: int, used_today: int) -> int:
    if cutoff is None:
        return 0
    days = sum(1 for day in study_days if day <= cutoff)
    return max(0, days * per_day - used_today)


def _section_rank(deck: Sequence[ExamCard], recall: dict[str, float]) -> dict[str, int]:
    """Sections ranked weakest first (0) by mean exam-day recall if the learner stopped today."""
    means = _section_means(deck, recall)
    ranked = sorted(means, key=lambda section: (means[section], section))
    return {section: rank for rank, section in enumerate(ranked)}


def _section_means(deck: Sequence[ExamCard], recall: dict[str, float]) -> dict[str, float]:
    totals: dict[str, list[float]] = {}
    for card in deck:
        totals.setdefault(card.section, []).append(recall[card.id])
    return {section: math.fsum(values) / len(values) for section, values in totals.items()}


def _new_needed(deck: Sequence[ExamCard], today: date, cutoff: date | None, new_seen_today: int) -> int:
    """New cards a day from today to the cut-off that would introduce every unseen card."""
    unseen = sum(1 for card in deck if card.memory is None)
    if unseen == 0:
        return 0
    if cutoff is None:
        return unseen  # no day left: every one of them would have had to be introduced already
    days = (cutoff - today).days + 1
    return math.ceil((unseen + new_seen_today) / days)


def _reviews_needed(
    deck: Sequence[ExamCard],
    today: date,
    exam: date,
    model: MemoryModel,
    limits: DailyLimits,
    target: float,
    cutoff: date | None,
    weakness: dict[str, int],
    new_seen_today: int,
    reviews_done_today: int,
    outcome: _Outcome,
) -> int:
    """The smallest reviews-per-day limit under which every review fits (the plan's busiest day if it fits)."""
    if outcome.unplaced == 0 and outcome.backlog == 0:
        return outcome.peak_reviews

    def fits(per_day: int) -> bool:
        trial = _plan(
            deck,
            today,
            exam,
            model,
            DailyLimits(limits.new_per_day, per_day),
            target,
            cutoff,
            weakness,
            new_seen_today,
            reviews_done_today,
        )
        return trial.unplaced == 0 and trial.backlog == 0

    # Twice every card plus today's answers always fits (a card is reviewed at most once a day, plus once brought
    # forward). Doubling from the limit finds a fitting bound in a few plans; bisection then finds the least.
    ceiling = max(limits.reviews_per_day + 1, 2 * len(deck) + reviews_done_today)
    low, high = limits.reviews_per_day + 1, max(1, 2 * limits.reviews_per_day)
    while high < ceiling and not fits(high):
        low, high = high + 1, 2 * high
    high = min(high, ceiling)
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _readiness(
    deck: Sequence[ExamCard],
    today: date,
    exam: date,
    target: float,
    cutoff: date | None,
    stopped: dict[str, float],
    outcome: _Outcome,
    workload: Workload,
) -> Readiness:
    followed = outcome.recall
    seen_by_exam = {card.id for card in deck if card.memory is not None}
    seen_by_exam.update(card_id for plan in outcome.days for card_id in plan.new)
    followed_means = _section_means(deck, followed)
    stopped_means = _section_means(deck, stopped)
    sections = [
        SectionReadiness(
            section=section,
            cards=sum(1 for card in deck if card.section == section),
            unseen=sum(1 for card in deck if card.section == section and card.memory is None),
            recall_if_followed=followed_means[section],
            recall_if_stopped=stopped_means[section],
            below_target=sum(1 for card in deck if card.section == section and followed[card.id] < target),
        )
        for section in followed_means
    ]
    sections.sort(key=lambda entry: (entry.recall_if_followed, entry.section))
    unseen_at_exam = len(deck) - len(seen_by_exam)
    below_followed = sum(1 for card in deck if followed[card.id] < target)
    readiness = Readiness(
        today=today,
        exam=exam,
        target=target,
        days_left=(exam - today).days,
        cutoff=cutoff,
        cards=len(deck),
        unseen=sum(1 for card in deck if card.memory is None),
        unseen_at_exam=unseen_at_exam,
        late=outcome.late,
        recall_if_followed=_mean(followed.values()),
        recall_if_stopped=_mean(stopped.values()),
        below_target_if_followed=below_followed,
        below_target_if_stopped=sum(1 for value in stopped.values() if value < target),
        sections=tuple(sections),
        workload=workload,
        verdict="",
    )
    return _with_verdict(readiness, outcome)


def _with_verdict(readiness: Readiness, outcome: _Outcome) -> Readiness:
    workload = readiness.workload
    parts: list[str] = []
    missed = []
    if readiness.unseen_at_exam:
        missed.append(f"{readiness.unseen_at_exam} cards stay unseen")
    if readiness.late:
        missed.append(f"{readiness.late} {'come' if missed else 'cards come'} too late for their reviews")
    if missed and readiness.cutoff is None:
        parts.append(f"{' and '.join(missed)}: no day is left to introduce them with room for a review")
    elif missed:
        parts.append(
            f"at {workload.new_limit} new cards a day, {' and '.join(missed)}: "
            f"{workload.new_per_day} a day would cover them"
        )
    short = outcome.unplaced + outcome.backlog
    if short:
        parts.append(
            f"at {workload.reviews_limit} reviews a day, {short} cards miss a review they need: "
            f"{workload.reviews_per_day} a day would fit them"
        )
    if not parts and readiness.recall_if_followed < readiness.target:
        parts.append(
            f"predicted recall {readiness.recall_if_followed:.2f} stays below the target {readiness.target:.2f}"
        )
    verdict = "; ".join(parts) if parts else ON_TRACK
    return replace(readiness, verdict=verdict)


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0
