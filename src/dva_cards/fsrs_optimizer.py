"""Fit FSRS-6's 21 parameters to a learner's reviews: minimise the log loss of predicted recall. Needs numpy.

Kept apart from ``fsrs`` so that reviewing never imports numpy: only ``dva-cards optimize`` does, and numpy is
the optional extra ``dva-cards[optimize]``.

The model is run on all cards at once, one review position at a time (cards sorted longest first, so the
cards still going at position k are a prefix of the arrays), and its gradient comes from a hand-written
backward pass through the same formulas as ``fsrs`` (checked against finite differences in the tests).
Adam then follows the gradient, each step clipped into FSRS-6's parameter bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import fsrs
from .fsrs import Parameters, Review

Array = npt.NDArray[np.float64]

MIN_SCORED_REVIEWS = 64  # fewer scored reviews than this fit noise, not memory
ITERATIONS = 120
LEARNING_RATE = 0.04
LOWER = np.array(fsrs.LOWER_BOUNDS)
UPPER = np.array(fsrs.UPPER_BOUNDS)


class NotEnoughReviews(ValueError):
    """Too few scored reviews to fit parameters; ``needed`` more would do."""

    def __init__(self, have: int, needed: int) -> None:
        super().__init__(f"{have} scored reviews; fitting needs {MIN_SCORED_REVIEWS} ({needed} more)")
        self.have = have
        self.needed = needed


@dataclass(frozen=True)
class Sequences:
    """Cards' reviews as position-major arrays: row k holds the k-th review of the cards that have one."""

    elapsed: list[Array]  # learner days since the card's previous review (0 for a first review)
    rating: list[Array]  # 1-4
    recalled: list[Array]  # 1.0 for Hard/Good/Easy
    scored: list[Array]  # 1.0 where elapsed > 0: the reviews the loss counts
    scored_count: int


def to_sequences(histories: Sequence[Sequence[Review]]) -> Sequences:
    """Each card's non-cram reviews in time order, as arrays the model can run on."""
    rows = sorted((history for history in histories if history), key=len, reverse=True)
    longest = len(rows[0]) if rows else 0
    elapsed: list[list[float]] = [[] for _ in range(longest)]
    rating: list[list[float]] = [[] for _ in range(longest)]
    for history in rows:
        previous = None
        for position, review in enumerate(history):
            elapsed[position].append(0.0 if previous is None else float((review.day - previous).days))
            rating[position].append(float(fsrs.rating_for_grade(review.grade)))
            previous = review.day
    elapsed_arrays = [np.array(values) for values in elapsed]
    rating_arrays = [np.array(values) for values in rating]
    scored = [(values > 0).astype(np.float64) for values in elapsed_arrays]
    return Sequences(
        elapsed=elapsed_arrays,
        rating=rating_arrays,
        recalled=[(values > 1).astype(np.float64) for values in rating_arrays],
        scored=scored,
        scored_count=int(sum(values.sum() for values in scored)),
    )


def optimize(
    histories: Sequence[Sequence[Review]],
    start: Parameters = fsrs.DEFAULT_PARAMETERS,
    iterations: int = ITERATIONS,
) -> Parameters:
    """Parameters fitted to these cards' histories, starting from ``start``.

    Raises NotEnoughReviews when there are fewer than MIN_SCORED_REVIEWS scored reviews.
    """
    data = to_sequences(histories)
    if data.scored_count < MIN_SCORED_REVIEWS:
        raise NotEnoughReviews(data.scored_count, MIN_SCORED_REVIEWS - data.scored_count)
    w = np.array(start, dtype=np.float64)
    first_moment = np.zeros_like(w)
    second_moment = np.zeros_like(w)
    beta1, beta2 = 0.9, 0.999
    best_loss, best = math.inf, w.copy()
    for step in range(1, iterations + 1):
        loss, gradient = loss_and_gradient(data, w)
        if loss < best_loss:
            best_loss, best = loss, w.copy()
        first_moment = beta1 * first_moment + (1 - beta1) * gradient
        second_moment = beta2 * second_moment + (1 - beta2) * gradient**2
        corrected = first_moment / (1 - beta1**step)
        scale = np.sqrt(second_moment / (1 - beta2**step)) + 1e-8
        # Cosine decay: big steps to find the basin, small ones to settle in it.
        rate = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * (step - 1) / iterations))
        w = np.clip(w - rate * corrected / scale, LOWER, UPPER)
    loss, _ = loss_and_gradient(data, w)
    if loss < best_loss:
        best = w
    return fsrs.check_parameters([float(value) for value in best])


def loss_and_gradient(data: Sequences, w: Array) -> tuple[float, Array]:
    """Mean log loss over the scored reviews and its gradient with respect to the 21 parameters."""
    n_scored = max(data.scored_count, 1)
    steps = len(data.rating)
    if steps == 0:
        return 0.0, np.zeros_like(w)
    decay = w[20]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    d_factor = (factor + 1.0) * math.log(0.9) / decay**2  # d factor / d w20
    easy_start = w[4] - math.exp(3.0 * w[5]) + 1.0

    # Forward: the states before each position, kept for the backward pass.
    rating0 = data.rating[0]
    stability = w[rating0.astype(np.intp) - 1].copy()
    raw_difficulty = w[4] - np.exp(w[5] * (rating0 - 1.0)) + 1.0
    difficulty = np.clip(raw_difficulty, 1.0, 10.0)
    states: list[tuple[Array, Array]] = []
    loss = 0.0
    for k in range(1, steps):
        n = len(data.rating[k])
        s, d = stability[:n], difficulty[:n]
        states.append((s, d))
        t, r = data.elapsed[k], data.rating[k]
        recall = (1.0 + factor * t / s) ** -decay
        p = np.clip(recall, 1e-12, 1.0 - 1e-12)
        y, scored = data.recalled[k], data.scored[k]
        loss -= float(np.sum(scored * (y * np.log(p) + (1.0 - y) * np.log(1.0 - p))))
        stability = _next_stability(w, s, d, t, r, recall)
        difficulty = np.clip(_next_raw_difficulty(w, d, r, easy_start), 1.0, 10.0)

    # Backward: adjoints of stability and difficulty, from the last position to the first.
    grad = np.zeros_like(w)
    g_s = np.zeros(0)
    g_d = np.zeros(0)
    for k in range(steps - 1, 0, -1):
        s, d = states[k - 1]
        n = len(s)
        g_s_after = np.zeros(n)
        g_d_after = np.zeros(n)
        g_s_after[: len(g_s)] = g_s
        g_d_after[: len(g_d)] = g_d
        t, r = data.elapsed[k], data.rating[k]
        y, scored = data.recalled[k], data.scored[k]
        base = 1.0 + factor * t / s
        recall = base**-decay
        p = np.clip(recall, 1e-12, 1.0 - 1e-12)
        g_recall = scored * (-(y / p) + (1.0 - y) / (1.0 - p)) / n_scored
        g_s, g_d, g_recall_more = _backward_step(w, s, d, t, r, recall, g_s_after, g_d_after, grad, easy_start)
        g_recall = g_recall + g_recall_more
        # R = base^-w20 with base = 1 + factor * t / S
        g_s = g_s + g_recall * recall * decay * factor * t / (s * s * base)
        d_log_recall = -np.log(base) - decay * (t / s) / base * d_factor
        grad[20] += float(np.sum(g_recall * recall * d_log_recall))

    # The first review: S = w[rating - 1], D = w4 - exp(w5 (rating - 1)) + 1 unless clamped.
    g_s0 = np.zeros(len(rating0))
    g_d0 = np.zeros(len(rating0))
    g_s0[: len(g_s)] = g_s
    g_d0[: len(g_d)] = g_d
    np.add.at(grad, rating0.astype(np.intp) - 1, g_s0)
    free = (raw_difficulty > 1.0) & (raw_difficulty < 10.0)
    grad[4] += float(np.sum(g_d0 * free))
    grad[5] += float(np.sum(g_d0 * free * -(rating0 - 1.0) * np.exp(w[5] * (rating0 - 1.0))))
    return loss / n_scored, grad


def _next_stability(w: Array, s: Array, d: Array, t: Array, r: Array, recall: Array) -> Array:
    same_day = _same_day(w, s, r)
    recalled = s * (1.0 + _recall_growth(w, s, d, r, recall))
    forgotten = np.minimum(_forget_long_term(w, s, d, recall), s * math.exp(-w[17] * w[18]))
    later = np.where(r > 1, recalled, forgotten)
    return np.maximum(np.where(t > 0, later, same_day), fsrs.MIN_STABILITY)


def _same_day(w: Array, s: Array, r: Array) -> Array:
    growth = np.exp(w[17] * (r - 3.0 + w[18])) * s ** -w[19]
    growth = np.where(r > 1, np.maximum(growth, 1.0), growth)
    return s * growth


def _bonus(w: Array, r: Array) -> Array:
    return np.where(r == 2, w[15], 1.0) * np.where(r == 4, w[16], 1.0)


def _recall_growth(w: Array, s: Array, d: Array, r: Array, recall: Array) -> Array:
    return math.exp(w[8]) * (11.0 - d) * s ** -w[9] * (np.exp((1.0 - recall) * w[10]) - 1.0) * _bonus(w, r)


def _forget_long_term(w: Array, s: Array, d: Array, recall: Array) -> Array:
    return w[11] * d ** -w[12] * ((s + 1.0) ** w[13] - 1.0) * np.exp((1.0 - recall) * w[14])


def _next_raw_difficulty(w: Array, d: Array, r: Array, easy_start: float) -> Array:
    damped = d - w[6] * (r - 3.0) * (10.0 - d) / 9.0
    return w[7] * easy_start + (1.0 - w[7]) * damped


def _backward_step(
    w: Array,
    s: Array,
    d: Array,
    t: Array,
    r: Array,
    recall: Array,
    g_s_after: Array,
    g_d_after: Array,
    grad: Array,
    easy_start: float,
) -> tuple[Array, Array, Array]:
    """Adjoints of S, D and R before one review, given those of S and D after it; adds into ``grad``."""
    later = t > 0
    # Which formula produced the new stability, and whether the floor cut its gradient.
    new_s = _next_stability(w, s, d, t, r, recall)
    g = np.where(new_s > fsrs.MIN_STABILITY, g_s_after, 0.0)

    # Same day: S' = S exp(w17 (r - 3 + w18)) S^-w19, unless a pass's growth was floored at 1.
    raw_growth = np.exp(w[17] * (r - 3.0 + w[18])) * s ** -w[19]
    floored = (r > 1) & (raw_growth < 1.0)
    g_same = np.where(~later & ~floored, g, 0.0)
    same_value = s * raw_growth
    g_s = np.where(~later & floored, g, 0.0) + g_same * raw_growth * (1.0 - w[19])
    grad[17] += float(np.sum(g_same * same_value * (r - 3.0 + w[18])))
    grad[18] += float(np.sum(g_same * same_value * w[17]))
    grad[19] += float(np.sum(g_same * same_value * -np.log(s)))

    # Recall: S' = S (1 + G), G = e^w8 (11 - D) S^-w9 (e^(w10 (1 - R)) - 1) bonus.
    g_rec = np.where(later & (r > 1), g, 0.0)
    exp_term = np.exp((1.0 - recall) * w[10])
    core = math.exp(w[8]) * (11.0 - d) * s ** -w[9]  # G without its last two factors
    bonus = _bonus(w, r)
    growth = core * (exp_term - 1.0) * bonus
    s_growth = s * growth
    g_s += g_rec * (1.0 + growth * (1.0 - w[9]))
    g_d = g_rec * -s_growth / (11.0 - d)
    g_recall = g_rec * -s * core * bonus * w[10] * exp_term
    grad[8] += float(np.sum(g_rec * s_growth))
    grad[9] += float(np.sum(g_rec * s_growth * -np.log(s)))
    grad[10] += float(np.sum(g_rec * s * core * bonus * exp_term * (1.0 - recall)))
    without_bonus = s * core * (exp_term - 1.0)
    grad[15] += float(np.sum(np.where(r == 2, g_rec * without_bonus, 0.0)))
    grad[16] += float(np.sum(np.where(r == 4, g_rec * without_bonus, 0.0)))

    # Forget: S' = min(w11 D^-w12 ((S+1)^w13 - 1) e^(w14 (1 - R)), S e^(-w17 w18)).
    g_forget = np.where(later & (r == 1), g, 0.0)
    long_term = _forget_long_term(w, s, d, recall)
    cap = s * math.exp(-w[17] * w[18])
    g_long = np.where(long_term <= cap, g_forget, 0.0)
    g_cap = g_forget - g_long
    power = (s + 1.0) ** w[13]
    outer = w[11] * d ** -w[12] * np.exp((1.0 - recall) * w[14])
    g_s += g_long * outer * w[13] * power / (s + 1.0) + g_cap * math.exp(-w[17] * w[18])
    g_d += g_long * long_term * -w[12] / d
    g_recall += g_long * long_term * -w[14]
    grad[11] += float(np.sum(g_long * d ** -w[12] * (power - 1.0) * np.exp((1.0 - recall) * w[14])))
    grad[12] += float(np.sum(g_long * long_term * -np.log(d)))
    grad[13] += float(np.sum(g_long * outer * power * np.log(s + 1.0)))
    grad[14] += float(np.sum(g_long * long_term * (1.0 - recall)))
    grad[17] += float(np.sum(g_cap * cap * -w[18]))
    grad[18] += float(np.sum(g_cap * cap * -w[17]))

    # Difficulty: D' = clip(w7 D0(Easy) + (1 - w7)(D - w6 (r - 3)(10 - D) / 9), 1, 10).
    raw = _next_raw_difficulty(w, d, r, easy_start)
    g_dd = np.where((raw > 1.0) & (raw < 10.0), g_d_after, 0.0)
    damped = d - w[6] * (r - 3.0) * (10.0 - d) / 9.0
    g_d += g_dd * (1.0 - w[7]) * (1.0 + w[6] * (r - 3.0) / 9.0)
    grad[6] += float(np.sum(g_dd * (1.0 - w[7]) * -(r - 3.0) * (10.0 - d) / 9.0))
    grad[7] += float(np.sum(g_dd * (easy_start - damped)))
    total_dd = float(np.sum(g_dd))
    grad[4] += total_dd * w[7]
    grad[5] += total_dd * w[7] * -3.0 * math.exp(3.0 * w[5])
    return g_s, g_d, g_recall
