"""Where the learner stands: the figures of `dva-cards stats`, aggregated from grouped rows. Pure.

The store does the heavy grouping in SQL (one pass over the cards, one over a year of the review index, one over
the retention window) and hands over small lists of rows; this module turns them into plain values: what is due
today, the collection by deck, a forecast, a calendar heatmap, streaks, retention, weak sections, the hardest
cards and the ease and interval distributions. No I/O and no clock: ``today`` always comes in as a value.

Definitions (the README repeats them):

* Active card: not suspended, not retired. Buried cards are active but not available today.
* Categories partition every card: ``retired`` (whatever else holds), else ``suspended``, else ``new`` (never
  scheduled: due is NULL), else ``learning`` (reps < 2), else ``young`` (interval < 21), else ``mature``.
  ``leeches`` counts leech-flagged cards that are not retired, across categories (most are suspended).
* Due now: ``review`` = available cards with reps >= 1 due today or earlier and not drilling; ``drill`` =
  available cards drilling after a 3, or re-learning after a failing grade (reps 0, due by today), exactly the
  session's drill list; ``new`` = min(new available cards, new-per-day - new cards first answered today).
* Reviews (heatmap, streak, reviewed today) are answers of kind review or drill; cram answers are counted apart.
* Streak: consecutive learner days (the stored ``day`` of each answer, so the rollover hour in force when it
  was written counts, not today's) with a review or drill answer, ending today, or yesterday while today has
  none yet; the longest run over all history.
* Forecast: active scheduled cards by due date for ``days`` days from today; overdue cards count on today.
  Buried cards count on their due date (a bury lasts a day).
* Heatmap: answers per day, 53 columns (this week and the 52 before, Monday first), days after today empty.
* Retention: first-of-day answers of learned cards, i.e. kind ``review`` with reps >= 1 and not drilling before
  the answer (a pass moves the card to a later day, a fail resets reps to 0 and a 3 starts a drill, so the
  scheduler allows one such answer per card and day); passed = graded >= 3; young/mature by interval_before
  (< 21 or not). Answers of cards pruned since still count; cram and drill answers never do.
* Weak areas: that retention per section (first part of the card's context), weakest first; a section's
  lapses are its failed answers in the window. Hardest cards: unretired cards with a lapse or an ease below
  the starting 2.5, by most lapses, then lowest ease, then source order.
* Ease and interval histograms cover the learned active cards (learning, young, mature).
* Predicted recall: FSRS's probability that each active card with a memory (answered at least once, under
  either scheduler) would be recalled today, from its stability and the days since its last answer, with the
  collection's FSRS parameters (defaults, or those `optimize` kept); its mean overall and per section, and the
  cards below the desired retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, Protocol

from . import fsrs
from .card_state import CardState, StatsCategory
from .domain import CardGroup, HardCard, MemoryRow, RetentionRow, StatsRows, TodayRow
from .fsrs import Parameters
from .identity import context_parts

SCHEMA_VERSION = 1
DEFAULT_DAYS = 30
MAX_DAYS = 365
HEATMAP_WEEKS = 53  # the current week and the 52 before it, Monday first
MATURE_DAYS = 21  # interval (days) from which a card is mature
LEARNING_REPS = 2  # a scheduled card with fewer successful reps is still learning
EASE_BUCKET = 100  # thousandths: histogram bars of 0.1 EF
# Lower bounds (days) of the interval histogram's bars; the last bar is open-ended. 21 starts "mature".
INTERVAL_EDGES = (0, 1, 2, 4, 8, 15, 21, 31, 61, 91, 181, 366)
HARDEST_LIMIT = 10
# "Hardest cards" are cards with a lapse or an ease below EF 2.0: a card answered 3 (hard) once, or failed once
# while new, has lost some ease but is not hard; four 3s or two failures bring it below 2.0.
LOW_EASE = 2000

CATEGORIES = tuple(category.name.lower() for category in StatsCategory)  # the JSON keys, in this order


# -- inputs -------------------------------------------------------------------------------------------------------


class Window(NamedTuple):
    """The days the figures cover, as dates the store compares ISO day strings with."""

    today: date
    days: int
    retention_start: date  # first day of the retention window (today included: `days` days)
    forecast_end: date  # first day after the forecast (today included: `days` days)
    heat_start: date  # Monday of the heatmap's first week


def window(today: date, days: int = DEFAULT_DAYS) -> Window:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_DAYS}, not {days}")
    monday = today - timedelta(days=today.weekday())
    return Window(
        today=today,
        days=days,
        retention_start=today - timedelta(days=days - 1),
        forecast_end=today + timedelta(days=days),
        heat_start=monday - timedelta(weeks=HEATMAP_WEEKS - 1),
    )


# -- outputs ------------------------------------------------------------------------------------------------------


class Today(NamedTuple):
    day: date
    due_review: int
    due_drill: int
    new_available: int
    reviewed: int
    cards_reviewed: int
    new_seen: int
    cram: int
    time_ms: int


class Streak(NamedTuple):
    current: int
    longest: int
    studied_today: bool


@dataclass
class DeckCounts:
    deck: str | None  # None for the total
    new: int = 0
    learning: int = 0
    young: int = 0
    mature: int = 0
    suspended: int = 0
    retired: int = 0
    leeches: int = 0
    due: int = 0  # review + drill cards due now, available today
    total: int = 0

    def add(self, category: StatsCategory, count: int) -> None:
        name = category.name.lower()
        setattr(self, name, getattr(self, name) + count)
        self.total += count


class Forecast(NamedTuple):
    days: tuple[tuple[date, int], ...]  # today first; today's count includes the overdue cards
    overdue: int  # cards due before today (counted on today)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.days)


class Heatmap(NamedTuple):
    start: date  # the Monday of the first column
    end: date  # today: cells after it are None
    weeks: tuple[tuple[int | None, ...], ...]  # HEATMAP_WEEKS columns of 7 cells, Monday first

    @property
    def counts(self) -> list[int]:
        return [cell for week in self.weeks for cell in week if cell is not None]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def max(self) -> int:
        return max(self.counts, default=0)

    @property
    def active_days(self) -> int:
        return sum(1 for count in self.counts if count > 0)


class Rate(NamedTuple):
    passed: int = 0
    reviews: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.reviews == 0 else round(self.passed / self.reviews, 4)

    def plus(self, passed: int, reviews: int) -> Rate:
        return Rate(self.passed + passed, self.reviews + reviews)


class Retention(NamedTuple):
    start: date
    end: date
    young: Rate
    mature: Rate

    @property
    def total(self) -> Rate:
        return self.young.plus(self.mature.passed, self.mature.reviews)


class Section(NamedTuple):
    """A top-level section of the notes and how its cards fared in the retention window."""

    name: str
    retention: Rate  # first-of-day answers of learned cards in the window

    @property
    def lapses(self) -> int:
        """Failed first-of-day answers of learned cards in the window: the window's lapses (SM-2's sense)."""
        return self.retention.reviews - self.retention.passed


class Bar(NamedTuple):
    low: int
    high: int | None  # inclusive; None: open-ended
    cards: int


class SectionRecall(NamedTuple):
    name: str
    cards: int
    mean: float


class PredictedRecall(NamedTuple):
    cards: int  # active cards with an FSRS memory
    mean: float | None  # None without any
    below: int  # of them, predicted below the desired retention
    desired_retention: float
    sections: tuple[SectionRecall, ...]  # lowest mean first


class Stats(NamedTuple):
    window: Window
    deck: str | None
    today: Today
    streak: Streak
    decks: tuple[DeckCounts, ...]
    total: DeckCounts
    forecast: Forecast
    heatmap: Heatmap
    retention: Retention
    sections: tuple[Section, ...]
    hardest: tuple[tuple[HardCard, str], ...]  # (card, deck name)
    ease: tuple[Bar, ...]  # thousandths
    intervals: tuple[Bar, ...]  # days
    new_per_day: int
    rollover_hour: int
    recall: PredictedRecall


# -- the use-case ---------------------------------------------------------------------------------------------------


class StatsSource(Protocol):
    """What `compute` reads from: the store (or anything that answers the same way)."""

    def require_deck(self, name: str) -> int: ...

    def stats_rows(
        self,
        *,
        today: date,
        retention_start: date,
        forecast_end: date,
        heat_start: date,
        deck_id: int | None,
        interval_edges: Sequence[int],
        mature_days: int,
        learning_reps: int,
        low_ease: int,
        hardest_limit: int,
    ) -> StatsRows: ...


def compute(
    store: StatsSource,
    *,
    today: date,
    days: int,
    deck: str | None,
    new_per_day: int,
    rollover_hour: int,
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS,
    desired_retention: float = fsrs.DEFAULT_DESIRED_RETENTION,
) -> Stats:
    """Every figure of the stats screen for `today`, all decks or one (an unknown deck is an error)."""
    deck_id = None if deck is None else store.require_deck(deck)
    win = window(today, days)
    rows = store.stats_rows(
        today=win.today,
        retention_start=win.retention_start,
        forecast_end=win.forecast_end,
        heat_start=win.heat_start,
        deck_id=deck_id,
        interval_edges=INTERVAL_EDGES,
        mature_days=MATURE_DAYS,
        learning_reps=LEARNING_REPS,
        low_ease=LOW_EASE,
        hardest_limit=HARDEST_LIMIT,
    )
    return summarize(
        rows, win, new_per_day=new_per_day, rollover_hour=rollover_hour, deck=deck, parameters=parameters,
        desired_retention=desired_retention,
    )  # fmt: skip


# -- aggregation --------------------------------------------------------------------------------------------------


def summarize(
    rows: StatsRows,
    win: Window,
    *,
    new_per_day: int,
    rollover_hour: int,
    deck: str | None = None,
    parameters: Parameters = fsrs.DEFAULT_PARAMETERS,
    desired_retention: float = fsrs.DEFAULT_DESIRED_RETENTION,
) -> Stats:
    """Every figure of the stats screen from the store's rows (`new_per_day`, `rollover_hour`: the settings)."""
    decks, total = collection(rows.card_groups, rows.decks)
    return Stats(
        window=win,
        deck=deck,
        today=today_figures(rows.card_groups, rows.today, win.today, new_per_day),
        streak=streaks(
            [day for day, count in rows.review_days if count > 0] + list(rows.older_days), win.today
        ),
        decks=decks,
        total=total,
        forecast=forecast(rows.due_by_day, win.today, win.days),
        heatmap=heatmap(rows.review_days, win.today),
        retention=retention(rows.retention, win),
        sections=sections(rows.retention),
        hardest=tuple((card, rows.decks.get(card.deck_id, "?")) for card in rows.hardest),
        ease=ease_histogram(rows.card_groups),
        intervals=interval_histogram(rows.card_groups),
        new_per_day=new_per_day,
        rollover_hour=rollover_hour,
        recall=predicted_recall(rows.memories, parameters, desired_retention),
    )


def predicted_recall(
    memories: Iterable[MemoryRow], parameters: Parameters, desired_retention: float
) -> PredictedRecall:
    """FSRS's recall probability of each card today: mean overall and per section, and how many fall below."""
    rows = list(memories)
    recalls = fsrs.retrievabilities([(row.elapsed, row.stability) for row in rows], parameters)
    totals: dict[str, list[float]] = {}  # section (untrimmed) -> [sum of R, cards]
    for row, recall in zip(rows, recalls, strict=True):
        section = totals.get(row.context)
        if section is None:
            section = totals[row.context] = [0.0, 0]
        section[0] += recall
        section[1] += 1
    cards, total = len(recalls), sum(recalls)
    below = sum(recall < desired_retention for recall in recalls)
    trimmed: dict[str, list[float]] = {}  # sections as `section_of` names them: untrimmed ones may merge
    for context, (summed, count) in totals.items():
        merged = trimmed.setdefault(section_of(context), [0.0, 0])
        merged[0] += summed
        merged[1] += count
    sections = sorted(
        (SectionRecall(name, int(count), summed / count) for name, (summed, count) in trimmed.items()),
        key=lambda section: (section.mean, section.name),
    )
    return PredictedRecall(cards, total / cards if cards else None, below, desired_retention, tuple(sections))


def collection(
    groups: Iterable[CardGroup], decks: Mapping[int, str]
) -> tuple[tuple[DeckCounts, ...], DeckCounts]:
    """Counts per deck (every deck in scope, by name, empty ones too) and their total."""
    per_deck = {deck_id: DeckCounts(name) for deck_id, name in decks.items()}
    total = DeckCounts(None)
    for group in groups:
        counts = per_deck.get(group.deck_id)
        if counts is None:
            counts = per_deck[group.deck_id] = DeckCounts(decks.get(group.deck_id, "?"))
        category, cards = group.category, group.cards
        leech = group.leech and category is not StatsCategory.RETIRED
        due = group.today.due_today
        for target in (counts, total):
            target.add(category, cards)
            if leech:
                target.leeches += cards
            if due:
                target.due += cards
    ordered = sorted(per_deck.values(), key=lambda counts: counts.deck or "")
    return tuple(ordered), total


def today_figures(groups: Iterable[CardGroup], row: TodayRow, today: date, new_per_day: int) -> Today:
    due_review = due_drill = new_cards = 0
    for group in groups:
        if group.today in (CardState.RETIRED, CardState.SUSPENDED, CardState.BURIED):
            continue
        if group.category is StatsCategory.NEW:
            new_cards += group.cards
        elif group.today is CardState.REVIEW:
            due_review += group.cards
        elif group.today is CardState.DRILL:
            due_drill += group.cards
    return Today(
        day=today,
        due_review=due_review,
        due_drill=due_drill,
        new_available=min(new_cards, max(0, new_per_day - row.new_seen)),
        reviewed=row.answers,
        cards_reviewed=row.cards,
        new_seen=row.new_seen,
        cram=row.cram,
        time_ms=row.time_ms,
    )


def streaks(days: Iterable[date], today: date) -> Streak:
    """Runs of consecutive days with reviews. The current run ends today, or yesterday while today is empty."""
    studied = {day for day in days if day <= today}
    one = timedelta(days=1)
    end = today if today in studied else today - one
    current = 0
    while end - timedelta(days=current) in studied:
        current += 1
    longest = run = 0
    previous: date | None = None
    for day in sorted(studied):
        run = run + 1 if previous is not None and day - previous == one else 1
        longest = max(longest, run)
        previous = day
    return Streak(current=current, longest=longest, studied_today=today in studied)


def forecast(due_by_day: Iterable[tuple[date, int]], today: date, days: int) -> Forecast:
    counts = [0] * days
    overdue = 0
    for day, count in due_by_day:
        offset = (day - today).days
        if offset < 0:
            overdue += count
            offset = 0
        if offset < days:
            counts[offset] += count
    return Forecast(
        days=tuple((today + timedelta(days=offset), count) for offset, count in enumerate(counts)),
        overdue=overdue,
    )


def heatmap(review_days: Iterable[tuple[date, int]], today: date) -> Heatmap:
    """Answers per day as a calendar: HEATMAP_WEEKS columns (weeks, oldest first) of 7 cells (Monday first)."""
    start = today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)
    counts: dict[date, int] = {}
    for day, count in review_days:
        counts[day] = counts.get(day, 0) + count
    weeks = []
    for week in range(HEATMAP_WEEKS):
        cells: list[int | None] = []
        for weekday in range(7):
            day = start + timedelta(weeks=week, days=weekday)
            cells.append(None if day > today else counts.get(day, 0))
        weeks.append(tuple(cells))
    return Heatmap(start=start, end=today, weeks=tuple(weeks))


def retention(rows: Iterable[RetentionRow], win: Window) -> Retention:
    young, young_passed, mature, mature_passed = 0, 0, 0, 0
    for row in rows:
        young += row.young
        young_passed += row.young_passed
        mature += row.mature
        mature_passed += row.mature_passed
    return Retention(win.retention_start, win.today, Rate(young_passed, young), Rate(mature_passed, mature))


def section_of(context: str) -> str:
    """The top-level heading of a card's context: its first part."""
    parts = context_parts(context)
    return parts[0] if parts else "(no heading)"


def sections(retention_rows: Iterable[RetentionRow]) -> tuple[Section, ...]:
    """Per top-level section, the window's retention (young and mature together); the weakest first.

    Weakest = lowest retention, then most lapses (failed answers), then name. Sections whose cards had no
    due review in the window do not appear.
    """
    totals: dict[str, list[int]] = {}  # section -> [passed, reviews]
    for row in retention_rows:
        if row.context is None:
            continue  # answers of pruned cards count in the totals, not in any section
        name = section_of(row.context)
        total = totals.get(name)
        if total is None:
            total = totals[name] = [0, 0]
        total[0] += row.young_passed + row.mature_passed
        total[1] += row.young + row.mature
    return tuple(sorted((Section(name, Rate(*total)) for name, total in totals.items()), key=_weakest_first))


def _weakest_first(section: Section) -> tuple[float, int, str]:
    rate = section.retention.rate
    return (1.0 if rate is None else rate, -section.lapses, section.name)


def ease_histogram(groups: Iterable[CardGroup]) -> tuple[Bar, ...]:
    """Learned active cards by ease, in bars of EASE_BUCKET thousandths from the lowest to the highest seen."""
    counts: dict[int, int] = {}
    for group in groups:
        if group.category.learned:
            counts[group.ease_bucket] = counts.get(group.ease_bucket, 0) + group.cards
    if not counts:
        return ()
    return tuple(
        Bar(bucket * EASE_BUCKET, bucket * EASE_BUCKET + EASE_BUCKET - 1, counts.get(bucket, 0))
        for bucket in range(min(counts), max(counts) + 1)
    )


def interval_histogram(groups: Iterable[CardGroup]) -> tuple[Bar, ...]:
    """Learned active cards by interval, in the fixed bars of INTERVAL_EDGES (all of them, empty ones too)."""
    counts = [0] * len(INTERVAL_EDGES)
    for group in groups:
        if group.category.learned:
            counts[group.interval_bucket] += group.cards
    highs: list[int | None] = [edge - 1 for edge in INTERVAL_EDGES[1:]]
    highs.append(None)
    return tuple(
        Bar(low, high, count) for low, high, count in zip(INTERVAL_EDGES, highs, counts, strict=True)
    )


def interval_bucket(interval: int) -> int:
    """The index of the interval histogram bar holding ``interval`` (the store's SQL computes the same)."""
    index = 0
    for position, edge in enumerate(INTERVAL_EDGES):
        if interval >= edge:
            index = position
    return index


# -- JSON ---------------------------------------------------------------------------------------------------------


def to_json(stats: Stats) -> dict[str, Any]:
    """All figures as one JSON object; the keys are stable (README documents each one)."""
    win = stats.window
    return {
        "schema": SCHEMA_VERSION,
        "date": win.today.isoformat(),
        "deck": stats.deck,
        "days": win.days,
        "settings": {"rollover_hour": stats.rollover_hour, "new_per_day": stats.new_per_day},
        "today": {
            "due_review": stats.today.due_review,
            "due_new": stats.today.new_available,
            "due_drill": stats.today.due_drill,
            "reviewed": stats.today.reviewed,
            "cards_reviewed": stats.today.cards_reviewed,
            "new_seen": stats.today.new_seen,
            "cram": stats.today.cram,
            "time_ms": stats.today.time_ms,
        },
        "streak": {
            "current": stats.streak.current,
            "longest": stats.streak.longest,
            "studied_today": stats.streak.studied_today,
        },
        "collection": {
            "decks": [_deck_json(counts) for counts in stats.decks],
            "total": _deck_json(stats.total),
        },
        "forecast": {
            "overdue": stats.forecast.overdue,
            "total": stats.forecast.total,
            "days": [{"date": day.isoformat(), "due": count} for day, count in stats.forecast.days],
        },
        "heatmap": {
            "start": stats.heatmap.start.isoformat(),
            "end": stats.heatmap.end.isoformat(),
            "total": stats.heatmap.total,
            "max": stats.heatmap.max,
            "active_days": stats.heatmap.active_days,
            "weeks": [list(week) for week in stats.heatmap.weeks],
        },
        "retention": {
            "start": stats.retention.start.isoformat(),
            "end": stats.retention.end.isoformat(),
            "young": _rate_json(stats.retention.young),
            "mature": _rate_json(stats.retention.mature),
            "total": _rate_json(stats.retention.total),
        },
        "sections": [
            {"section": section.name, **_rate_json(section.retention), "lapses": section.lapses}
            for section in stats.sections
        ],
        "hardest": [
            {
                "id": card.id,
                "deck": deck,
                "front": card.front,
                "context": card.context,
                "source": card.source,
                "line": card.line,
                "lapses": card.lapses,
                "ease": card.ease,
                "interval": card.interval,
                "leech": card.leech,
                "suspended": card.suspended,
            }
            for card, deck in stats.hardest
        ],
        "ease": [{"low": bar.low, "high": bar.high, "cards": bar.cards} for bar in stats.ease],
        "intervals": [{"low": bar.low, "high": bar.high, "cards": bar.cards} for bar in stats.intervals],
        "recall": {
            "desired_retention": stats.recall.desired_retention,
            "cards": stats.recall.cards,
            "mean": stats.recall.mean,
            "below_desired": stats.recall.below,
            "sections": [
                {"section": section.name, "cards": section.cards, "mean": section.mean}
                for section in stats.recall.sections
            ],
        },
    }


def _deck_json(counts: DeckCounts) -> dict[str, Any]:
    result: dict[str, Any] = {} if counts.deck is None else {"deck": counts.deck}
    for category in CATEGORIES:
        result[category] = getattr(counts, category)
    result["leeches"] = counts.leeches
    result["due"] = counts.due
    result["total"] = counts.total
    return result


def _rate_json(rate: Rate) -> dict[str, Any]:
    return {"reviews": rate.reviews, "passed": rate.passed, "retention": rate.rate}
