"""How well a memory model predicts recall: log loss, RMSE(bins) and AUC over scored reviews. Pure.

A review is *scored* when it falls on a later learner day than the card's previous review: same-day answers
(drills) say little about memory and every model predicts them at R = 1. RMSE(bins) is the srs-benchmark
metric: reviews are grouped by elapsed days, by how many scored reviews the card had and by its lapses
(the bins of fsrs-rs's ``r_matrix_index``), and the gap between mean prediction and mean recall of each bin
is averaged, weighted by the bin's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import fsrs
from .fsrs import CardMemory, Parameters, Review

PROBABILITY_FLOOR = 1e-15  # a prediction of exactly 0 or 1 that turns out wrong costs 34.5 nats, not infinity

Bin = tuple[int, int, int]


@dataclass(frozen=True)
class ScoredReview:
    predicted: float  # probability of recall given before the answer
    recalled: bool
    bin: Bin


@dataclass(frozen=True)
class Evaluation:
    scored: int  # reviews scored
    log_loss: float
    rmse_bins: float
    auc: float | None  # None when every scored review was recalled, or none was
    true_retention: float


def evaluate(reviews: Sequence[ScoredReview]) -> Evaluation:
    """All the figures at once, for a report or for choosing between two parameter sets."""
    recalled = sum(review.recalled for review in reviews)
    return Evaluation(
        scored=len(reviews),
        log_loss=log_loss(reviews),
        rmse_bins=rmse_bins(reviews),
        auc=auc(reviews) if 0 < recalled < len(reviews) else None,
        true_retention=true_retention(reviews),
    )


def evaluate_fsrs(
    histories: Iterable[Sequence[Review]], parameters: Parameters = fsrs.DEFAULT_PARAMETERS
) -> Evaluation:
    """How well FSRS with ``parameters`` predicts every scored review of these cards' non-cram histories."""
    return evaluate([scored for history in histories for scored in fsrs_scored_reviews(history, parameters)])


def bin_for(elapsed_days: int, scored_before: int, lapses_before: int) -> Bin:
    """srs-benchmark's bin of a review: elapsed days, the card's scored reviews so far, its scored lapses.

    The bins grow geometrically (x3.62 for days, x1.89 for review count, x1.73 for lapses), so long
    intervals and long histories still fill their bins.
    """
    days_bin = round(2.48 * 3.62 ** math.floor(math.log(elapsed_days, 3.62)) * 100)
    length = scored_before + 2  # fsrs-rs counts the current review and one more for the first answer
    length_bin = round(1.99 * 1.89 ** math.floor(math.log(length, 1.89)))
    if lapses_before == 0:
        return days_bin, length_bin, 0
    return days_bin, length_bin, round(1.65 * 1.73 ** math.floor(math.log(lapses_before, 1.73)))


def log_loss(reviews: Sequence[ScoredReview]) -> float:
    """Mean negative log-likelihood of the outcomes (nats); the lower, the better."""
    _check_not_empty(reviews)
    total = 0.0
    for review in reviews:
        p = min(max(review.predicted, PROBABILITY_FLOOR), 1.0 - PROBABILITY_FLOOR)
        total -= math.log(p) if review.recalled else math.log(1.0 - p)
    return total / len(reviews)


def rmse_bins(reviews: Sequence[ScoredReview]) -> float:
    """Root of the size-weighted mean squared gap between mean prediction and mean recall per bin."""
    _check_not_empty(reviews)
    sums: dict[Bin, list[float]] = {}
    for review in reviews:
        totals = sums.setdefault(review.bin, [0.0, 0.0, 0.0])
        totals[0] += review.predicted
        totals[1] += review.recalled
        totals[2] += 1
    squared = sum(
        count * (predicted / count - recalled / count) ** 2 for predicted, recalled, count in sums.values()
    )
    return math.sqrt(squared / len(reviews))


def auc(reviews: Sequence[ScoredReview]) -> float:
    """The probability that a recalled review was predicted higher than a forgotten one (ties count half)."""
    _check_not_empty(reviews)
    ordered = sorted(reviews, key=lambda review: review.predicted)
    recalled_count = sum(review.recalled for review in reviews)
    forgotten_count = len(reviews) - recalled_count
    if recalled_count == 0 or forgotten_count == 0:
        raise ValueError("AUC needs both recalled and forgotten reviews")
    # Mann-Whitney U: the rank sum of recalled reviews, tied predictions sharing their mean rank.
    rank_sum = 0.0
    start = 0
    while start < len(ordered):
        end = start
        while end < len(ordered) and ordered[end].predicted == ordered[start].predicted:
            end += 1
        mean_rank = (start + 1 + end) / 2
        rank_sum += mean_rank * sum(review.recalled for review in ordered[start:end])
        start = end
    return (rank_sum - recalled_count * (recalled_count + 1) / 2) / (recalled_count * forgotten_count)


def true_retention(reviews: Iterable[ScoredReview]) -> float:
    """The share of scored reviews recalled: what the learner actually retained when cards came due."""
    outcomes = [review.recalled for review in reviews]
    _check_not_empty(outcomes)
    return sum(outcomes) / len(outcomes)


def score_card(
    reviews: Sequence[Review], predict: Callable[[int, int], float]
) -> list[tuple[int, ScoredReview]]:
    """One card's scored reviews, with their index in ``reviews``.

    ``predict(index, elapsed_days)`` gives the probability of recall of ``reviews[index]`` and must use only
    the reviews before ``index``.
    """
    out: list[tuple[int, ScoredReview]] = []
    scored = lapses = 0
    for index in range(1, len(reviews)):
        elapsed = (reviews[index].day - reviews[index - 1].day).days
        if elapsed <= 0:
            continue
        recalled = is_recall(reviews[index].grade)
        out.append((index, ScoredReview(predict(index, elapsed), recalled, bin_for(elapsed, scored, lapses))))
        scored += 1
        lapses += not recalled
    return out


def fsrs_scored_reviews(
    reviews: Sequence[Review], parameters: Parameters = fsrs.DEFAULT_PARAMETERS, first: int = 0
) -> list[ScoredReview]:
    """One card's scored reviews from index ``first`` on, each predicted by FSRS from that card's earlier
    reviews only."""
    stabilities: list[float] = []
    memory: CardMemory | None = None
    for review in reviews:
        memory = fsrs.replay([review], parameters, start=memory)
        assert memory is not None
        stabilities.append(memory.state.stability)

    def predict(index: int, elapsed: int) -> float:
        return fsrs.retrievability(elapsed, stabilities[index - 1], parameters)

    return [scored for index, scored in score_card(reviews, predict) if index >= first]


def is_recall(grade: int) -> bool:
    """A grade of 3 or more is a recall, as everywhere in dva-cards (an FSRS Hard, Good or Easy)."""
    return fsrs.rating_for_grade(grade) != fsrs.Rating.AGAIN


def _check_not_empty(items: Sequence[object]) -> None:
    if not items:
        raise ValueError("no scored reviews to evaluate")
