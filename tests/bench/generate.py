"""A realistic collection of any size, for benchmarks and stats tests.

`make_collection(path, cards=50_000, reviews=500_000, seed=0, today=...)` creates (and migrates) a collection
through `Store.open`, then bulk-inserts decks, cards and a review history in one transaction:

* a few decks of unequal size, each from several notes files with a dozen top-level sections;
* cards in every state: new, re-learning, learning, young, mature, drilling, buried, suspended, retired, leeches;
* reviews spread over ~400 learner days ending on `today`, with a few days off (but none in the last two
  weeks, so the current streak is long), busier recent days, mostly `review` answers, drill answers after
  grades below 4 and the odd cram session. The state after each answer comes from the real scheduler, the
  state before is drawn at random: realistic volumes and shapes for timing, not one consistent history.

`simulate_history(today, ...)` + `write_history(store, history)` is the small, exact counterpart for tests:
every card is answered on the days the scheduler says, as the review loop would, so brute-force figures
computed from the same `History` must equal what `dva-cards stats` reports.

Deterministic for a given seed and `today`. Run it directly to write a file:
`python -m tests.bench.generate out.db --cards 50000 --reviews 500000`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dva_cards.card_state import CardState, state_of
from dva_cards.fsrs import DEFAULT_PARAMETERS
from dva_cards.identity import CONTEXT_SEPARATOR
from dva_cards.scheduler import SM2State, review
from dva_cards.scheduling import replay_memories
from dva_cards.session import facts_of
from dva_cards.store import Store

HISTORY_DAYS = 400
STREAK_DAYS = 14  # the last days before `today` all have reviews
DECKS = (("aws-dva", 5), ("kubernetes", 2), ("python", 2), ("networking", 1))
SECTIONS = (
    "EC2", "S3", "IAM", "VPC", "Lambda", "DynamoDB", "CloudFormation", "ECS", "SQS", "SNS", "Kinesis",
    "API Gateway", "CloudWatch", "Cognito", "Route 53", "RDS", "ElastiCache", "Step Functions",
)  # fmt: skip
SUBSECTIONS = ("Basics", "Security", "Pricing", "Limits", "Patterns", "Troubleshooting", "Integration")
WORDS = (
    "instance", "policy", "bucket", "region", "replica", "throughput", "partition", "queue", "topic", "stream",
    "latency", "capacity", "endpoint", "role", "token", "cache", "snapshot", "subnet", "gateway", "trigger",
)  # fmt: skip
LEECH_LAPSES = 8
QUALITIES = (0, 1, 2, 3, 4, 5)
QUALITY_WEIGHTS = (2, 2, 4, 10, 52, 30)


def make_collection(
    path: Path,
    cards: int = 50_000,
    reviews: int = 500_000,
    seed: int = 0,
    today: date | None = None,
) -> Path:
    """Write a collection with `cards` cards and `reviews` review rows at `path` (replaced if it exists)."""
    today = today or date.today()
    rng = random.Random(seed)
    path = Path(path)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    with Store.open(path) as store:
        with store.transaction():
            deck_ids = [store.ensure_deck(name) for name, _ in DECKS]
            card_rows = _cards(rng, deck_ids, cards, today)
            store.connection.executemany(
                "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
                "updated_at, retired_at, suspended, buried_until, leech, reps, ease, interval, due, drill, "
                "lapses, last_review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                card_rows,
            )
            seen = [row[0] for row in card_rows if row[17] is not None] or [row[0] for row in card_rows]
            if seen and reviews:
                store.connection.executemany(
                    "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, "
                    "ease_before, interval_before, due_before, drill_before, lapses_before, leech_before, "
                    "suspended_before, reps_after, ease_after, interval_after, due_after, drill_after, "
                    "lapses_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _reviews(rng, seen, reviews, today),
                )
            # Every answered card's FSRS memory from its log, as the schema upgrade gives an older collection.
            store.write_memories(replay_memories(store.answer_histories(), DEFAULT_PARAMETERS))
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


# -- cards ------------------------------------------------------------------------------------------------------


def _cards(rng: random.Random, deck_ids: list[int], count: int, today: date) -> list[tuple[Any, ...]]:
    weights = [weight for _, weight in DECKS]
    created = _stamp(today - timedelta(days=HISTORY_DAYS + 10), 9)
    rows: list[tuple[Any, ...]] = []
    line_of: dict[tuple[int, str], int] = {}
    for index in range(count):
        slot = rng.choices(range(len(deck_ids)), weights)[0]
        deck_id = deck_ids[slot]
        source = f"/home/learner/notes/{DECKS[slot][0]}/part-{rng.randrange(4) + 1}.md"
        line = line_of.get((deck_id, source), 1) + rng.randint(1, 4)
        line_of[(deck_id, source)] = line
        section = SECTIONS[min(int(rng.paretovariate(1.2)) - 1, len(SECTIONS) - 1)]
        term = f"{rng.choice(WORDS).title()} {index}"
        parts = [section, f"{section} {rng.choice(SUBSECTIONS)}"]
        if rng.random() < 0.3:  # nested under another definition: its term joins the context
            parts.append(f"{rng.choice(WORDS).title()} {rng.randrange(20)}")
        context = CONTEXT_SEPARATOR.join(parts)
        back = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30)))
        state, suspended, retired, buried, leech = _card_state(rng, today)
        last_review = None if state.due is None else _stamp(today - timedelta(days=rng.randint(0, 60)), 20)
        rows.append(
            (
                _card_id(index),
                deck_id,
                source,
                line,
                context,
                term,
                back,
                f"{rng.getrandbits(128):032x}",
                created,
                created,
                created if retired else None,
                int(suspended),
                None if buried is None else buried.isoformat(),
                int(leech),
                state.reps,
                state.ease,
                state.interval,
                None if state.due is None else state.due.isoformat(),
                int(state.drill),
                state.lapses,
                last_review,
            )
        )
    return rows


def _card_id(index: int) -> str:
    """A digest like the importer's ids, so the rowid order of the cards says nothing about their id order."""
    return hashlib.blake2b(index.to_bytes(8, "little"), digest_size=8).hexdigest()


def _card_state(rng: random.Random, today: date) -> tuple[SM2State, bool, bool, date | None, bool]:
    """A card's (state, suspended, retired, buried_until, leech) in realistic proportions."""
    retired = rng.random() < 0.03
    suspended = not retired and rng.random() < 0.02
    roll = rng.random()
    if roll < 0.25:
        return SM2State(), suspended, retired, None, False
    lapses = min(int(rng.expovariate(1.1)), 14)
    leech = lapses >= 8
    ease = max(1300, min(3100, 2500 + 20 * round(rng.gauss(-6, 12))))
    if roll < 0.28:  # failed recently, re-learning
        state = SM2State(0, ease, 0, today - timedelta(days=rng.randint(0, 3)), False, max(lapses, 1))
    else:
        reps = 1 + min(int(rng.expovariate(0.35)), 15)
        interval = _interval_after(reps, ease, rng)
        due = today + timedelta(days=rng.randint(-max(1, interval // 8), interval))
        drill = rng.random() < 0.005
        state = SM2State(reps, ease, interval, due, drill, lapses)
    buried = today + timedelta(days=1) if rng.random() < 0.003 else None
    return state, suspended or (leech and rng.random() < 0.5), retired, buried, leech


def _interval_after(reps: int, ease: int, rng: random.Random) -> int:
    interval = 1
    for n in range(1, reps):
        interval = 6 if n == 1 else min(36_500, -(-interval * ease // 1000))
    return max(1, interval + rng.randint(-interval // 10, interval // 10))


# -- reviews ----------------------------------------------------------------------------------------------------


def _reviews(rng: random.Random, card_ids: list[str], count: int, today: date) -> list[tuple[Any, ...]]:
    days = [today - timedelta(days=offset) for offset in range(HISTORY_DAYS - 1, -1, -1)]
    active = [day for day in days if (today - day).days < STREAK_DAYS or rng.random() > 0.08]
    # Busier lately, and a lot of noise from one day to the next.
    weights = [(1 + index / len(active)) * rng.uniform(0.3, 1.7) for index, day in enumerate(active)]
    total = sum(weights)
    quotas = [int(count * weight / total) for weight in weights]
    quotas[-1] += count - sum(quotas)
    rows: list[tuple[Any, ...]] = []
    for day, quota in zip(active, quotas, strict=True):
        rows.extend(_day_of_reviews(rng, card_ids, day, quota))
    return rows


def _day_of_reviews(rng: random.Random, card_ids: list[str], day: date, quota: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    seconds = rng.randint(6 * 3600, 20 * 3600)
    while len(rows) < quota:
        card = rng.choice(card_ids)
        cram = rng.random() < 0.02
        before = _state_before(rng, day)
        quality = rng.choices(QUALITIES, QUALITY_WEIGHTS)[0]
        after = before if cram else review(before, quality, day)
        seconds += rng.randint(3, 40)
        rows.append(
            _review_row(rng, card, day, seconds, quality, "cram" if cram else "review", before, after)
        )
        # Cards graded 3 are drilled until a 4; failed cards are shown again the same day.
        while not cram and (after.drill or after.due == day) and len(rows) < quota:
            quality = rng.choices(QUALITIES, (1, 1, 2, 4, 8, 4))[0]
            before = after
            after = review(before, quality, day)
            seconds += rng.randint(3, 40)
            kind = "drill" if _drilling(before, day) else "review"
            rows.append(_review_row(rng, card, day, seconds, quality, kind, before, after))
            if rng.random() < 0.5:
                break
    return rows


def _state_before(rng: random.Random, day: date) -> SM2State:
    if rng.random() < 0.08:
        return SM2State()  # a new card's first answer
    reps = min(int(rng.expovariate(0.35)), 15)
    ease = max(1300, min(3100, 2500 + 20 * round(rng.gauss(-5, 12))))
    interval = 0 if reps == 0 else _interval_after(reps, ease, rng)
    due = day - timedelta(days=rng.randint(0, 3))
    return SM2State(reps, ease, interval, due, False, min(int(rng.expovariate(1.1)), 14))


def _review_row(
    rng: random.Random,
    card: str,
    day: date,
    seconds: int,
    quality: int,
    kind: str,
    before: SM2State,
    after: SM2State,
) -> tuple[Any, ...]:
    moment = datetime(day.year, day.month, day.day) + timedelta(seconds=min(seconds, 27 * 3600))
    return (
        card, moment.strftime("%Y-%m-%d %H:%M:%S.%f"), day.isoformat(), quality, kind,
        rng.randint(1500, 25_000), before.reps, before.ease, before.interval, _iso(before.due),
        int(before.drill), before.lapses, 0, 0, after.reps, after.ease, after.interval, _iso(after.due),
        int(after.drill), after.lapses,
    )  # fmt: skip


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _stamp(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour).strftime("%Y-%m-%d %H:%M:%S.%f")


# -- a faithful history, for tests ------------------------------------------------------------------------------


@dataclass
class SimCard:
    id: str
    deck: str
    context: str
    front: str
    source: str
    line: int
    state: SM2State = field(default_factory=SM2State)
    suspended: bool = False
    retired: bool = False
    buried_until: date | None = None

    @property
    def leech(self) -> bool:
        return self.state.lapses >= LEECH_LAPSES


@dataclass
class SimReview:
    card_id: str
    day: date
    quality: int
    kind: str
    before: SM2State
    after: SM2State
    duration_ms: int
    seconds: int  # into the day, for reviewed_at


@dataclass
class History:
    cards: list[SimCard]
    reviews: list[SimReview]
    today: date


def simulate_history(
    today: date,
    *,
    cards: int = 120,
    days: int = 90,
    seed: int = 0,
    skip: frozenset[int] = frozenset(),
    new_per_day: int = 6,
    cram_every: int = 9,
    today_share: float = 0.5,
    reviews_per_day: int = 25,
) -> History:
    """A review history that follows the scheduler exactly, as the review loop writes it.

    Each learner day (oldest first; `skip` holds day offsets before `today` without any study) answers the due
    reviews (most overdue first, at most `reviews_per_day`), a few new cards, then the day's drills until none
    is left; every `cram_every` days a few cram
    answers. Kinds follow review.py: "drill" for a drilling or re-learning card, else "review". Today is only
    `today_share` done: some reviews are still due and some cards still drilling. At the end a few cards are
    suspended, retired, buried or made leeches, so every category shows up.
    """
    rng = random.Random(seed)
    decks = ("aws-dva", "python")
    sections = ("EC2", "S3", "IAM", "Lambda")
    pool = []
    for index in range(cards):
        deck = decks[index % 3 == 2]
        section = sections[index % len(sections)]
        sub = f"{section} › {section} Part {index % 3}"
        pool.append(SimCard(f"c{index:05d}", deck, sub, f"Term {index}", f"/notes/{deck}.md", 10 + index * 3))
    reviews: list[SimReview] = []
    introduced = 0
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        if offset in skip:
            continue
        seconds = 8 * 3600
        due = [card for card in pool[:introduced] if _due_review(card.state, day)]
        due = sorted(due, key=lambda card: (card.state.due, card.id))[:reviews_per_day]  # most overdue first
        fresh = pool[introduced : introduced + new_per_day]
        introduced += len(fresh)
        drills: list[SimCard] = [card for card in pool[:introduced] if _drilling(card.state, day)]
        queue = due + fresh
        if offset == 0:  # the session in progress
            queue = queue[: int(len(queue) * today_share)]
        for card in queue:
            seconds += rng.randint(5, 30)
            reviews.append(
                _answer(rng, card, day, seconds, rng.choices((0, 1, 2, 3, 4, 5), (2, 2, 4, 12, 50, 30))[0])
            )
            if _drilling(card.state, day):
                drills.append(card)
        while drills and offset > 0:  # today's session has not reached its drills yet
            card = drills.pop(0)
            if not _drilling(card.state, day):
                continue
            seconds += rng.randint(5, 30)
            reviews.append(_answer(rng, card, day, seconds, rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 6, 3))[0]))
            if _drilling(card.state, day):
                drills.append(card)
        if cram_every and offset % cram_every == 0:
            for card in rng.sample(pool[:introduced], min(3, introduced)):
                seconds += rng.randint(5, 30)
                quality, duration = rng.randint(0, 5), rng.randint(1000, 9000)
                reviews.append(
                    SimReview(card.id, day, quality, "cram", card.state, card.state, duration, seconds)
                )
    seen = pool[:introduced]
    for card in seen[1::17]:
        card.suspended = True
    for card in seen[2::23]:
        card.retired = True
    for card in seen[3::29]:
        card.buried_until = today + timedelta(days=1)
    for card in seen[4::31]:
        card.state = replace(card.state, lapses=card.state.lapses + LEECH_LAPSES)
    return History(pool, reviews, today)


def _due_review(state: SM2State, day: date) -> bool:
    return state_of(facts_of(state), day) is CardState.REVIEW


def _drilling(state: SM2State, day: date) -> bool:
    return state_of(facts_of(state), day) is CardState.DRILL


def _answer(rng: random.Random, card: SimCard, day: date, seconds: int, quality: int) -> SimReview:
    before = card.state
    kind = "drill" if _drilling(before, day) else "review"
    card.state = review(before, quality, day)
    return SimReview(card.id, day, quality, kind, before, card.state, rng.randint(1500, 20_000), seconds)


def write_history(store: Store, history: History) -> None:
    """Insert a simulated history's decks, cards and reviews into an open collection, in one transaction."""
    stamp = _stamp(history.today - timedelta(days=400), 9)
    with store.transaction():
        deck_ids = {card.deck: store.ensure_deck(card.deck) for card in history.cards}
        store.connection.executemany(
            "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
            "updated_at, retired_at, suspended, buried_until, leech, reps, ease, interval, due, drill, "
            "lapses, last_review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    card.id,
                    deck_ids[card.deck],
                    card.source,
                    card.line,
                    card.context,
                    card.front,
                    f"the answer to {card.front}",
                    card.id,
                    stamp,
                    stamp,
                    stamp if card.retired else None,
                    int(card.suspended),
                    _iso(card.buried_until),
                    int(card.leech),
                    card.state.reps,
                    card.state.ease,
                    card.state.interval,
                    _iso(card.state.due),
                    int(card.state.drill),
                    card.state.lapses,
                    None,
                )
                for card in history.cards
            ],
        )
        store.connection.executemany(
            "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, "
            "ease_before, interval_before, due_before, drill_before, lapses_before, leech_before, "
            "suspended_before, reps_after, ease_after, interval_after, due_after, drill_after, "
            "lapses_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    item.card_id,
                    (
                        datetime(item.day.year, item.day.month, item.day.day)
                        + timedelta(seconds=item.seconds)
                    ).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    item.day.isoformat(),
                    item.quality,
                    item.kind,
                    item.duration_ms,
                    item.before.reps,
                    item.before.ease,
                    item.before.interval,
                    _iso(item.before.due),
                    int(item.before.drill),
                    item.before.lapses,
                    0,
                    0,
                    item.after.reps,
                    item.after.ease,
                    item.after.interval,
                    _iso(item.after.due),
                    int(item.after.drill),
                    item.after.lapses,
                )
                for item in history.reviews
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--reviews", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    make_collection(args.path, args.cards, args.reviews, args.seed, args.today)
    print(f"wrote {args.path}")


if __name__ == "__main__":
    main()
