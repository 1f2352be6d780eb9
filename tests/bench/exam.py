"""Exam mode against plain scheduling: a simulated learner studies the bundled deck from zero for an exam.

    python -m tests.bench.exam                    # default FSRS-6 parameters, exams in 30, 60 and 90 days
    python -m tests.bench.exam --log reviews.csv  # a learner with parameters fitted on a real review log
    python -m tests.bench.exam --size tiny        # CI smoke run: part of the deck, short horizons, one learner
    python -m tests.bench.exam --planner          # the pure planner's time on random collections of 50,000 cards
    python -m tests.bench.exam --planner --db C   # ... and on collection C (e.g. the one tests.bench.generate makes)
    python -m tests.bench.exam --planner --reference  # ... beside the straightforward planner the tests keep

The learner's memory follows FSRS-6 with the given parameters (fitted on ``--log`` by the in-repo optimizer,
else the defaults). Each learner day they study the session: due reviews (most overdue first, up to
reviews-per-day), then new cards (up to new-per-day), then the day's drills (failed cards and, under SM-2,
cards graded 3, until they pass), each answer scheduled by the product's own rules (``scheduling.answer``).
An answer is a recall with probability R(t, S) of the learner's true memory; a recall is rated Good (or
Hard/Easy in the proportions of the log's passing answers), a miss Again; a card's first answer is rated as
the log's first answers are (default weights without a log). The scheduler's FSRS parameters are the
learner's, as after `dva-cards optimize` on their own log.

Four ways of studying, each with its own learners drawn from the same seeds:

* ``SM-2`` and ``FSRS`` (desired retention 0.90): plain scheduling, no exam date;
* ``SM-2 + exam`` and ``FSRS + exam``: the same scheduler, with the session following the exam plan each day
  (``dva_cards.exam.plan_exam`` made again every morning from the cards' FSRS memory, as the session does):
  the plan's new cards, and its brought-forward reviews after the due ones, within the same limits.

Per horizon and way: cards seen before the exam, mean and 10th-percentile predicted recall on the exam day (a
card never seen counts as 0), answers given (reviews, new cards and drills) and, for exam mode, the verdict
the readiness report gave on the first day. Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dva_cards import fsrs
from dva_cards import scheduling as scheduling_rules
from dva_cards.exam import ExamCard, fsrs_model, plan_exam
from dva_cards.extract import extract
from dva_cards.fsrs import CardMemory, Parameters, Rating
from dva_cards.scheduler import SM2State
from dva_cards.scheduling import SchedulerName, Scheduling
from dva_cards.session import DailyLimits

from .scheduler import by_card, read_log

DECK = Path(__file__).resolve().parents[2] / "decks" / "aws-dva.md"
START = date(2026, 1, 5)
TARGET = 0.9
DESIRED_RETENTION = 0.9
LIMITS = DailyLimits(new_per_day=20, reviews_per_day=200)
DEFAULT_FIRST_WEIGHTS = {Rating.AGAIN: 30.0, Rating.HARD: 5.0, Rating.GOOD: 55.0, Rating.EASY: 10.0}
DEFAULT_PASS_WEIGHTS = {Rating.HARD: 5.0, Rating.GOOD: 85.0, Rating.EASY: 10.0}
GRADE_FOR = {Rating.AGAIN: 1, Rating.HARD: 3, Rating.GOOD: 4, Rating.EASY: 5}
WAYS = ("SM-2", "SM-2 + exam", "FSRS", "FSRS + exam")


@dataclass(frozen=True)
class Size:
    cards: int | None  # the first N cards of the deck (None: all of it)
    horizons: tuple[int, ...]
    learners: int


SIZES = {
    "full": Size(cards=None, horizons=(30, 60, 90), learners=5),
    "tiny": Size(cards=60, horizons=(10, 20), learners=1),
}


@dataclass(frozen=True)
class Learner:
    parameters: Parameters
    first_weights: dict[Rating, float]
    pass_weights: dict[Rating, float]


@dataclass(frozen=True)
class DeckCard:
    id: str
    section: str
    order: int


@dataclass
class Card:
    deck: DeckCard
    memory: CardMemory | None = None  # the learner's true memory: also what the FSRS replay of answers gives
    due: date | None = None
    sm2: SM2State = field(default_factory=SM2State)  # the stored schedule, under either scheduler


@dataclass(frozen=True)
class Result:
    seen: int
    mean: float
    p10: float
    answers: int
    verdict: str


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--log", type=Path, help="review log CSV to fit the learner on (default parameters without)"
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--horizons", type=int, nargs="+", help="days to the exam (default: 30 60 90)")
    parser.add_argument("--planner", action="store_true", help="time the pure planner instead")
    parser.add_argument(
        "--cards", type=int, default=50_000, help="cards of the random collections (--planner)"
    )
    parser.add_argument(
        "--db", type=Path, help="also time the planner on this collection's cards (--planner)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each planner timing (median shown)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time tests/exam_reference.py's planner once on each, and check it makes the same plan",
    )
    args = parser.parse_args(argv)
    if args.planner:
        horizons = tuple(args.horizons or (30, 60, 90))
        return time_planner(args.cards, horizons, args.db, max(1, args.runs), args.reference)
    size = SIZES[args.size]
    horizons = tuple(args.horizons) if args.horizons else size.horizons

    learner = (
        fitted_learner(args.log)
        if args.log
        else Learner(fsrs.DEFAULT_PARAMETERS, DEFAULT_FIRST_WEIGHTS, DEFAULT_PASS_WEIGHTS)
    )
    deck = bundled_deck(size.cards)
    print(
        f"deck: {len(deck)} cards; limits {LIMITS.new_per_day} new, {LIMITS.reviews_per_day} reviews a day; target {TARGET}"
    )
    print(f"learner parameters: {', '.join(f'{value:.4f}' for value in learner.parameters)}")
    print(
        f"first answers {weights_text(learner.first_weights)}; passing answers {weights_text(learner.pass_weights)}"
    )
    print(
        f"{size.learners} simulated learner(s) per row, seeds {args.seed}..{args.seed + size.learners - 1}\n"
    )

    started = time.perf_counter()
    print(
        "| exam in | way | seen before the exam | mean recall | 10th pct recall | answers | verdict on day 1 |"
    )
    print("|---|---|---|---|---|---|---|")
    checks: list[str] = []
    for horizon in horizons:
        for way in WAYS:
            results = [
                simulate(deck, learner, horizon, way, random.Random(args.seed + index))
                for index in range(size.learners)
            ]
            seen = statistics.mean(result.seen for result in results)
            mean = statistics.mean(result.mean for result in results)
            p10 = statistics.mean(result.p10 for result in results)
            answers = statistics.mean(result.answers for result in results)
            verdict = results[0].verdict
            print(
                f"| {horizon} days | {way} | {seen:.0f} / {len(deck)} | {mean:.3f} | {p10:.3f} | {answers:.0f} | {verdict} |"
            )
            if way.endswith("exam"):
                all_seen = seen == len(deck)
                foretold = all_seen or verdict != "on track"
                checks.append(
                    judge(f"{horizon} days, {way}: every card seen, or the day-1 report said not", foretold)
                )
                checks.append(
                    judge(f"{horizon} days, {way}: mean recall {mean:.3f} >= {TARGET}", mean >= TARGET)
                )
    print(f"\nsimulated in {time.perf_counter() - started:.1f} s\n")
    print("\n".join(checks))
    return 0


PLANNER_TARGET = 0.3  # seconds of CPU for one plan of 50,000 cards
SECTIONS = ("EC2", "S3", "IAM", "VPC", "Lambda", "DynamoDB", "SQS", "SNS", "Kinesis", "RDS")


def time_planner(
    cards: int, horizons: Sequence[int], db: Path | None, runs: int, reference: bool = False
) -> int:
    """`plan_exam` alone (no database, no terminal), CPU and wall seconds, median of ``runs``, default limits.

    Random collections: a share of the cards never seen, the others with a stability of 0.5-400 days, last
    seen up to 200 days ago and due 1-400 days after that (so many are overdue, and many need a review brought
    forward: the limits bind, and the plan searches for the reviews a day that would fit). The floor, timed in
    the same run, is one FSRS recall per card: what the report's "if you stop today" alone costs.
    """
    model = fsrs_model()
    today = START
    decks: list[tuple[str, list[ExamCard], date]] = []
    for seed, unseen_share in ((0, 0.3), (1, 0.0)):
        decks.append((f"random, {unseen_share:.0%} unseen", random_cards(cards, seed, unseen_share), today))
    if db is not None:
        decks.append((f"collection {db.name}", *collection_cards(db)))
    print(f"pure planner, median of {runs} runs, limits {LIMITS.new_per_day} new / {LIMITS.reviews_per_day} "
          f"reviews a day, target {PLANNER_TARGET} s CPU for 50,000 cards")  # fmt: skip
    extra = " reference CPU | same plan |" if reference else ""
    print(
        f"| cards | exam in | plan CPU | plan wall | floor CPU | ratio | reviews a day needed | result |{extra}"
    )
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if reference else ""))
    for label, deck, day in decks:
        for horizon in horizons:
            exam = day + timedelta(days=horizon)
            cpu: list[float] = []
            wall: list[float] = []
            floor: list[float] = []
            needed = 0
            for _ in range(runs):
                started, clock = time.process_time(), time.perf_counter()
                plan = plan_exam(deck, day, exam, model, LIMITS, TARGET)
                cpu.append(time.process_time() - started)
                wall.append(time.perf_counter() - clock)
                needed = plan.readiness.workload.reviews_per_day if plan.readiness else 0
                started = time.process_time()
                for card in deck:
                    if card.memory is not None:
                        model.recall((exam - card.memory.last_review).days, card.memory.state)
                floor.append(time.process_time() - started)
            plan_cpu, floor_cpu = statistics.median(cpu), statistics.median(floor)
            verdict = "-" if len(deck) < 50_000 else "pass" if plan_cpu <= PLANNER_TARGET else "MISS"
            compared = ""
            if reference:
                from tests.exam_reference import reference_plan

                started = time.process_time()
                same = reference_plan(deck, day, exam, model, LIMITS, TARGET) == plan
                compared = f" {time.process_time() - started:.3f} s | {'yes' if same else 'NO'} |"
            print(
                f"| {label}: {len(deck):,} | {horizon} days | {plan_cpu:.3f} s | {statistics.median(wall):.3f} s | "
                f"{floor_cpu:.3f} s | {plan_cpu / floor_cpu if floor_cpu else 0:.1f} | {needed} | {verdict} |"
                f"{compared}"
            )
    return 0


def random_cards(count: int, seed: int, unseen_share: float) -> list[ExamCard]:
    rng = random.Random(seed)
    cards: list[ExamCard] = []
    for index in range(count):
        section = rng.choice(SECTIONS)
        if rng.random() < unseen_share:
            cards.append(ExamCard(f"c{index}", section, None, None, index))
            continue
        state = fsrs.MemoryState(rng.uniform(0.5, 400.0), rng.uniform(1.0, 10.0))
        last = START - timedelta(days=rng.randint(0, 200))
        due = last + timedelta(days=rng.randint(1, 400))
        cards.append(ExamCard(f"c{index}", section, CardMemory(state, last), due, index))
    return cards


def collection_cards(db: Path) -> tuple[list[ExamCard], date]:
    """A collection's cards as the planner sees them, and the learner's today."""
    from datetime import UTC, datetime

    from dva_cards.clock import learner_today
    from dva_cards.exam_inputs import exam_cards
    from dva_cards.store import Store

    with Store.open(db) as store:
        return exam_cards(store.exam_cards()), learner_today(datetime.now(UTC))


def fitted_learner(path: Path) -> Learner:
    log = read_log(path)
    histories = list(by_card(log).values())
    parameters = fsrs_optimize(histories)
    first: dict[Rating, float] = dict.fromkeys(Rating, 0.0)
    passed: dict[Rating, float] = dict.fromkeys((Rating.HARD, Rating.GOOD, Rating.EASY), 0.0)
    for history in histories:
        first[fsrs.rating_for_grade(history[0].grade)] += 1
        for before, review in zip(history, history[1:], strict=False):
            rating = fsrs.rating_for_grade(review.grade)
            if review.day > before.day and rating != Rating.AGAIN:
                passed[rating] += 1
    print(f"log: {len(log)} reviews, {len(histories)} cards")
    return Learner(parameters, first, passed)


def fsrs_optimize(histories: list[list[fsrs.Review]]) -> Parameters:
    from dva_cards.fsrs_optimizer import optimize  # numpy: only when a log is fitted

    return optimize(histories)


def bundled_deck(limit: int | None) -> list[DeckCard]:
    drafts = extract(DECK.read_text(encoding="utf-8")).cards
    chosen = drafts if limit is None else drafts[:limit]
    return [
        DeckCard(id=f"{index}", section=draft.context[0] if draft.context else "", order=index)
        for index, draft in enumerate(chosen)
    ]


def simulate(
    deck: Sequence[DeckCard], learner: Learner, horizon: int, way: str, rng: random.Random
) -> Result:
    """One learner studying from START to the day before the exam, ``way`` deciding what each session shows."""
    cards = {entry.id: Card(entry) for entry in deck}
    exam = START + timedelta(days=horizon)
    scheduler = SchedulerName.SM2 if way.startswith("SM-2") else SchedulerName.FSRS
    scheduling = Scheduling(scheduler, learner.parameters, DESIRED_RETENTION)
    follows_plan = way.endswith("exam")
    model = fsrs_model(learner.parameters, DESIRED_RETENTION)
    answers = 0
    verdict = ""
    for offset in range(horizon):
        day = START + timedelta(days=offset)
        due = sorted(
            (
                card
                for card in cards.values()
                if card.due is not None and card.due <= day and not card.sm2.drill
            ),
            key=lambda card: (card.due, card.deck.order),
        )[: LIMITS.reviews_per_day]
        if follows_plan:
            plan = plan_exam(
                [
                    ExamCard(card.deck.id, card.deck.section, card.memory, card.due, card.deck.order)
                    for card in cards.values()
                ],
                day,
                exam,
                model,
                LIMITS,
                TARGET,
            )
            if offset == 0 and plan.readiness is not None:
                verdict = plan.readiness.verdict
            today = plan.for_day(day)
            shown = {card.deck.id for card in due}
            room = LIMITS.reviews_per_day - len(due)
            forward = [
                cards[card_id] for card_id in (today.brought_forward if today else ()) if card_id not in shown
            ]
            reviews = due + forward[: max(0, room)]
            new = [cards[card_id] for card_id in (today.new if today else ())]
        else:
            reviews = due
            new = sorted(
                (card for card in cards.values() if card.memory is None), key=lambda card: card.deck.order
            )
            new = new[: LIMITS.new_per_day]
        for card in [*reviews, *new]:
            answer(card, day, learner, scheduling, rng)
            answers += 1
        # The day's drills: failed cards (and, under SM-2, cards graded 3) come back until they pass.
        pending = [card for card in cards.values() if card.sm2.drill or card.due == day]
        while pending:
            for card in pending:
                answer(card, day, learner, scheduling, rng)
                answers += 1
            pending = [card for card in pending if card.sm2.drill or card.due == day]
    recalls = sorted(
        0.0 if card.memory is None else fsrs.predicted_recall(card.memory, exam, learner.parameters)
        for card in cards.values()
    )
    return Result(
        seen=sum(1 for card in cards.values() if card.memory is not None),
        mean=statistics.fmean(recalls),
        p10=recalls[len(recalls) // 10],
        answers=answers,
        verdict=verdict,
    )


def answer(card: Card, day: date, learner: Learner, scheduling: Scheduling, rng: random.Random) -> None:
    """The learner answers ``card`` on ``day``; the collection's scheduler (the product's own rules, SM-2 or
    FSRS) sets its next state, due date and memory. The scheduler's FSRS parameters are the learner's, so the
    memory it keeps is the learner's true memory."""
    if card.memory is None:
        rating = pick(learner.first_weights, rng)
    else:
        elapsed = (day - card.memory.last_review).days
        recalled = rng.random() < fsrs.retrievability(
            elapsed, card.memory.state.stability, learner.parameters
        )
        rating = pick(learner.pass_weights, rng) if recalled else Rating.AGAIN
    after = scheduling_rules.answer(card.sm2, card.memory, GRADE_FOR[rating], day, scheduling)
    card.sm2, card.memory, card.due = after.state, after.memory, after.state.due


def pick(weights: dict[Rating, float], rng: random.Random) -> Rating:
    ratings = list(weights)
    return rng.choices(ratings, weights=[weights[rating] for rating in ratings])[0]


def weights_text(weights: dict[Rating, float]) -> str:
    total = sum(weights.values())
    return ", ".join(f"{rating.name.title()} {weights[rating] / total:.0%}" for rating in weights)


def judge(label: str, ok: bool) -> str:
    return f"{'pass' if ok else 'MISS'}  {label}"


if __name__ == "__main__":
    raise SystemExit(main())
