"""The recall metrics on small examples worked out by hand, and the FSRS predictions they are fed."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dva_cards import fsrs
from dva_cards.fsrs import Review
from dva_cards.recall_metrics import (
    ScoredReview,
    auc,
    bin_for,
    evaluate,
    evaluate_fsrs,
    fsrs_scored_reviews,
    log_loss,
    rmse_bins,
    true_retention,
)

A, B = (248, 4, 0), (898, 7, 3)


def test_log_loss_is_the_mean_negative_log_likelihood() -> None:
    reviews = [ScoredReview(0.8, True, A), ScoredReview(0.4, False, A)]
    assert log_loss(reviews) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_log_loss_of_a_certain_miss_is_large_but_finite() -> None:
    assert 30 < log_loss([ScoredReview(1.0, False, A)]) < 40


def test_rmse_bins_weights_each_bins_gap_by_its_size() -> None:
    reviews = [ScoredReview(0.9, True, A), ScoredReview(0.7, False, A), ScoredReview(0.6, True, B)]
    # Bin A: mean prediction 0.8 against 0.5 recalled; bin B: 0.6 against 1.
    assert rmse_bins(reviews) == pytest.approx(math.sqrt((2 * 0.3**2 + 1 * 0.4**2) / 3))


def test_rmse_bins_is_zero_when_every_bin_is_calibrated_even_if_single_reviews_are_not() -> None:
    reviews = [ScoredReview(0.5, True, A), ScoredReview(0.5, False, A)]
    assert rmse_bins(reviews) == 0.0


def test_auc_counts_correctly_ordered_pairs_and_ties_as_half() -> None:
    perfect = [ScoredReview(0.1, False, A), ScoredReview(0.4, True, A), ScoredReview(0.35, False, A)]
    assert auc([*perfect, ScoredReview(0.8, True, A)]) == 1.0
    tied = [ScoredReview(0.5, True, A), ScoredReview(0.5, False, A), ScoredReview(0.2, False, A)]
    assert auc([*tied, ScoredReview(0.9, True, A)]) == pytest.approx(3.5 / 4)
    assert auc([ScoredReview(0.9, False, A), ScoredReview(0.1, True, A)]) == 0.0


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2))
def test_auc_equals_the_share_of_ordered_pairs(pairs: list[tuple[float, bool]]) -> None:
    recalled = [p for p, ok in pairs if ok]
    forgotten = [p for p, ok in pairs if not ok]
    reviews = [ScoredReview(p, ok, A) for p, ok in pairs]
    if not recalled or not forgotten:
        with pytest.raises(ValueError):
            auc(reviews)
        return
    wins = sum(1.0 if r > f else 0.5 if r == f else 0.0 for r in recalled for f in forgotten)
    assert auc(reviews) == pytest.approx(wins / (len(recalled) * len(forgotten)))


def test_bins_follow_fsrs_rs() -> None:
    assert bin_for(1, 0, 0) == (248, 4, 0)
    # 10 days: 2.48 * 3.62 -> 898; 3 scored before -> length 5 -> 1.99 * 1.89^2 -> 7; 2 lapses -> 1.65 * 1.73 -> 3
    assert bin_for(10, 3, 2) == (898, 7, 3)


def test_true_retention_is_the_share_recalled() -> None:
    assert true_retention(
        [ScoredReview(0.9, True, A), ScoredReview(0.9, False, A), ScoredReview(0.2, True, A)]
    ) == (pytest.approx(2 / 3))
    with pytest.raises(ValueError):
        true_retention([])


def test_only_reviews_on_a_later_day_are_scored_each_from_earlier_reviews() -> None:
    day = date(2024, 1, 1)
    history = [
        Review(day, 4),
        Review(day, 3),  # same day: not scored
        Review(day + timedelta(days=3), 1),  # scored: a lapse
        Review(day + timedelta(days=5), 5),  # scored, after one scored review and one lapse
    ]
    scored = fsrs_scored_reviews(history)
    assert [review.recalled for review in scored] == [False, True]
    after_two = fsrs.replay(history[:2])
    after_three = fsrs.replay(history[:3])
    assert after_two is not None and after_three is not None
    assert scored[0].predicted == fsrs.predicted_recall(after_two, history[2].day)
    assert scored[1].predicted == fsrs.predicted_recall(after_three, history[3].day)
    assert scored[0].bin == bin_for(3, 0, 0)
    assert scored[1].bin == bin_for(2, 1, 1)


def test_evaluate_gathers_every_figure_and_has_no_auc_without_both_outcomes() -> None:
    reviews = [ScoredReview(0.9, True, A), ScoredReview(0.7, False, A), ScoredReview(0.6, True, B)]
    figures = evaluate(reviews)
    assert (figures.scored, figures.log_loss, figures.rmse_bins, figures.auc, figures.true_retention) == (
        3,
        log_loss(reviews),
        rmse_bins(reviews),
        auc(reviews),
        true_retention(reviews),
    )
    assert evaluate([ScoredReview(0.9, True, A)]).auc is None


def test_evaluate_fsrs_scores_every_card() -> None:
    day = date(2024, 1, 1)
    cards = [
        [Review(day, 4), Review(day + timedelta(days=2), 4), Review(day + timedelta(days=9), 1)],
        [Review(day, 2), Review(day, 4), Review(day + timedelta(days=1), 5)],
    ]
    figures = evaluate_fsrs(cards)
    assert figures == evaluate([*fsrs_scored_reviews(cards[0]), *fsrs_scored_reviews(cards[1])])
    assert figures.scored == 3
    assert figures.true_retention == pytest.approx(2 / 3)
