"""How well each scheduler predicts recall on a review log, and how long FSRS fitting and replay take.

    python -m tests.bench.scheduler --log reviews.csv   # a real log
    python -m tests.bench.scheduler --size tiny         # CI smoke run on a small simulated learner

The log is a CSV with columns ``card_id, review_rating, review_time, review_duration``: rating 1 Again,
2 Hard, 3 Good, 4 Easy; time ISO 8601 in UTC. Without ``--log`` a log is simulated (a learner whose memory
follows FSRS-6 with parameters unlike the defaults, reviewing when cards fall due, with some lateness).

Reviews are evaluated in time order, each predicted only from its card's earlier reviews; a recall is a
rating of 2 or more (grade 3 or more in dva-cards). Time is counted in learner days with the day starting
at 4 a.m. in UTC (the log carries no time zone of its own), and only reviews on a later learner day than the
card's previous one are scored.

Rows: the constant (mean recall), SM-2 as dva-cards schedules it with R = 0.9^(t/I) (I the interval it set,
at least one day), FSRS-6 with default parameters, and FSRS-6 with parameters fitted on the first 80 % of
the log (by review time) and scored on the last 20 %, beside the constant (the first 80 %'s mean) and SM-2
on the same reviews. Then parity with py-fsrs, the optimizer's time on this log and on a simulated
500,000-review log, and the time to replay 500,000 reviews.

Ends with pass/MISS for each target: accuracy and time on the log only for a real ``--log``, the 500,000-review
times only at full size, parity always. Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dva_cards import fsrs, scheduler
from dva_cards.clock import learner_today
from dva_cards.fsrs import Parameters, Review
from dva_cards.fsrs_optimizer import optimize
from dva_cards.recall_metrics import (
    ScoredReview,
    auc,
    log_loss,
    rmse_bins,
    score_card,
    true_retention,
)

ROLLOVER_HOUR = 4
GRADE_FOR_RATING = {1: 1, 2: 3, 3: 4, 4: 5}  # the log's 1-4 onto dva-cards' 0-5 (Again is any grade 0-2)
TRAIN_SHARE = 0.8
SIMULATED_DAYS = 730

# The simulated learner's true memory: FSRS-6 shaped, but not the default parameters.
SIMULATED_LEARNER: Parameters = (
    0.4, 1.6, 3.0, 12.0, 6.0, 0.9, 2.2, 0.01, 1.6, 0.2, 1.1,
    1.6, 0.08, 0.3, 1.8, 0.5, 2.0, 0.6, 0.2, 0.1, 0.3,
)  # fmt: skip


@dataclass(frozen=True)
class Size:
    simulated_cards: int  # cards of the simulated log used when no --log is given
    simulated_reviews: int
    large_reviews: int  # reviews of the simulated log the optimizer and replay are timed on
    runs: int  # runs of each timing


SIZES = {
    "full": Size(simulated_cards=1_200, simulated_reviews=12_500, large_reviews=500_000, runs=3),
    "tiny": Size(simulated_cards=60, simulated_reviews=600, large_reviews=5_000, runs=1),
}


@dataclass(frozen=True)
class LogReview:
    card_id: str
    at: datetime
    day: date
    grade: int


# --- reading and simulating logs --------------------------------------------------------------------------


def read_log(path: Path) -> list[LogReview]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        at = datetime.fromisoformat(row["review_time"].replace("Z", "+00:00")).astimezone(UTC)
        grade = GRADE_FOR_RATING[int(row["review_rating"])]
        out.append(LogReview(row["card_id"], at, learner_today(at, ROLLOVER_HOUR, UTC), grade))
    out.sort(key=lambda review: review.at)
    return out


def simulate_log(cards: int, reviews: int, seed: int = 0) -> list[LogReview]:
    """A learner whose recall follows SIMULATED_LEARNER; cards come due on FSRS intervals at 90 %, a few late.

    The log covers two years. Cards are introduced over its first half and have from 2 to 300 reviews
    (exponentially distributed, ``reviews / cards`` on average) or fewer if the two years end first; more
    cards are added if ``cards`` do not reach ``reviews``. First answers and most lapses are followed by a
    same-day drill.
    """
    rng = random.Random(seed)
    mean_length = max(2.0, reviews / cards)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    end = start + timedelta(days=SIMULATED_DAYS)
    out: list[LogReview] = []
    card = 0
    while card < cards or len(out) < reviews:
        card += 1
        length = min(300, 2 + int(rng.expovariate(1.0 / max(mean_length - 1.5, 0.5))))
        at = start + timedelta(days=rng.randrange(0, SIMULATED_DAYS // 2), minutes=rng.randrange(0, 600))
        state: fsrs.MemoryState | None = None
        last: date | None = None
        for _ in range(length):
            if at >= end:
                break
            day = learner_today(at, ROLLOVER_HOUR, UTC)
            elapsed = 0 if last is None else (day - last).days
            recall = (
                1.0 if state is None else fsrs.retrievability(elapsed, state.stability, SIMULATED_LEARNER)
            )
            if state is None:
                rating = rng.choices((1, 2, 3, 4), weights=(30, 5, 55, 10))[0]
            elif rng.random() < recall:
                rating = rng.choices((2, 3, 4), weights=(5, 85, 10))[0]
            else:
                rating = 1
            out.append(LogReview(str(card), at, day, GRADE_FOR_RATING[rating]))
            first = state is None
            state = fsrs.next_state(state, fsrs.Rating(rating), elapsed, SIMULATED_LEARNER)
            last = day
            if (first or rating == 1) and rng.random() < 0.8:
                at += timedelta(minutes=rng.randrange(2, 30))  # the same-day drill
                continue
            interval = fsrs.next_interval(state.stability, 0.9, 3650, SIMULATED_LEARNER)
            lateness = rng.choice((0, 0, 0, 1, 2, interval // 4))
            at += timedelta(days=interval + lateness, minutes=rng.randrange(-120, 120))
    out.sort(key=lambda review: review.at)
    return out[:reviews]


def by_card(log: Sequence[LogReview]) -> dict[str, list[Review]]:
    cards: dict[str, list[Review]] = {}
    for review in log:
        cards.setdefault(review.card_id, []).append(Review(review.day, review.grade))
    return cards


# --- predictors -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    review: ScoredReview
    at: datetime  # when it was answered, to split the log by time


Predict = Callable[[list[Review], list[datetime]], list[Scored]]


def walk(
    reviews: list[Review], times: list[datetime], predict_next: Callable[[int, int], float]
) -> list[Scored]:
    return [Scored(scored, times[index]) for index, scored in score_card(reviews, predict_next)]


def fsrs_predictor(parameters: Parameters) -> Predict:
    def predict(reviews: list[Review], times: list[datetime]) -> list[Scored]:
        states: list[fsrs.CardMemory] = []
        memory = None
        for review in reviews:
            memory = fsrs.replay([review], parameters, start=memory)
            assert memory is not None
            states.append(memory)
        return walk(
            reviews,
            times,
            lambda index, elapsed: fsrs.retrievability(
                elapsed, states[index - 1].state.stability, parameters
            ),
        )

    return predict


def sm2_predict(reviews: list[Review], times: list[datetime]) -> list[Scored]:
    states: list[scheduler.SM2State] = []
    state = scheduler.SM2State()
    for review in reviews:
        state = scheduler.review(state, review.grade, review.day)
        states.append(state)
    return walk(reviews, times, lambda index, elapsed: 0.9 ** (elapsed / max(states[index - 1].interval, 1)))


def reference_predict(parameters: Parameters) -> Predict:
    """py-fsrs's R before each scored review: reviews at noon of their learner day plus a second per review."""
    import fsrs as reference

    def predict(reviews: list[Review], times: list[datetime]) -> list[Scored]:
        engine = reference.Scheduler(
            parameters=parameters, learning_steps=(), relearning_steps=(), enable_fuzzing=False
        )
        card = reference.Card()
        before: list[float] = []
        for index, review in enumerate(reviews):
            when = datetime(review.day.year, review.day.month, review.day.day, 12, tzinfo=UTC) + timedelta(
                seconds=index
            )
            before.append(engine.get_card_retrievability(card, when) if card.last_review else 1.0)
            rating = fsrs.rating_for_grade(review.grade)
            card, _ = engine.review_card(card, reference.Rating(int(rating)), when)
        return walk(reviews, times, lambda index, elapsed: before[index])

    return predict


def predict_all(
    cards: dict[str, list[Review]], times: dict[str, list[datetime]], predict: Predict
) -> list[Scored]:
    out: list[Scored] = []
    for card_id, reviews in cards.items():
        out.extend(predict(reviews, times[card_id]))
    return out


# --- report -----------------------------------------------------------------------------------------------


def row(name: str, scored: Sequence[ScoredReview]) -> str:
    return (
        f"| {name} | {len(scored)} | {log_loss(scored):.4f} | {rmse_bins(scored):.4f} | {auc(scored):.4f} |"
    )


def constant(scored: Sequence[Scored], mean: float) -> list[ScoredReview]:
    return [ScoredReview(mean, item.review.recalled, item.review.bin) for item in scored]


def read_every_review(histories: Sequence[Sequence[Review]]) -> int:
    """The floor: visit each review once and take its elapsed days, as any replay must."""
    total = 0
    for history in histories:
        previous = history[0].day
        for review in history:
            total += (review.day - previous).days
            previous = review.day
    return total


def timed(figure: Callable[[], object], floor: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median seconds of ``figure`` and of ``floor``, run alternately.

    Each run starts after a full garbage collection, so that none pays for the garbage of the one before;
    the collector stays on during the run, as it is in the command.
    """
    figures, floors = [], []
    for _ in range(runs):
        for run, out in ((floor, floors), (figure, figures)):
            gc.collect()
            started = time.perf_counter()
            run()
            out.append(time.perf_counter() - started)
    return statistics.median(figures), statistics.median(floors)


def timing_row(name: str, reviews: int, seconds: float, floor: float) -> str:
    return f"| {name} | {reviews} | {seconds:.3f} | {floor:.3f} | {seconds / floor:.1f}x |"


def judge(label: str, ok: bool) -> str:
    return f"{label}: {'pass' if ok else 'MISS'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="review log CSV (default: a simulated learner)")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    args = parser.parse_args(argv)
    size = SIZES[args.size]

    log = read_log(args.log) if args.log else simulate_log(size.simulated_cards, size.simulated_reviews)
    cards = by_card(log)
    times: dict[str, list[datetime]] = {}
    for review in log:
        times.setdefault(review.card_id, []).append(review.at)
    print(f"log: {len(log)} reviews, {len(cards)} cards, learner days from {ROLLOVER_HOUR} a.m. UTC")

    default = predict_all(cards, times, fsrs_predictor(fsrs.DEFAULT_PARAMETERS))
    sm2 = predict_all(cards, times, sm2_predict)
    mean_recall = sum(item.review.recalled for item in default) / len(default)
    print("\nwhole log\n\n| predictor | scored | log loss | RMSE(bins) | AUC |\n|---|---|---|---|---|")
    print(row("constant (mean recall)", constant(default, mean_recall)))
    print(row("SM-2, R = 0.9^(t/I)", [item.review for item in sm2]))
    whole = [item.review for item in default]
    print(row("FSRS-6, default parameters", whole))
    # The accuracy and speed-on-this-log targets are set for a real log; a simulated one is only a smoke run.
    real_log = args.log is not None
    targets = []
    if real_log:
        targets += [
            judge("default log loss <= 0.466", log_loss(whole) <= 0.466),
            judge("default RMSE(bins) <= 0.084", rmse_bins(whole) <= 0.084),
            judge("default AUC >= 0.72", auc(whole) >= 0.72),
        ]

    reference = predict_all(cards, times, reference_predict(fsrs.DEFAULT_PARAMETERS))
    gap = max(abs(a.review.predicted - b.review.predicted) for a, b in zip(default, reference, strict=True))
    print(f"\nparity with py-fsrs: largest |R - R_ref| over {len(default)} scored reviews = {gap:.2e}")
    targets.append(judge("parity within 1e-4", gap <= 1e-4))

    split = log[int(len(log) * TRAIN_SHARE)].at
    train = by_card([review for review in log if review.at < split])
    started = time.perf_counter()
    fitted = optimize(list(train.values()))
    fit_seconds = time.perf_counter() - started
    test = [item for item in predict_all(cards, times, fsrs_predictor(fitted)) if item.at >= split]
    train_mean = true_retention([item.review for item in default if item.at < split])
    sm2_test = [item.review for item in sm2 if item.at >= split]
    constant_test = constant(test, train_mean)
    fitted_test = [item.review for item in test]
    default_test = [item.review for item in default if item.at >= split]
    print(
        f"\nlast {1 - TRAIN_SHARE:.0%} (from {split:%Y-%m-%d %H:%M} UTC), parameters fitted on the reviews before"
    )
    print("\n| predictor | scored | log loss | RMSE(bins) | AUC |\n|---|---|---|---|---|")
    print(row("constant (mean recall of the first 80 %)", constant_test))
    print(row("SM-2, R = 0.9^(t/I)", sm2_test))
    print(row("FSRS-6, default parameters", default_test))
    print(row("FSRS-6, fitted parameters", fitted_test))
    print(f"fitted in {fit_seconds:.3f} s: {', '.join(f'{value:.4f}' for value in fitted)}")
    if real_log:
        targets += [
            judge("fitted log loss <= 0.450", log_loss(fitted_test) <= 0.450),
            judge("fitted RMSE(bins) <= 0.065", rmse_bins(fitted_test) <= 0.065),
        ]
    targets += [
        judge(
            "fitted better than SM-2 and the constant (log loss and RMSE(bins))",
            all(
                log_loss(fitted_test) < log_loss(other) and rmse_bins(fitted_test) < rmse_bins(other)
                for other in (sm2_test, constant_test)
            ),
        ),
    ]

    # Timings: each the median of interleaved runs beside a floor measured in the same run, a bare loop that
    # reads every review once (its elapsed days), so a busy machine shows up in the floor too.
    histories = list(cards.values())
    whole, whole_floor = timed(lambda: optimize(histories), lambda: read_every_review(histories), size.runs)
    print(
        "\n| timing | reviews | seconds (median) | floor: read every review | ratio |\n|---|---|---|---|---|"
    )
    print(timing_row("optimizer, this log", len(log), whole, whole_floor))
    if real_log:
        targets.append(judge("optimizer on this log <= 1 s", whole <= 1.0))

    large = simulate_log(size.large_reviews // 10, size.large_reviews, seed=1)
    large_cards = list(by_card(large).values())
    fit, fit_floor = timed(lambda: optimize(large_cards), lambda: read_every_review(large_cards), size.runs)
    print(timing_row(f"optimizer, simulated log ({len(large_cards)} cards)", len(large), fit, fit_floor))
    replay, replay_floor = timed(
        lambda: [fsrs.replay(history) for history in large_cards],
        lambda: read_every_review(large_cards),
        size.runs,
    )
    print(timing_row("replay of every card, the same log", len(large), replay, replay_floor))
    if args.size == "full":
        targets.append(judge("optimizer on 500,000 reviews <= 10 s", fit <= 10.0))
        targets.append(judge("replay of 500,000 reviews <= 2 s", replay <= 2.0))

    print("\n".join(["", *targets]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
