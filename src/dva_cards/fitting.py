"""`optimize`'s decision, honestly made: fit on the earlier answers, compare on the later ones. Pure.

The log is split in time (the first 80 % of the collection's non-cram answers, in the order they were given):
new parameters are fitted on the earlier part only, then the current and the new parameters both predict every
scored review of the later part (each from that card's whole earlier history). The new ones are kept only
when they predict those later reviews better on both figures, log loss and RMSE(bins). What is printed is
what was compared, and the parameters kept are the ones compared.

The fitting itself is handed in (`fsrs_optimizer.optimize`, which needs numpy), so this module and its tests
run without numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .fsrs import Parameters, Review
from .recall_metrics import Evaluation, ScoredReview, evaluate, fsrs_scored_reviews, true_retention

TRAIN_SHARE = 0.8
FIT_MINIMUM = 64  # scored reviews the optimizer needs to fit on (fsrs_optimizer.MIN_SCORED_REVIEWS)
# Scored reviews a collection needs: enough in its earlier 80 % to fit on, and a fifth of that to compare on.
MIN_SCORED_REVIEWS = math.ceil(FIT_MINIMUM / TRAIN_SHARE)

Fit = Callable[[Sequence[Sequence[Review]], Parameters], Parameters]


class TooFewReviews(ValueError):
    def __init__(self, scored: int, needed: int) -> None:
        super().__init__(
            f"{scored} scored reviews (answers on a later day than the card's previous one); "
            f"optimize needs {scored + needed}: {needed} more"
        )
        self.scored = scored
        self.needed = needed


@dataclass(frozen=True)
class Split:
    """The log cut in time: each card's answers before the cut, its whole history, and where its later
    answers start."""

    earlier: dict[str, list[Review]]
    whole: dict[str, list[Review]]
    later_from: dict[str, int]  # card -> index in its history of its first answer after the cut
    answers: int


@dataclass(frozen=True)
class Outcome:
    current: Evaluation  # the parameters in use, on the later reviews
    fitted: Evaluation  # the parameters fitted on the earlier answers, on the same reviews
    parameters: Parameters  # fitted
    keep: bool  # better on both figures
    retention: float  # the learner's true retention over every scored review
    scored: int  # scored reviews in the whole log
    split: Split


def split_log(log: Sequence[tuple[str, Review]]) -> Split:
    """The log (card id, answer; in the order given) cut after its first TRAIN_SHARE."""
    cut = int(len(log) * TRAIN_SHARE)
    earlier: dict[str, list[Review]] = {}
    whole: dict[str, list[Review]] = {}
    later_from: dict[str, int] = {}
    for position, (card_id, review) in enumerate(log):
        history = whole.setdefault(card_id, [])
        if position < cut:
            earlier.setdefault(card_id, []).append(review)
        else:
            later_from.setdefault(card_id, len(history))
        history.append(review)
    return Split(earlier, whole, later_from, len(log))


@dataclass(frozen=True)
class Prepared:
    """A log long enough to fit on and compare on, with what the current parameters make of it."""

    split: Split
    current: Parameters
    scored: list[ScoredReview]  # every scored review of the log, predicted with the current parameters
    later: list[ScoredReview]  # the later part's scored reviews, predicted with the current parameters


def prepare(log: Sequence[tuple[str, Review]], current: Parameters) -> Prepared:
    """The log split in time and scored with the current parameters; TooFewReviews when it is too short."""
    split = split_log(log)
    everything = [
        scored for history in split.whole.values() for scored in fsrs_scored_reviews(history, current)
    ]
    if len(everything) < MIN_SCORED_REVIEWS:
        raise TooFewReviews(len(everything), MIN_SCORED_REVIEWS - len(everything))
    later = _later(split, current)
    earlier_scored = sum(len(fsrs_scored_reviews(history, current)) for history in split.earlier.values())
    if earlier_scored < FIT_MINIMUM or not later:
        # Enough in all, but not on both sides of the cut: more answers move the cut on.
        raise TooFewReviews(len(everything), max(1, math.ceil((FIT_MINIMUM - earlier_scored) / TRAIN_SHARE)))
    return Prepared(split, current, everything, later)


def decide(prepared: Prepared, fit: Fit) -> Outcome:
    """Fit on the earlier answers, compare current and fitted parameters on the later scored reviews."""
    split = prepared.split
    fitted = fit(list(split.earlier.values()), prepared.current)
    old, new = evaluate(prepared.later), evaluate(_later(split, fitted))
    keep = new.log_loss < old.log_loss and new.rmse_bins < old.rmse_bins
    return Outcome(old, new, fitted, keep, true_retention(prepared.scored), len(prepared.scored), split)


def _later(split: Split, parameters: Parameters) -> list[ScoredReview]:
    return [
        scored
        for card_id, first in split.later_from.items()
        for scored in fsrs_scored_reviews(split.whole[card_id], parameters, first)
    ]
