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

from . import fsrs
from .errors import UserError
from .fsrs import Parameters, Review

try:
    import numpy as np
    import numpy.typing as npt
except ModuleNotFoundError as missing:  # numpy comes with the optional extra, not with dva-cards itself
    raise UserError("fitting FSRS parameters needs numpy: pip install 'dva-cards[optimize]'") from missing

Array = npt.NDArray[np.float64]

MIN_SCORED_REVIEWS = 64  # fewer scored reviews than this fit noise, not memory
ITERATIONS = 60  # Adam steps over the whole collection; more barely change the fit (see the benchmark)
LEARNING_RATE = 0.04
# How far each parameter typically sits from the defaults across learners (fsrs-rs's figures). Fitting is
# penalised by the squared distance from the starting parameters in these units, so a small collection
# moves the parameters only as far as its evidence carries them.
PARAMETER_SPREAD = np.array(
    [6.43, 9.66, 17.58, 27.85, 0.57, 0.28, 0.6, 0.12, 0.39, 0.18, 0.33, 0.3, 0.09, 0.16, 0.57, 0.25,
     1.03, 0.31, 0.32, 0.14, 0.27]
)  # fmt: skip
PRIOR_WEIGHT = 1.0
LOWER = np.array(fsrs.LOWER_BOUNDS)
UPPER = np.array(fsrs.UPPER_BOUNDS)


class NotEnoughReviews(ValueError):
    """Too few scored reviews to fit parameters; ``needed`` more would do."""

    def __init__(self, have: int, needed: int) -> None:
        super().__init__(f"{have} scored reviews; fitting needs {MIN_SCORED_REVIEWS} ({needed} more)")
        self.have = have
        self.needed = needed


@dataclass(frozen=True)
class Position:
    """The k-th review of every card that has one (cards sorted longest first, so they are a prefix)."""

    elapsed: Array  # learner days since the card's previous review (0 for a first review)
    rating: Array  # 1-4
    later: npt.NDArray[np.bool_]  # elapsed > 0: a scored review, and the long-term formulas apply
    passed: npt.NDArray[np.bool_]  # Hard, Good or Easy
    hard: Array  # 1.0 where Hard, for w15
    easy: Array  # 1.0 where Easy, for w16
    recalled: Array  # 1.0 where passed
    scored: Array  # 1.0 where later


@dataclass(frozen=True)
class Sequences:
    """Cards' reviews as position-major arrays, the shape the model runs on all cards at once."""

    positions: list[Position]
    scored_count: int


# dva-cards' grade 0-5 -> FSRS rating 1-4, as fsrs.rating_for_grade maps it, for whole arrays at once.
_RATING_OF_GRADE = np.array([float(fsrs.rating_for_grade(grade)) for grade in range(6)])


def to_sequences(histories: Sequence[Sequence[Review]]) -> Sequences:
    """Each card's non-cram reviews in time order, as arrays the model can run on."""
    rows = sorted((history for history in histories if history), key=len, reverse=True)
    if not rows:
        return Sequences([], 0)
    lengths = np.array([len(history) for history in rows], dtype=np.intp)
    days = np.array([review.day.toordinal() for history in rows for review in history], dtype=np.int64)
    grades = np.array([review.grade for history in rows for review in history], dtype=np.int64)
    if grades.min() < 0 or grades.max() > 5:
        raise ValueError("a grade is an integer from 0 to 5")
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    elapsed_all = np.diff(days, prepend=days[:1]).astype(np.float64)
    elapsed_all[starts] = 0.0  # a card's first review follows nothing
    if (elapsed_all < 0).any():
        raise ValueError("a card's reviews are out of time order")
    rating_all = _RATING_OF_GRADE[grades]
    positions = []
    for position in range(int(lengths[0])):
        # Cards are sorted longest first, so those with a review at this position are a prefix.
        index = starts[: int(np.count_nonzero(lengths > position))] + position
        t, r = elapsed_all[index], rating_all[index]
        positions.append(
            Position(
                elapsed=t,
                rating=r,
                later=t > 0,
                passed=r > 1,
                hard=(r == 2).astype(np.float64),
                easy=(r == 4).astype(np.float64),
                recalled=(r > 1).astype(np.float64),
                scored=(t > 0).astype(np.float64),
            )
        )
    return Sequences(positions, int(sum(position.scored.sum() for position in positions)))


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
    anchor = w.copy()
    prior_scale = PRIOR_WEIGHT / data.scored_count / PARAMETER_SPREAD**2

    def objective(w: Array) -> tuple[float, Array]:
        loss, gradient = loss_and_gradient(data, w)
        distance = w - anchor
        return loss + float((prior_scale * distance**2).sum()), gradient + 2.0 * prior_scale * distance

    for step in range(1, iterations + 1):
        loss, gradient = objective(w)
        if loss < best_loss:
            best_loss, best = loss, w.copy()
        first_moment = beta1 * first_moment + (1 - beta1) * gradient
        second_moment = beta2 * second_moment + (1 - beta2) * gradient**2
        corrected = first_moment / (1 - beta1**step)
        scale = np.sqrt(second_moment / (1 - beta2**step)) + 1e-8
        # Cosine decay: big steps to find the basin, small ones to settle in it.
        rate = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * (step - 1) / iterations))
        w = np.clip(w - rate * corrected / scale, LOWER, UPPER)
    loss, _ = objective(w)
    if loss < best_loss:
        best = w
    return fsrs.check_parameters([float(value) for value in best])


@dataclass(frozen=True)
class Step:
    """One review's forward values, kept for the backward pass."""

    s: Array  # stability before
    d: Array  # difficulty before
    base: Array  # 1 + factor * t / S
    log_base: Array
    log_s: Array
    log_d: Array
    log1p_s: Array  # log(S + 1)
    recall: Array  # R = base^-w20
    same_growth: Array  # exp(w17 (r - 3 + w18)) S^-w19
    same_floored: npt.NDArray[np.bool_]  # a same-day pass whose growth was raised to 1
    exp10: Array  # exp(w10 (1 - R))
    core: Array  # e^w8 (11 - D) S^-w9
    bonus: Array  # w15 for Hard, w16 for Easy, else 1
    long_term: Array  # the long-term forget stability
    use_long: npt.NDArray[np.bool_]  # the long-term forget stability is below its cap
    power: Array  # (S + 1)^w13
    stability_free: npt.NDArray[np.bool_]  # the new stability is above the floor
    damped: Array  # D - w6 (r - 3)(10 - D) / 9
    difficulty_free: npt.NDArray[np.bool_]  # the new difficulty is inside [1, 10]


def loss_and_gradient(data: Sequences, w: Array) -> tuple[float, Array]:
    """Mean log loss over the scored reviews and its gradient with respect to the 21 parameters."""
    grad = np.zeros_like(w)
    if not data.positions:
        return 0.0, grad
    n_scored = max(data.scored_count, 1)
    decay = w[20]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    d_factor = (factor + 1.0) * math.log(0.9) / decay**2  # d factor / d w20
    easy_start = w[4] - math.exp(3.0 * w[5]) + 1.0
    e8 = math.exp(w[8])
    cap_ratio = math.exp(-w[17] * w[18])  # the forget stability's cap, as a share of S

    first = data.positions[0]
    stability = w[first.rating.astype(np.intp) - 1].copy()
    raw_difficulty = w[4] - np.exp(w[5] * (first.rating - 1.0)) + 1.0
    difficulty = np.clip(raw_difficulty, 1.0, 10.0)
    steps: list[Step] = []
    loss = 0.0
    for position in data.positions[1:]:
        n = len(position.rating)
        s, d, t, r = stability[:n], difficulty[:n], position.elapsed, position.rating
        base = 1.0 + factor * t / s
        # Powers as exp(k * log x), sharing the logs with the backward pass: cheaper than numpy's pow.
        log_base, log_s, log_d, log1p_s = np.log(base), np.log(s), np.log(d), np.log1p(s)
        recall = np.exp(-decay * log_base)
        p = np.clip(recall, 1e-12, 1.0 - 1e-12)
        y = position.recalled
        loss -= float((position.scored * (y * np.log(p) + (1.0 - y) * np.log(1.0 - p))).sum())

        raw_growth = np.exp(w[17] * (r - 3.0 + w[18]) - w[19] * log_s)
        same_floored = position.passed & (raw_growth < 1.0)
        same_day = s * np.where(same_floored, 1.0, raw_growth)
        exp10 = np.exp((1.0 - recall) * w[10])
        core = e8 * (11.0 - d) * np.exp(-w[9] * log_s)
        bonus = 1.0 + position.hard * (w[15] - 1.0) + position.easy * (w[16] - 1.0)
        recalled_s = s * (1.0 + core * (exp10 - 1.0) * bonus)
        power = np.exp(w[13] * log1p_s)
        long_term = w[11] * (power - 1.0) * np.exp((1.0 - recall) * w[14] - w[12] * log_d)
        cap = s * cap_ratio
        use_long = long_term <= cap
        forgotten_s = np.where(use_long, long_term, cap)
        new_s = np.where(position.later, np.where(position.passed, recalled_s, forgotten_s), same_day)
        stability_free = new_s > fsrs.MIN_STABILITY
        stability = np.where(stability_free, new_s, fsrs.MIN_STABILITY)

        damped = d - w[6] * (r - 3.0) * (10.0 - d) / 9.0
        raw_d = w[7] * easy_start + (1.0 - w[7]) * damped
        difficulty_free = (raw_d > 1.0) & (raw_d < 10.0)
        difficulty = np.clip(raw_d, 1.0, 10.0)
        steps.append(
            Step(
                s, d, base, log_base, log_s, log_d, log1p_s, recall, raw_growth, same_floored, exp10, core, bonus,
                long_term, use_long, power, stability_free, damped, difficulty_free,
            )
        )  # fmt: skip

    # Backward: the adjoints of S and D after each review, from the last review to the first.
    g_s_next = np.zeros(0)
    g_d_next = np.zeros(0)
    for position, step in zip(reversed(data.positions[1:]), reversed(steps), strict=True):
        n = len(step.s)
        g_s_after = np.zeros(n)
        g_d_after = np.zeros(n)
        g_s_after[: len(g_s_next)] = g_s_next
        g_d_after[: len(g_d_next)] = g_d_next
        s, d, t, r, recall = step.s, step.d, position.elapsed, position.rating, step.recall
        later, passed = position.later, position.passed
        g = np.where(step.stability_free, g_s_after, 0.0)

        # Same day: S' = S exp(w17 (r - 3 + w18)) S^-w19, unless a pass's growth was raised to 1.
        g_same = np.where(~later & ~step.same_floored, g, 0.0)
        same_value = s * step.same_growth
        g_s = np.where(~later & step.same_floored, g, 0.0) + g_same * step.same_growth * (1.0 - w[19])
        grad[17] += float((g_same * same_value * (r - 3.0 + w[18])).sum())
        grad[18] += float((g_same * same_value * w[17]).sum())
        grad[19] += float((g_same * same_value * -step.log_s).sum())

        # Recall: S' = S (1 + G), G = e^w8 (11 - D) S^-w9 (e^(w10 (1 - R)) - 1) bonus.
        g_rec = np.where(later & passed, g, 0.0)
        growth = step.core * (step.exp10 - 1.0) * step.bonus
        s_growth = s * growth
        g_s += g_rec * (1.0 + growth * (1.0 - w[9]))
        g_d = g_rec * -s_growth / (11.0 - d)
        g_recall = g_rec * -s * step.core * step.bonus * w[10] * step.exp10
        grad[8] += float((g_rec * s_growth).sum())
        grad[9] += float((g_rec * s_growth * -step.log_s).sum())
        grad[10] += float((g_rec * s * step.core * step.bonus * step.exp10 * (1.0 - recall)).sum())
        without_bonus = g_rec * s * step.core * (step.exp10 - 1.0)
        grad[15] += float((without_bonus * position.hard).sum())
        grad[16] += float((without_bonus * position.easy).sum())

        # Forget: S' = min(w11 D^-w12 ((S+1)^w13 - 1) e^(w14 (1 - R)), S e^(-w17 w18)).
        g_forget = np.where(later & ~passed, g, 0.0)
        g_long = np.where(step.use_long, g_forget, 0.0)
        g_cap = g_forget - g_long
        long_term = step.long_term
        g_s += g_long * long_term * w[13] * step.power / ((step.power - 1.0) * (s + 1.0)) + g_cap * cap_ratio
        g_d += g_long * long_term * -w[12] / d
        g_recall += g_long * long_term * -w[14]
        grad[11] += float((g_long * long_term).sum()) / w[11]
        grad[12] += float((g_long * long_term * -step.log_d).sum())
        grad[13] += float((g_long * long_term * step.power * step.log1p_s / (step.power - 1.0)).sum())
        grad[14] += float((g_long * long_term * (1.0 - recall)).sum())
        capped = float((g_cap * s).sum()) * cap_ratio
        grad[17] += capped * -w[18]
        grad[18] += capped * -w[17]

        # Difficulty: D' = clip(w7 D0(Easy) + (1 - w7)(D - w6 (r - 3)(10 - D) / 9), 1, 10).
        g_dd = np.where(step.difficulty_free, g_d_after, 0.0)
        g_d += g_dd * (1.0 - w[7]) * (1.0 + w[6] * (r - 3.0) / 9.0)
        grad[6] += float((g_dd * (r - 3.0) * (10.0 - d)).sum()) * -(1.0 - w[7]) / 9.0
        grad[7] += float((g_dd * (easy_start - step.damped)).sum())
        total_dd = float((g_dd).sum())
        grad[4] += total_dd * w[7]
        grad[5] += total_dd * w[7] * -3.0 * math.exp(3.0 * w[5])

        # R = base^-w20 with base = 1 + factor t / S, and the loss's own dependence on R.
        p = np.clip(recall, 1e-12, 1.0 - 1e-12)
        y = position.recalled
        g_recall += position.scored * (-(y / p) + (1.0 - y) / (1.0 - p)) / n_scored
        g_s += g_recall * recall * decay * factor * t / (s * s * step.base)
        d_log_recall = -step.log_base - decay * (t / s) / step.base * d_factor
        grad[20] += float((g_recall * recall * d_log_recall).sum())
        g_s_next, g_d_next = g_s, g_d

    # The first review: S = w[rating - 1], D = w4 - exp(w5 (rating - 1)) + 1 unless clamped.
    g_s0 = np.zeros(len(first.rating))
    g_d0 = np.zeros(len(first.rating))
    g_s0[: len(g_s_next)] = g_s_next
    g_d0[: len(g_d_next)] = g_d_next
    np.add.at(grad, first.rating.astype(np.intp) - 1, g_s0)
    free = (raw_difficulty > 1.0) & (raw_difficulty < 10.0)
    grad[4] += float((g_d0 * free).sum())
    grad[5] += float((g_d0 * free * -(first.rating - 1.0) * np.exp(w[5] * (first.rating - 1.0))).sum())
    return loss / n_scored, grad
