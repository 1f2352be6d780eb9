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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

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

    The planner relies on a later Good answer (a day or more after the previous one) being worth no less: the
    later the answer, the later its next review and the higher the recall it carries to a given day. FSRS
    gives it (stability grows as recall falls before the answer); a model without it gets a different plan.
    """

    recall: Callable[[int, MemoryState], float]
    after_good: Callable[[MemoryState | None, int], MemoryState]
    interval: Callable[[MemoryState], int]


def fsrs_model(
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS,
    desired_retention: float = fsrs.DEFAULT_DESIRED_RETENTION,
    maximum_interval: int = fsrs.DEFAULT_MAXIMUM_INTERVAL,
) -> MemoryModel:
    """FSRS-6 with these parameters, scheduling at ``desired_retention``.

    The planner asks the model hundreds of thousands of questions on a large collection, all about Good
    answers: the three functions are FSRS-6's own formulas (`fsrs.retrievability`, `fsrs.next_state` with
    Good, `fsrs.next_interval`) with what depends on the parameters alone worked out once, each float
    operation the same, so they give exactly the same numbers.
    """
    if not 0.0 < desired_retention < 1.0:
        raise ValueError(f"desired retention must be between 0 and 1, not {desired_retention!r}")
    p = parameters
    decay = -p[20]
    factor = math.pow(0.9, 1.0 / decay) - 1.0  # R(S, S) = 0.9
    first = fsrs.initial_state(fsrs.Rating.GOOD, p)
    good = int(fsrs.Rating.GOOD)
    same_day_growth = math.exp(p[17] * (good - 3 + p[18]))
    recall_growth = math.exp(p[8])
    change = -p[6] * (good - 3)  # Good leaves the difficulty where it is (but for w7's pull)
    easy_pull = p[7] * (p[4] - math.exp(p[5] * (int(fsrs.Rating.EASY) - 1)) + 1.0)
    keep = 1.0 - p[7]
    minus_w9, minus_w19, w10 = -p[9], -p[19], p[10]
    interval_factor = math.pow(desired_retention, 1.0 / decay) - 1.0
    low, high = fsrs.MIN_DIFFICULTY, fsrs.MAX_DIFFICULTY
    pow_, exp_ = math.pow, math.exp

    def recall(days: int, state: MemoryState) -> float:
        return pow_(1.0 + factor * (days if days > 0.0 else 0.0) / state.stability, decay)

    def after_good(state: MemoryState | None, days: int) -> MemoryState:
        if state is None:
            return first
        stability, difficulty = state.stability, state.difficulty
        if days <= 0:
            growth = same_day_growth * pow_(stability, minus_w19)
            stability = stability * (1.0 if growth < 1.0 else growth)  # a same-day pass never lowers it
        else:
            was = pow_(1.0 + factor * days / stability, decay)
            growth = (
                recall_growth
                * (11.0 - difficulty)
                * pow_(stability, minus_w9)
                * (exp_((1.0 - was) * w10) - 1.0)
            )
            stability = stability * (1.0 + growth)
        if not stability > fsrs.MIN_STABILITY:
            stability = fsrs.MIN_STABILITY
        difficulty = easy_pull + keep * (difficulty + change * (10.0 - difficulty) / 9.0)
        return MemoryState(stability, low if difficulty < low else difficulty if difficulty < high else high)

    def interval(state: MemoryState) -> int:
        return max(1, min(round(state.stability / factor * interval_factor), maximum_interval))

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
    readiness: Readiness | None  # None when not active, or when only the days were planned

    def for_day(self, day: date) -> DayPlan | None:
        for plan in self.days:
            if plan.day == day:
                return plan
        return None


ON_TRACK = "on track"
GUIDED_TRIALS = 8  # runs of step 1 led by their own guesses, before the search for the workload bisects


def plan_exam(
    cards: Iterable[ExamCard],
    today: date,
    exam: date,
    model: MemoryModel,
    limits: DailyLimits = DEFAULT_LIMITS,
    target: float = DEFAULT_TARGET,
    new_seen_today: int = 0,
    reviews_done_today: int = 0,
    *,
    report: bool = True,
) -> ExamPlan:
    """The plan from ``today`` to the exam and the readiness it leads to (see the module's description).

    ``new_seen_today`` and ``reviews_done_today`` are what today's limits have already spent. Without
    ``report`` only the days are planned (the same days): what a session follows, without the readiness
    report, whose workload figure alone costs several more runs of step 1 when the limits bind.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"the target recall must be between 0 and 1, not {target!r}")
    if exam < today:
        return ExamPlan(active=False, days=(), readiness=None)
    deck = sorted(cards, key=lambda card: (card.order, card.id))
    stopped = _exam_recalls(deck, exam, model)
    groups = _section_groups(deck)
    weakness = _section_rank(groups, stopped)
    cutoff = _cutoff(today, exam, model)
    planner = _Planner(
        deck,
        today,
        exam,
        model,
        limits,
        target,
        cutoff,
        weakness,
        stopped,
        new_seen_today,
        reviews_done_today,
    )
    outcome = planner.plan(limits.reviews_per_day, with_recall=report)
    if not report:
        return ExamPlan(active=True, days=outcome.days, readiness=None)
    workload = Workload(
        new_per_day=_new_needed(deck, today, cutoff, new_seen_today),
        reviews_per_day=planner.reviews_needed(outcome),
        new_limit=limits.new_per_day,
        reviews_limit=limits.reviews_per_day,
    )
    readiness = _readiness(deck, groups, today, exam, target, cutoff, stopped, outcome, workload)
    return ExamPlan(active=True, days=outcome.days, readiness=readiness)


# --- the simulation -----------------------------------------------------------------------------------------
#
# Days are counted as integers from today (0) to the exam (``days``), and cards by their rank in the order of
# the notes (ties between equal positions broken by id): cheaper than dates and ids in the loops below.
# A collection of 50,000 cards is planned several times over when the workload's reviews-per-day figure is
# searched for, so what does not depend on the reviews-per-day limit is worked out once (`_Planner`): the
# order new cards come in, the cards falling due on each day, and the windows of the cards the simulation
# never reviews (those due on or after the exam day); the model's answers are remembered, since the same card
# reaches the same memory on the same day under most limits.
#
# Step 1 needs no heap: the cards a day can take are those left over from earlier days (most overdue first)
# and then those falling due that day, in the order of the notes. Cards left over from earlier days all fell
# due before the day's own, so appending a day's leftovers to the earlier ones keeps the most overdue first:
# each day costs a slice of that list plus one sort of the day's own cards, and each review a few list
# lookups. Only the cards a run answers are looked at again for their windows.


@dataclass
class _Outcome:
    days: tuple[DayPlan, ...]
    # Each card's predicted exam-day recall if the plan is followed (0 for unseen); empty if not asked for.
    recall: list[float]
    late: int  # new cards introduced after the cut-off
    unplaced: int  # cards needing a review before the exam that found no room under the limits
    backlog: int  # due reviews still not done on the exam day for lack of room
    peak_reviews: int
    guess: int  # the least reviews-per-day limit this plan's reviews would fit under, were they the same


@dataclass
class _Run:
    """Step 1 under one reviews-per-day limit: what normal scheduling (every answer Good) does by the exam.

    Cards are ranks (positions in `_Planner.deck`); the per-card lists are indexed by rank.
    """

    memory: list[int]  # each card's memory at the end of the run: an index into `_Planner.memories`
    due: list[int]  # each card's next due day
    answered: bytearray  # 1 for each card this run answered or introduced
    windows: list[
        tuple[int, int]
    ]  # (window start, card) of the cards it left needing a review brought forward
    starts: list[int]  # how many windows, with the static ones, start on each day
    backlog: list[int]  # cards due before the exam and never taken, most overdue first
    room: list[int]  # review room left each day once the due reviews are done
    reviewed: list[int]
    introduced: list[tuple[str, ...]]


class _Planner:
    def __init__(
        self,
        deck: Sequence[ExamCard],
        today: date,
        exam: date,
        model: MemoryModel,
        limits: DailyLimits,
        target: float,
        cutoff: date | None,
        weakness: dict[str, int],
        stopped: list[float],  # each card's exam-day recall if the learner stopped today
        new_seen_today: int,
        reviews_done_today: int,
    ) -> None:
        self.deck = deck  # in the order of the notes: a card's rank is its index here
        self.today = today
        self.days = (exam - today).days  # the exam day; study days are 0 .. days - 1
        self.model = model
        self.limits = limits
        self.target = target
        self.cutoff = (cutoff - today).days if cutoff is not None else None
        self.weakness = weakness
        self.stopped = stopped
        self.new_seen_today = new_seen_today
        self.reviews_done_today = reviews_done_today
        self.ids = [card.id for card in deck]
        # A memory and the day of the answer that left it, numbered: the hot loop handles ints only.
        self.memories: list[tuple[MemoryState, int]] = []
        # For each memory, the earliest day found on which a Good answer from it puts the card's next review on
        # or after the exam day, ready for it (no window): on any later day so too (`MemoryModel`), so runs
        # that only ask whether the limits fit skip the model there. `days`: no such day found yet.
        self._settled: list[int] = []
        self._numbers: dict[tuple[float, float, int], int] = {}
        # memory number * days + day -> `_answer`: cards in the same memory answered on the same day again
        self._answers: dict[int, tuple[int, int, int | None]] = {}
        self._starts: dict[tuple[float, float, int], int | None] = {}
        self._after_good, self._interval, self._recall = model.after_good, model.interval, model.recall
        self.first_state = model.after_good(None, 0)
        self.first_interval = max(1, model.interval(self.first_state))

        unseen = [rank for rank, card in enumerate(deck) if card.memory is None]
        study_days = [today + timedelta(days=offset) for offset in range(self.days)]
        new_room = _room_until(study_days, cutoff, limits.new_per_day, new_seen_today)
        if len(unseen) > new_room:  # the limits bind: the weakest sections' cards come first
            unseen.sort(key=lambda rank: (weakness[deck[rank].section], rank))
        self.new_order = unseen

        origin = today.toordinal()
        self.memory = [-1] * len(deck)  # -1: never seen
        self.due = [0] * len(deck)
        overdue: list[tuple[int, int]] = []  # (due day, rank) of the cards due before today
        self.falling_due: list[list[int]] = [[] for _ in range(self.days)]  # each day's cards, by rank
        self.static_windows: list[tuple[int, ExamCard]] = []
        for rank, card in enumerate(deck):
            memory = card.memory
            if memory is None:
                continue
            last = memory.last_review.toordinal() - origin
            due = (card.due if card.due is not None else memory.last_review).toordinal() - origin
            # Stored memories are rarely shared: each is numbered as it comes, without looking for a twin.
            self.memory[rank], self.due[rank] = self._remember(memory.state, last), due
            if due < 0:
                overdue.append((due, rank))
            elif due < self.days:
                self.falling_due[due].append(rank)
            else:  # never reviewed by step 1: its window is the same under every limit
                start = self._window_of(memory.state, last)
                if start is not None:
                    self.static_windows.append((start, card))
        overdue.sort()
        self.overdue = [rank for _due, rank in overdue]
        self.static_starts = [0] * self.days
        for start, _card in self.static_windows:
            self.static_starts[start] += 1

    # -- the model, remembered ----------------------------------------------------------------------------

    def _window(self, state: MemoryState, last_review: int) -> int | None:
        """`_window_of`, remembered: many cards share a memory (a day's new cards, cards never reviewed)."""
        key = (state.stability, state.difficulty, last_review)
        if key in self._starts:
            return self._starts[key]
        start = self._starts[key] = self._window_of(state, last_review)
        return start

    def _window_of(self, state: MemoryState, last_review: int) -> int | None:
        """The first day of the card's window if it needs a review brought forward (it reaches the exam below
        the target), else None; the card's next normal review falls on or after the exam day."""
        first, last = max(0, last_review + 1), self.days - 1
        if first <= last and self.model.recall(self.days - last_review, state) < self.target:
            return _window_start(state, last_review, first, last, self.days, self.model, self.target)
        return None

    def _number(self, state: MemoryState, last_review: int) -> int:
        key = (state.stability, state.difficulty, last_review)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = self._remember(state, last_review)
        return number

    def _remember(self, state: MemoryState, last_review: int) -> int:
        self.memories.append((state, last_review))
        self._settled.append(self.days)
        return len(self.memories) - 1

    def _answer(self, number: int, day: int) -> tuple[int, int, int | None]:
        """A Good answer on ``day`` from memory ``number``: the memory it leaves, the next due day and, if that
        falls on or after the exam day, the start of the window the card then needs (None: it needs none).

        Called once for each card and day a run answers it on that no earlier run did: some 10,000 times a run
        on a large backlog, hence the model's functions held in attributes rather than looked up each time.
        """
        state, last_review = self.memories[number]
        after = self._after_good(state, day - last_review)
        interval = self._interval(after)
        due = day + (interval if interval > 1 else 1)
        days = self.days
        if due < days:
            return self._number(after, day), due, None
        # Not answered again before the exam: its memory is never looked up, so it needs no shared number,
        # and its window is its own (`_window_of`, with the card just answered).
        start = None
        if day + 1 < days and self._recall(days - day, after) < self.target:
            start = _window_start(after, day, day + 1, days - 1, days, self.model, self.target)
        elif last_review < day < self._settled[number]:  # not on the day of its last answer: see MemoryModel
            self._settled[number] = day
        return self._remember(after, day), due, start

    # -- step 1 -------------------------------------------------------------------------------------------

    def _run(self, per_day: int, *, settled: bool = False) -> _Run:
        """Step 1 under ``per_day``. With ``settled``, a card answered on or after its memory's settled day is
        only counted as answered (its next review after the exam, no window), its memory left as it was: what
        `fits` needs, not what the plan needs."""
        # The hot loop of the planner (tens of thousands of reviews, several runs): locals, one dict lookup a
        # review. A card answered into a due day on or after the exam is not answered again by the run: its
        # window (if it needs one) is counted there and then.
        days = self.days
        memory, due = list(self.memory), list(self.due)
        falling_due = [list(cards) for cards in self.falling_due]
        backlog = list(self.overdue)
        answered = bytearray(len(memory))
        windows: list[tuple[int, int]] = []
        starts = list(self.static_starts)
        room: list[int] = []
        reviewed: list[int] = []
        introduced: list[tuple[str, ...]] = []
        ids, new_order, next_new = self.ids, self.new_order, 0
        answers, answer_of = self._answers, self._answer
        first_state, first_interval = self.first_state, self.first_interval
        stride = max(1, days)
        settled_on = self._settled  # grows as the run makes memories: read, never copied
        for day in range(days):
            review_room = max(0, per_day - (self.reviews_done_today if day == 0 else 0))
            today_due = falling_due[day]
            today_due.sort()
            if len(backlog) >= review_room:
                taken = backlog[:review_room]
                backlog = backlog[review_room:]
                backlog += today_due
            else:
                share = review_room - len(backlog)
                taken = backlog + today_due[:share] if backlog else today_due[:share]
                backlog = today_due[share:]
            for rank in taken:
                number = memory[rank]
                if settled and day >= settled_on[number]:
                    due[rank] = days
                    answered[rank] = 1
                    continue
                key = number * stride + day
                answer = answers.get(key)
                if answer is None:
                    answer = answers[key] = answer_of(number, day)
                memory[rank], next_due, start = answer
                due[rank] = next_due
                answered[rank] = 1
                if next_due < days:
                    falling_due[next_due].append(rank)
                elif start is not None:
                    starts[start] += 1
                    windows.append((start, rank))
            reviewed.append(len(taken))
            room.append(review_room - len(taken))
            # Past the cut-off new cards still come: seen late is better than never seen on the exam day.
            quota = max(0, self.limits.new_per_day - (self.new_seen_today if day == 0 else 0))
            today_new = new_order[next_new : next_new + quota]
            next_new += len(today_new)
            next_due = day + first_interval
            first = self._number(first_state, day) if today_new else -1
            for rank in today_new:
                memory[rank], due[rank] = first, next_due
                answered[rank] = 1
            if next_due < days:
                falling_due[next_due] += today_new
            elif today_new and (start := self._window(first_state, day)) is not None:
                starts[start] += len(today_new)
                windows += [(start, rank) for rank in today_new]
            introduced.append(tuple(ids[rank] for rank in today_new))
        return _Run(memory, due, answered, windows, starts, backlog, room, reviewed, introduced)

    def _settle_early(self) -> None:
        """Answer each card due before the exam on the first day it can be taken (its due day, or today):
        where that settles its memory, every run of the search skips the model for it, however late its
        limit lets it be taken. Runs with more room than the plan's take cards earlier than it did, and would
        otherwise each meet those cards afresh."""
        stride, answers, settled_on = max(1, self.days), self._answers, self._settled
        for ranks in (self.overdue, *self.falling_due):
            for rank in ranks:
                number, day = self.memory[rank], max(0, self.due[rank])
                if day < settled_on[number] and day > self.memories[number][1]:
                    key = number * stride + day
                    if key not in answers:
                        answers[key] = self._answer(number, day)

    def fits(self, per_day: int) -> tuple[bool, int]:
        """Whether every due review and every review brought forward finds room under ``per_day``, and the
        least limit the reviews of that run would fit under (`_guess`)."""
        run = self._run(per_day, settled=True)
        return not run.backlog and _room_for_all(run.starts, run.room), self._guess(run, run.starts)

    def plan(self, per_day: int, *, with_recall: bool = True) -> _Outcome:
        """Step 1 and step 2 under ``per_day``: the days, and (``with_recall``) each card's predicted recall
        on the exam day, which only the readiness report reads."""
        run = self._run(per_day)
        deck = self.deck
        windows = [*self.static_windows, *((start, deck[rank]) for start, rank in run.windows)]
        starts = run.starts
        # Narrowest windows first; when that leaves a card without room, the weakest sections first.
        assignment, unplaced = _place(
            windows, run.room, self.weakness, by_weakness=not _room_for_all(starts, run.room)
        )

        model = self.model
        forward: list[list[int]] = [[] for _ in range(self.days)]
        recall = list(self.stopped) if with_recall else []
        answered = run.answered
        for rank, card in enumerate(deck):
            day = assignment.get(card.id)
            if day is not None:
                forward[day].append(rank)
                if not with_recall:
                    continue
                state, last = self.memories[run.memory[rank]]
                after = model.after_good(state, day - last)
                recall[rank] = model.recall(self.days - day, after)
            elif with_recall and answered[rank]:
                state, last = self.memories[run.memory[rank]]
                recall[rank] = model.recall(self.days - last, state)
        late = 0
        for day, new in enumerate(run.introduced):
            if self.cutoff is None or day > self.cutoff:
                late += len(new)
        ids = self.ids
        days = tuple(
            DayPlan(
                day=self.today + timedelta(days=day),
                new=run.introduced[day],
                reviews=run.reviewed[day],
                brought_forward=tuple(ids[rank] for rank in forward[day]),  # ranks come in order
            )
            for day in range(self.days)
        )
        peak = max((plan.review_load for plan in days), default=0)
        return _Outcome(
            days=days,
            recall=recall,
            late=late,
            unplaced=unplaced,
            backlog=len(run.backlog),
            peak_reviews=peak,
            guess=self._guess(run, starts),
        )

    def _guess(self, run: _Run, starts: Sequence[int]) -> int:
        """The least reviews-per-day limit under which this run's reviews (those done, those left undone and
        those to bring forward) would all find a day, were they the same under it. They are not quite (more
        room means fewer delayed reviews, and so different intervals), which is why this is only where the
        search for the workload starts. By Hall's condition, as in `_room_for_all`: from each day on, the
        reviews that can be taken then or later fit in those days."""
        if self.days == 0:
            return 0  # no day to take them on: no limit helps
        waiting = list(starts)  # reviews that can be taken from this day on
        for day, done in enumerate(run.reviewed):
            waiting[day] += done
        for rank in run.backlog:  # due before the exam, never taken
            waiting[max(0, run.due[rank])] += 1
        least = 0
        reviews = 0
        for day in range(self.days - 1, -1, -1):
            reviews += waiting[day] + (self.reviews_done_today if day == 0 else 0)
            least = max(least, math.ceil(reviews / (self.days - day)))
        return least

    def reviews_needed(self, outcome: _Outcome) -> int:
        """The smallest reviews-per-day limit under which every review fits (the plan's busiest day if it fits).

        A search between the limit (which does not fit) and a ceiling that always does, each run of step 1
        under a trial limit telling whether it fits and guessing the answer (`_guess`): the next trial is that
        guess when it lies inside what is left to search, else a step from the last trial that doubles each
        time, so a good guess ends the search in a few runs and a poor one costs a galloping search.
        """
        if outcome.unplaced == 0 and outcome.backlog == 0:
            return outcome.peak_reviews
        # Twice every card plus today's answers always fits (a card is reviewed at most once a day, plus once
        # brought forward).
        low = self.limits.reviews_per_day + 1  # the limit itself does not fit
        high = max(low, 2 * len(self.deck) + self.reviews_done_today)
        self._settle_early()
        trial, step, trials = outcome.guess, 1, 0
        followed: tuple[int, int] | None = None  # the last trial whose guess was followed, and that guess
        while low < high:
            if trials >= GUIDED_TRIALS:  # the guesses are not converging: plain bisection
                trial = (low + high) // 2
            trial = min(max(trial, low), high - 1)
            fitting, guess = self.fits(trial)
            trials += 1
            # A guess one away is no better than a step, and steps double: a guess creeping by one is not followed.
            guided = guess < trial - 1 if fitting else guess > trial + 1
            if fitting:
                high = trial
            else:
                low = trial + 1
            if guided:
                following = guess
                if followed is not None and followed[1] == trial:
                    # Guesses close in on the answer geometrically: Aitken's extrapolation skips ahead.
                    before, bend = followed[0], guess - 2 * trial + followed[0]
                    if bend != 0 and (trial - before) * (guess - trial) > 0:
                        following = round(guess - (guess - trial) ** 2 / bend)
                followed = (trial, guess)
                trial, step = following, 1
            else:
                followed = None
                trial, step = (trial - step if fitting else trial + step), 2 * step
        return low


def _window_start(
    state: MemoryState, last_review: int, first: int, last: int, exam: int, model: MemoryModel, target: float
) -> int:
    """The earliest day in [first, last] on which a Good answer carries the card to the exam at the target.

    A later review both leaves fewer days to forget and (reviewing at lower recall) builds more stability, so
    the recall it leads to only grows with the day: a binary search finds the edge. If even ``last`` falls
    short, the window is ``last`` alone, the best there is. Most cards are ready from ``first``: tried first.
    """

    def enough(day: int) -> bool:
        return model.recall(exam - day, model.after_good(state, day - last_review)) >= target

    if not enough(last):
        return last
    if enough(first):
        return first
    low, high = first + 1, last
    while low < high:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _room_for_all(starts: Sequence[int], room: Sequence[int]) -> bool:
    """Whether each card can have a day in its window, ``starts[day]`` cards' windows running from ``day`` to
    the day before the exam. Every window ends on the same day, so it is so exactly when, from each day on,
    the cards whose windows start then or later are no more than the room of those days (Hall's condition)."""
    cards = capacity = 0
    for day in range(len(room) - 1, -1, -1):
        cards += starts[day]
        capacity += room[day]
        if cards > capacity:
            return False
    return True


def _place(
    windows: Sequence[tuple[int, ExamCard]],
    room: Sequence[int],
    weakness: dict[str, int],
    by_weakness: bool,
) -> tuple[dict[str, int], int]:
    """Each card to the day of its window with the most room left (the later on a tie).

    Narrowest windows first; with ``by_weakness`` the weakest sections first (each section's narrowest windows
    first). Windows all end the day before the exam, so, taken narrowest first, each one's days are the last
    one's and a few more: a heap of (room, day) grows as the windows widen, and gives the day in O(log days).
    Returns each placed card's day and how many cards found no room.
    """
    left = list(room)
    assignment: dict[str, int] = {}
    unplaced = 0

    def priority(item: tuple[int, ExamCard]) -> tuple[int, int, int, str]:
        start, card = item
        section = weakness[card.section] if by_weakness else 0
        return (section, -start, card.order, card.id)

    group: int | None = None
    candidates: list[tuple[int, int]] = []  # (-room left, -day): the most room, then the later day, on top
    next_day = len(left) - 1
    for start, card in sorted(windows, key=priority):
        section = weakness[card.section] if by_weakness else 0
        if section != group:
            group, candidates, next_day = section, [], len(left) - 1
        while next_day >= start:
            if left[next_day] > 0:
                heapq.heappush(candidates, (-left[next_day], -next_day))
            next_day -= 1
        if not candidates:
            unplaced += 1
            continue
        _room, negative_day = candidates[0]
        day = -negative_day
        left[day] -= 1
        if left[day] > 0:
            heapq.heapreplace(candidates, (-left[day], negative_day))
        else:
            heapq.heappop(candidates)
        assignment[card.id] = day
    return assignment, unplaced


# --- rules used above ---------------------------------------------------------------------------------------


def _exam_recalls(deck: Sequence[ExamCard], exam: date, model: MemoryModel) -> list[float]:
    """Each card's recall on the exam day if the learner stopped today (0 for a card never seen)."""
    recall = model.recall
    elapsed: dict[date, int] = {}  # days from a last review to the exam: a few hundred distinct dates
    out: list[float] = []
    for card in deck:
        memory = card.memory
        if memory is None:
            out.append(0.0)
            continue
        days = elapsed.get(memory.last_review)
        if days is None:
            days = elapsed[memory.last_review] = max(0, (exam - memory.last_review).days)
        out.append(recall(days, memory.state))
    return out


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


def _section_groups(deck: Sequence[ExamCard]) -> dict[str, list[int]]:
    """Each top-level section's cards (their positions in ``deck``), sections in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for position, card in enumerate(deck):
        groups.setdefault(card.section, []).append(position)
    return groups


def _section_rank(groups: dict[str, list[int]], recall: Sequence[float]) -> dict[str, int]:
    """Sections ranked weakest first (0) by mean exam-day recall if the learner stopped today."""
    means = _section_means(groups, recall)
    ranked = sorted(means, key=lambda section: (means[section], section))
    return {section: rank for rank, section in enumerate(ranked)}


def _section_means(groups: dict[str, list[int]], recall: Sequence[float]) -> dict[str, float]:
    return {
        section: math.fsum(_pick(recall, positions)) / len(positions) for section, positions in groups.items()
    }


def _pick(values: Sequence[Any], positions: list[int]) -> Sequence[Any]:
    """``values`` at ``positions``, picked in C (itemgetter) rather than one Python step at a time."""
    if len(positions) == 1:
        return (values[positions[0]],)
    picked: Sequence[Any] = itemgetter(*positions)(values)
    return picked


def _new_needed(deck: Sequence[ExamCard], today: date, cutoff: date | None, new_seen_today: int) -> int:
    """New cards a day from today to the cut-off that would introduce every unseen card."""
    unseen = sum(1 for card in deck if card.memory is None)
    if unseen == 0:
        return 0
    if cutoff is None:
        return unseen  # no day left: every one of them would have had to be introduced already
    days = (cutoff - today).days + 1
    return math.ceil((unseen + new_seen_today) / days)


def _readiness(
    deck: Sequence[ExamCard],
    groups: dict[str, list[int]],
    today: date,
    exam: date,
    target: float,
    cutoff: date | None,
    stopped: list[float],
    outcome: _Outcome,
    workload: Workload,
) -> Readiness:
    followed = outcome.recall
    seen_by_exam = {card.id for card in deck if card.memory is not None}
    seen_by_exam.update(card_id for plan in outcome.days for card_id in plan.new)
    followed_means = _section_means(groups, followed)
    stopped_means = _section_means(groups, stopped)
    never_seen = [card.memory is None for card in deck]
    below = [value < target for value in followed]
    sections = [
        SectionReadiness(
            section=section,
            cards=len(positions),
            unseen=sum(_pick(never_seen, positions)),
            recall_if_followed=followed_means[section],
            recall_if_stopped=stopped_means[section],
            below_target=sum(_pick(below, positions)),
        )
        for section, positions in groups.items()
    ]
    sections.sort(key=lambda entry: (entry.recall_if_followed, entry.section))
    readiness = Readiness(
        today=today,
        exam=exam,
        target=target,
        days_left=(exam - today).days,
        cutoff=cutoff,
        cards=len(deck),
        unseen=sum(never_seen),
        unseen_at_exam=len(deck) - len(seen_by_exam),
        late=outcome.late,
        recall_if_followed=_mean(followed),
        recall_if_stopped=_mean(stopped),
        below_target_if_followed=sum(below),
        below_target_if_stopped=sum(1 for value in stopped if value < target),
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
