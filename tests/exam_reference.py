"""The exam planner as first written, kept as the reference the fast planner in `dva_cards.exam` must match.

Straightforward where the product's planner is quick: step 1 is a heap of every card due before the exam, run
afresh under each reviews-per-day limit the workload search tries; each run's windows are found by scanning
every card it answered. Same rules, same plan: tests compare the two plan for plan on random collections.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from dva_cards.exam import (
    DEFAULT_LIMITS,
    DEFAULT_TARGET,
    GUIDED_TRIALS,
    ON_TRACK,
    DayPlan,
    ExamCard,
    ExamPlan,
    MemoryModel,
    Readiness,
    SectionReadiness,
    Workload,
)
from dva_cards.fsrs import CardMemory, MemoryState
from dva_cards.session import DailyLimits


def reference_plan(
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
    outcome = planner.plan(limits.reviews_per_day)
    workload = Workload(
        new_per_day=_new_needed(deck, today, cutoff, new_seen_today),
        reviews_per_day=planner.reviews_needed(outcome),
        new_limit=limits.new_per_day,
        reviews_limit=limits.reviews_per_day,
    )
    readiness = _readiness(deck, today, exam, target, cutoff, stopped, outcome, workload)
    return ExamPlan(active=True, days=outcome.days, readiness=readiness)


# --- the simulation -----------------------------------------------------------------------------------------
#
# Days are counted as integers from today (0) to the exam (``days``): cheaper than dates in the loops below.
# A collection of 50,000 cards is planned several times over when the workload's reviews-per-day figure is
# searched for, so what does not depend on the reviews-per-day limit is worked out once (`_Planner`): the
# order new cards come in, the queue of due cards, and the windows of the cards the simulation never reviews
# (those due on or after the exam day); the model's answers are remembered, since the same card reaches the
# same memory on the same day under most limits.


@dataclass
class _Outcome:
    days: tuple[DayPlan, ...]
    recall: dict[str, float]  # predicted exam-day recall if the plan is followed (0 for unseen)
    late: int  # new cards introduced after the cut-off
    unplaced: int  # cards needing a review before the exam that found no room under the limits
    backlog: int  # due reviews still not done on the exam day for lack of room
    peak_reviews: int
    guess: int  # the least reviews-per-day limit this plan's reviews would fit under, were they the same


@dataclass
class _Run:
    """Step 1 under one reviews-per-day limit: what normal scheduling (every answer Good) does by the exam."""

    memory: dict[
        str, tuple[MemoryState, int, int]
    ]  # cards seen: memory, day of the last answer, next due day
    queue: list[
        tuple[int, int, str]
    ]  # (due day, order, card) of the cards due before the exam or answered: a heap
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
        stopped: dict[str, float],
        new_seen_today: int,
        reviews_done_today: int,
    ) -> None:
        self.deck = deck
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
        self.by_id = {card.id: card for card in deck}
        self._answers: dict[tuple[float, float, int], tuple[MemoryState, int]] = {}
        self._starts: dict[tuple[float, float, int], int | None] = {}
        self.first_state = model.after_good(None, 0)
        self.first_interval = max(1, model.interval(self.first_state))

        unseen = [card for card in deck if card.memory is None]
        study_days = [today + timedelta(days=offset) for offset in range(self.days)]
        new_room = _room_until(study_days, cutoff, limits.new_per_day, new_seen_today)
        if len(unseen) > new_room:  # the limits bind: the weakest sections' cards come first
            unseen.sort(key=lambda card: (weakness[card.section], card.order, card.id))
        self.new_order = [card.id for card in unseen]

        origin = today.toordinal()
        self.queue: list[tuple[int, int, str]] = []
        self.initial: dict[str, tuple[MemoryState, int, int]] = {}  # memory, last review, due: cards in queue
        self.order_of = {card.id: card.order for card in deck}
        self.static_windows: list[tuple[int, ExamCard]] = []
        for card in deck:
            memory = card.memory
            if memory is None:
                continue
            due = (card.due if card.due is not None else memory.last_review).toordinal() - origin
            if due < self.days:
                self.queue.append((due, card.order, card.id))
                self.initial[card.id] = (memory.state, memory.last_review.toordinal() - origin, due)
            else:  # never reviewed by step 1: its window is the same under every limit
                start = self._window(memory.state, memory.last_review.toordinal() - origin)
                if start is not None:
                    self.static_windows.append((start, card))
        heapq.heapify(self.queue)
        self.static_starts = [0] * self.days
        for start, _card in self.static_windows:
            self.static_starts[start] += 1

    # -- the model, remembered ----------------------------------------------------------------------------

    def _window(self, state: MemoryState, last_review: int) -> int | None:
        """The first day of the card's window if it needs a review brought forward (it reaches the exam below
        the target), else None; the card's next normal review falls on or after the exam day."""
        key = (state.stability, state.difficulty, last_review)
        if key in self._starts:
            return self._starts[key]
        start: int | None = None
        first, last = max(0, last_review + 1), self.days - 1
        if first <= last and self.model.recall(self.days - last_review, state) < self.target:
            start = _window_start(state, last_review, first, last, self.days, self.model, self.target)
        self._starts[key] = start
        return start

    # -- step 1 -------------------------------------------------------------------------------------------

    def _run(self, per_day: int) -> _Run:
        # The hot loop of the planner (tens of thousands of reviews, several runs): locals, no method calls.
        queue = list(self.queue)  # already a heap
        memory = dict(self.initial)
        room: list[int] = []
        reviewed: list[int] = []
        introduced: list[tuple[str, ...]] = []
        new_order, next_new, order_of = self.new_order, 0, self.order_of
        answers, after_good, interval_of = self._answers, self.model.after_good, self.model.interval
        first_state, first_interval = self.first_state, self.first_interval
        heapreplace, heappush = heapq.heapreplace, heapq.heappush
        for day in range(self.days):
            review_room = max(0, per_day - (self.reviews_done_today if day == 0 else 0))
            done = 0
            while queue and done < review_room:
                due, order, card_id = queue[0]
                if due > day:
                    break
                state, last, _due = memory[card_id]
                key = (state.stability, state.difficulty, day - last)
                answer = answers.get(key)
                if answer is None:
                    after = after_good(state, day - last)
                    answer = answers[key] = (after, max(1, interval_of(after)))
                due = day + answer[1]
                memory[card_id] = (answer[0], day, due)
                heapreplace(queue, (due, order, card_id))
                done += 1
            reviewed.append(done)
            room.append(review_room - done)
            # Past the cut-off new cards still come: seen late is better than never seen on the exam day.
            quota = max(0, self.limits.new_per_day - (self.new_seen_today if day == 0 else 0))
            today_new = tuple(new_order[next_new : next_new + quota])
            next_new += len(today_new)
            for card_id in today_new:
                memory[card_id] = (first_state, day, day + first_interval)
                heappush(queue, (day + first_interval, order_of[card_id], card_id))
            introduced.append(today_new)
        return _Run(memory, queue, room, reviewed, introduced)

    def _windows(self, run: _Run) -> list[tuple[int, ExamCard]]:
        """Step 2's cards reviewed by step 1: those whose next review falls on or after the exam day."""
        windows: list[tuple[int, ExamCard]] = []
        for card_id, (state, last, due) in run.memory.items():
            if due < self.days:
                continue
            start = self._window(state, last)
            if start is not None:
                windows.append((start, self.by_id[card_id]))
        return windows

    def fits(self, per_day: int) -> tuple[bool, int]:
        """Whether every due review and every review brought forward finds room under ``per_day``, and the
        least limit the reviews of that run would fit under (`_guess`)."""
        run = self._run(per_day)
        starts = list(self.static_starts)
        for start, _card in self._windows(run):
            starts[start] += 1
        backlog = bool(run.queue) and run.queue[0][0] < self.days  # a due review never done
        return not backlog and _room_for_all(starts, run.room), self._guess(run, starts)

    def plan(self, per_day: int) -> _Outcome:
        run = self._run(per_day)
        backlog = sum(1 for due, _order, _id in run.queue if due < self.days)
        windows = [*self.static_windows, *self._windows(run)]
        starts = [0] * self.days
        for start, _card in windows:
            starts[start] += 1
        # Narrowest windows first; when that leaves a card without room, the weakest sections first.
        assignment, unplaced = _place(
            windows, run.room, self.weakness, by_weakness=not _room_for_all(starts, run.room)
        )

        model = self.model
        forward: list[list[str]] = [[] for _ in range(self.days)]
        recall: dict[str, float] = {}
        for card in self.deck:
            known = run.memory.get(card.id)
            day = assignment.get(card.id)
            if day is not None:
                forward[day].append(card.id)
                state, last = known[:2] if known is not None else _as_days(card.memory, self.today)
                recall[card.id] = model.recall(self.days - day, model.after_good(state, day - last))
            elif known is not None and known is not self.initial.get(card.id):  # answered in the run
                recall[card.id] = model.recall(self.days - known[1], known[0])
            else:
                recall[card.id] = self.stopped[card.id]
        late = 0
        for day, new in enumerate(run.introduced):
            if self.cutoff is None or day > self.cutoff:
                late += len(new)
        days = tuple(
            DayPlan(
                day=self.today + timedelta(days=day),
                new=run.introduced[day],
                reviews=run.reviewed[day],
                brought_forward=tuple(
                    sorted(forward[day], key=lambda card_id: (self.by_id[card_id].order, card_id))
                ),
            )
            for day in range(self.days)
        )
        peak = max((plan.review_load for plan in days), default=0)
        return _Outcome(
            days=days,
            recall=recall,
            late=late,
            unplaced=unplaced,
            backlog=backlog,
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
        for due, _order, _card_id in run.queue:
            if due < self.days:  # the backlog: due before the exam, never taken
                waiting[max(0, due)] += 1
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


def _as_days(memory: CardMemory | None, today: date) -> tuple[MemoryState, int]:
    assert memory is not None  # only a card seen has a review to bring forward
    return memory.state, (memory.last_review - today).days


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
    counts = {section: [0, 0, 0] for section in followed_means}  # cards, unseen, below target: one pass
    for card in deck:
        count = counts[card.section]
        count[0] += 1
        count[1] += card.memory is None
        count[2] += followed[card.id] < target
    sections = [
        SectionReadiness(
            section=section,
            cards=cards,
            unseen=unseen,
            recall_if_followed=followed_means[section],
            recall_if_stopped=stopped_means[section],
            below_target=below,
        )
        for section, (cards, unseen, below) in counts.items()
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
