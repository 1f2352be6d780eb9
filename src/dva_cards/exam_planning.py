"""The collection's exam, planned for a learner day: reads the goal and the cards, runs the pure planner.

The imperative shell around `exam.plan_exam`: the store gives the cards and their answers, the settings give
the daily limits and the FSRS parameters (fitted by `optimize`, else FSRS-6's defaults), and each card's
stored FSRS memory says how well it is known.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .exam import ExamPlan, fsrs_model, plan_exam
from .exam_goal import ExamGoal, from_settings
from .exam_inputs import exam_cards
from .session import DailyLimits

if TYPE_CHECKING:
    from .settings import Settings
    from .store import Store


@dataclass(frozen=True)
class PlannedExam:
    goal: ExamGoal
    plan: ExamPlan


def stored_goal(store: Store) -> ExamGoal | None:
    return from_settings(store.settings())


def plan_for_day(
    store: Store, goal: ExamGoal, settings: Settings, today: date, *, report: bool = True
) -> PlannedExam:
    """The plan from ``today`` to the exam, counting what today's limits have already spent; without
    ``report``, only its days (what a session follows: see `exam.plan_exam`)."""
    deck_id = store.require_deck(goal.deck) if goal.deck is not None else None
    with _collector_paused():
        cards = store.exam_cards(deck_id)
        new_seen, reviews_done = store.answers_today(today)
        plan = plan_exam(
            exam_cards(cards, in_notes_order=True),
            today,
            goal.exam,
            fsrs_model(settings.fsrs_parameters, settings.desired_retention, settings.maximum_interval),
            DailyLimits(settings.new_per_day, settings.reviews_per_day),
            goal.target,
            new_seen_today=new_seen,
            reviews_done_today=reviews_done,
            report=report,
        )
    return PlannedExam(goal, plan)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading and planning allocate a few small objects per card and per simulated review, and make no
    reference cycles: with Python's cycle collector paused they are still freed as they go, but the tens of
    thousands of live ones are not traversed again and again (a third of the plan's time at 50,000 cards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
