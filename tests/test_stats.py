"""`dva-cards stats` aggregation: the pure functions with a fixed today, and the store's SQL against a brute-force
oracle over a review history that follows the scheduler exactly (tests/bench/generate.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dateutil import tz as dateutil_tz

from dva_cards import stats
from dva_cards.card_state import CardState, StatsCategory
from dva_cards.clock import learner_today
from dva_cards.domain import CardGroup, RetentionRow, StatsRows, TodayRow
from dva_cards.scheduler import START_EASE
from dva_cards.store import Store, _bucket_sql
from tests.bench.generate import History, SimCard, simulate_history, write_history

TODAY = date(2025, 3, 12)  # a Wednesday


def summarize(
    store: Store, today: date, days: int = 30, deck: str | None = None, new_per_day: int = 20
) -> Any:
    win = stats.window(today, days)
    raw = store.stats_rows(
        today=win.today,
        retention_start=win.retention_start,
        forecast_end=win.forecast_end,
        heat_start=win.heat_start,
        deck_id=None if deck is None else store.require_deck(deck),
        interval_edges=stats.INTERVAL_EDGES,
        mature_days=stats.MATURE_DAYS,
        learning_reps=stats.LEARNING_REPS,
        low_ease=START_EASE,
        hardest_limit=stats.HARDEST_LIMIT,
    )
    return stats.summarize(raw, win, new_per_day=new_per_day, rollover_hour=4, deck=deck)


@pytest.fixture(scope="module")
def history() -> History:
    # Days 20-24 and 40 before today without study: streaks break there.
    return simulate_history(
        TODAY,
        cards=400,
        days=120,
        seed=7,
        new_per_day=3,
        reviews_per_day=12,
        skip=frozenset({*range(20, 25), 40}),
    )


@pytest.fixture
def store(tmp_path: Path, history: History) -> Any:
    with Store.open(tmp_path / "collection.db") as opened:
        write_history(opened, history)
        yield opened


# -- the oracle: every figure by brute force from the simulated cards and answers ---------------------------------


def _category(card: SimCard) -> str:
    if card.retired:
        return "retired"
    if card.suspended:
        return "suspended"
    if card.state.due is None:
        return "new"
    if card.state.reps < 2:
        return "learning"
    return "young" if card.state.interval < 21 else "mature"


def _available(card: SimCard, today: date) -> bool:
    buried = card.buried_until is not None and today < card.buried_until
    return not (card.suspended or card.retired or buried)


def oracle(history: History, today: date, days: int, deck: str | None = None, new_per_day: int = 20) -> Any:
    cards = [card for card in history.cards if deck is None or card.deck == deck]
    ids = {card.id for card in cards}
    by_id = {card.id: card for card in cards}
    answers = [item for item in history.reviews if item.card_id in ids and item.day <= today]
    categories = Counter(_category(card) for card in cards)
    state = {card.id: card.state for card in cards}
    available = [card for card in cards if _available(card, today)]
    due_review = sum(
        1
        for card in available
        if card.state.reps >= 1
        and not card.state.drill
        and card.state.due is not None
        and card.state.due <= today
    )
    due_drill = sum(
        1
        for card in available
        if card.state.drill
        or (card.state.reps == 0 and card.state.due is not None and card.state.due <= today)
    )
    new_seen = len(
        {
            item.card_id
            for item in history.reviews
            if item.day == today and item.kind == "review" and item.before.due is None
        }
    )
    new_cards = sum(1 for card in available if card.state.due is None)
    forecast = [0] * days
    for card in cards:
        if card.suspended or card.retired or card.state.due is None:
            continue
        offset = max(0, (card.state.due - today).days)
        if offset < days:
            forecast[offset] += 1
    per_day = Counter(item.day for item in answers if item.kind in ("review", "drill"))
    # Retention as the issue defines it: each card's first non-cram answer of each day in the window, when it
    # is a review of an already learned card.
    start = today - timedelta(days=days - 1)
    first: dict[tuple[str, date], Any] = {}
    for item in answers:
        if item.kind != "cram" and start <= item.day <= today:
            first.setdefault((item.card_id, item.day), item)
    young, mature, per_section = [0, 0], [0, 0], {}
    for item in first.values():
        if item.kind != "review" or item.before.reps < 1:
            continue
        target = mature if item.before.interval >= 21 else young
        target[0] += item.quality >= 3
        target[1] += 1
        section = stats.section_of(by_id[item.card_id].context)
        counts = per_section.setdefault(section, [0, 0])
        counts[0] += item.quality >= 3
        counts[1] += 1
    hardest = sorted(
        (card for card in cards if not card.retired and (card.state.lapses > 0 or card.state.ease < 2500)),
        key=lambda card: (-card.state.lapses, card.state.ease, card.source, card.line, card.id),
    )[:10]
    learned = [card for card in cards if _category(card) in ("learning", "young", "mature")]
    return {
        "categories": categories,
        "leeches": sum(1 for card in cards if card.leech and not card.retired),
        "due": (due_review, due_drill, min(new_cards, max(0, new_per_day - new_seen))),
        "forecast": forecast,
        "per_day": per_day,
        "young": tuple(young),
        "mature": tuple(mature),
        "sections": {name: tuple(counts) for name, counts in per_section.items()},
        "hardest": [card.id for card in hardest],
        "ease": Counter(card.state.ease // 100 * 100 for card in learned),
        "intervals": Counter(stats.interval_bucket(card.state.interval) for card in learned),
        "state": state,
    }


# -- the store's SQL agrees with the oracle -------------------------------------------------------------------


@pytest.mark.parametrize(("deck", "days"), [(None, 30), (None, 7), ("python", 30), ("aws-dva", 90)])
def test_store_figures_match_the_oracle(store: Store, history: History, deck: str | None, days: int) -> None:
    figures = summarize(store, TODAY, days, deck)
    expected = oracle(history, TODAY, days, deck)

    total = figures.total
    for category in stats.CATEGORIES:
        assert getattr(total, category) == expected["categories"][category], category
    assert total.total == sum(expected["categories"].values())
    assert total.leeches == expected["leeches"]
    assert sum(counts.total for counts in figures.decks) == total.total
    assert (figures.today.due_review, figures.today.due_drill, figures.today.new_available) == expected["due"]
    assert total.due == expected["due"][0] + expected["due"][1]

    assert [count for _, count in figures.forecast.days] == expected["forecast"]
    assert figures.forecast.days[0][0] == TODAY and len(figures.forecast.days) == days

    heat = {
        figures.heatmap.start + timedelta(weeks=week, days=weekday): cell
        for week, cells in enumerate(figures.heatmap.weeks)
        for weekday, cell in enumerate(cells)
        if cell is not None
    }
    assert heat == {day: expected["per_day"].get(day, 0) for day in heat}

    assert (figures.retention.young.passed, figures.retention.young.reviews) == expected["young"]
    assert (figures.retention.mature.passed, figures.retention.mature.reviews) == expected["mature"]
    sections = {
        section.name: (section.retention.passed, section.retention.reviews) for section in figures.sections
    }
    assert sections == expected["sections"]

    assert [card.id for card, _ in figures.hardest] == expected["hardest"]
    assert {bar.low: bar.cards for bar in figures.ease if bar.cards} == dict(expected["ease"])
    assert {index: bar.cards for index, bar in enumerate(figures.intervals) if bar.cards} == dict(
        expected["intervals"]
    )


def test_answers_of_pruned_cards_count_in_retention_but_in_no_section(store: Store, history: History) -> None:
    window_start = TODAY - timedelta(days=29)
    reviewed = sorted(
        {item.card_id for item in history.reviews if item.day >= window_start and item.kind == "review"}
    )
    pruned = reviewed[:15]
    with store.transaction():
        store.connection.executemany("DELETE FROM card WHERE id = ?", [(card,) for card in pruned])
    figures = summarize(store, TODAY)
    expected = oracle(history, TODAY, 30)  # over every answer, pruned cards' included
    assert (figures.retention.young.passed, figures.retention.young.reviews) == expected["young"]
    assert (figures.retention.mature.passed, figures.retention.mature.reviews) == expected["mature"]
    in_sections = sum(section.retention.reviews for section in figures.sections)
    pruned_answers = sum(
        1
        for item in history.reviews
        if item.card_id in pruned
        and item.day >= window_start
        and item.kind == "review"
        and item.before.reps >= 1
    )
    assert pruned_answers > 0
    assert in_sections == figures.retention.total.reviews - pruned_answers
    assert figures.total.total == len(history.cards) - len(pruned)


def test_the_history_has_every_case_the_figures_distinguish(history: History) -> None:
    """Guards the oracle test against a history too tame to catch anything."""
    expected = oracle(history, TODAY, 30)
    assert all(expected["categories"][category] for category in stats.CATEGORIES)
    assert expected["young"][1] and expected["mature"][1]
    assert expected["young"][0] < expected["young"][1]  # some failures
    assert all(expected["due"][:2])
    assert any(card.state.due is not None and card.state.due < TODAY for card in history.cards)  # overdue
    assert Counter(item.kind for item in history.reviews).keys() == {"review", "drill", "cram"}
    assert any(card.buried_until for card in history.cards)


def test_streaks_come_from_the_stored_days(store: Store, history: History) -> None:
    figures = summarize(store, TODAY)
    studied = {item.day for item in history.reviews if item.kind != "cram"}
    assert figures.streak == stats.streaks(studied, TODAY)
    assert figures.streak.current == 20  # days 0-19 before today; days 20-24 were skipped
    assert figures.streak.studied_today


def test_due_review_answers_are_the_first_of_their_day(history: History) -> None:
    """The store counts answers of kind review with reps >= 1; the scheduler makes them each card's first
    non-cram answer of its day, which is the issue's definition of a retention sample."""
    candidates = {
        (item.card_id, item.day)
        for item in history.reviews
        if item.kind == "review" and item.before.reps >= 1
    }
    first: dict[tuple[str, date], Any] = {}
    for item in history.reviews:
        if item.kind != "cram":
            first.setdefault((item.card_id, item.day), item)
    assert len(candidates) == sum(
        1 for item in history.reviews if item.kind == "review" and item.before.reps >= 1
    )
    assert candidates == {
        key for key, item in first.items() if item.kind == "review" and item.before.reps >= 1
    }


def test_a_day_counts_where_it_was_stored_whatever_the_clock_said(tmp_path: Path) -> None:
    """A 1 a.m. answer written for the previous learner day stays on that day: stats never recompute days."""
    history = simulate_history(TODAY, cards=10, days=3, seed=1, cram_every=0)
    with Store.open(tmp_path / "collection.db") as store:
        write_history(store, history)
        store.connection.execute("UPDATE review SET reviewed_at = day || ' 23:59:59.000000'")
        store.connection.execute(
            "UPDATE review SET reviewed_at = date(day, '+1 day') || ' 01:00:00.000000' WHERE day = ?",
            (TODAY.isoformat(),),
        )
        store.set_setting("rollover-hour", "0")
        figures = summarize(store, TODAY)
    per_day = Counter(item.day for item in history.reviews if item.kind != "cram")
    assert figures.heatmap.weeks[-1][TODAY.weekday()] == per_day[TODAY]
    assert figures.streak.current == 3


def test_hardest_cards_most_lapses_then_lowest_ease_then_source_order(tmp_path: Path) -> None:
    rows = [
        # id, lapses, ease, line, retired
        ("a", 2, 2100, 5, False),
        ("b", 5, 2400, 9, False),
        ("c", 5, 1900, 7, False),
        ("d", 0, 2500, 1, False),  # never lapsed, ease untouched: not hard
        ("e", 0, 2360, 3, False),  # a few 3s: hard-ish
        ("f", 9, 1300, 2, True),  # retired: left out
        ("g", 2, 2100, 4, False),  # ties with a: earlier line first
    ]
    with Store.open(tmp_path / "collection.db") as store:
        with store.transaction():
            deck = store.ensure_deck("d")
            store.connection.executemany(
                "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
                "updated_at, retired_at, suspended, leech, reps, ease, interval, due, drill, lapses) "
                "VALUES (?, ?, 'n.md', ?, 'S', ?, 'b', 'h', 't', 't', ?, 0, 0, 3, ?, 10, ?, 0, ?)",
                [
                    (
                        card,
                        deck,
                        line,
                        f"front {card}",
                        "t" if retired else None,
                        ease,
                        TODAY.isoformat(),
                        lapses,
                    )
                    for card, lapses, ease, line, retired in rows
                ],
            )
        figures = summarize(store, TODAY)
    assert [card.id for card, _ in figures.hardest] == ["c", "b", "g", "a", "e"]
    assert [deck for _, deck in figures.hardest] == ["d"] * 5


def test_empty_collection_gives_zeros_not_errors(tmp_path: Path) -> None:
    with Store.open(tmp_path / "collection.db") as store:
        figures = summarize(store, TODAY)
    assert figures.decks == () and figures.total.total == 0
    assert figures.streak == stats.Streak(0, 0, False)
    assert figures.forecast.total == 0 and len(figures.forecast.days) == 30
    assert figures.heatmap.total == 0 and len(figures.heatmap.weeks) == stats.HEATMAP_WEEKS
    assert figures.retention.total.rate is None
    assert figures.sections == () and figures.hardest == () and figures.ease == ()
    assert [bar.cards for bar in figures.intervals] == [0] * len(stats.INTERVAL_EDGES)


# -- pure functions -------------------------------------------------------------------------------------------


def days_before(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=offset) for offset in offsets]


def test_streak_counts_back_from_today_across_no_gap() -> None:
    # today, 1, 2 | gap at 3 | 4..10 (7 days)
    streak = stats.streaks(days_before(0, 1, 2, *range(4, 11)), TODAY)
    assert streak == stats.Streak(current=3, longest=7, studied_today=True)


def test_streak_still_runs_until_the_day_is_over() -> None:
    streak = stats.streaks(days_before(1, 2, 3), TODAY)
    assert streak == stats.Streak(current=3, longest=3, studied_today=False)


def test_streak_is_broken_by_a_missed_yesterday() -> None:
    assert stats.streaks(days_before(2, 3, 4, 5), TODAY) == stats.Streak(0, 4, False)
    assert stats.streaks([], TODAY) == stats.Streak(0, 0, False)


def test_streak_ignores_days_after_today_and_duplicates() -> None:
    days = [*days_before(0, 0, 1), TODAY + timedelta(days=1), TODAY + timedelta(days=2)]
    assert stats.streaks(days, TODAY) == stats.Streak(2, 2, True)


def test_forecast_puts_overdue_cards_on_today_and_stops_at_the_window() -> None:
    due = [
        (TODAY - timedelta(days=40), 2),
        (TODAY - timedelta(days=1), 3),
        (TODAY, 1),
        (TODAY + timedelta(days=2), 4),
        (TODAY + timedelta(days=7), 9),  # outside a 7-day forecast
    ]
    forecast = stats.forecast(due, TODAY, 7)
    assert [count for _, count in forecast.days] == [6, 0, 4, 0, 0, 0, 0]
    assert [day for day, _ in forecast.days] == [TODAY + timedelta(days=n) for n in range(7)]
    assert forecast.overdue == 5 and forecast.total == 10


@pytest.mark.parametrize("weekday", range(7))
def test_heatmap_is_53_weeks_of_7_days_ending_today(weekday: int) -> None:
    today = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=weekday)
    counts = [(today, 5), (today - timedelta(days=1), 2), (today - timedelta(days=400), 99)]
    heatmap = stats.heatmap(counts, today)
    assert len(heatmap.weeks) == stats.HEATMAP_WEEKS == 53
    assert all(len(week) == 7 for week in heatmap.weeks)
    assert heatmap.start.weekday() == 0 and heatmap.end == today
    assert heatmap.start == stats.window(today).heat_start
    last = heatmap.weeks[-1]
    assert last[weekday] == 5
    assert all(cell is None for cell in last[weekday + 1 :])
    assert sum(cell is not None for week in heatmap.weeks for cell in week) == 52 * 7 + weekday + 1
    assert heatmap.total == 7 and heatmap.max == 5 and heatmap.active_days == 2  # the 400-day-old one is out


def test_retention_splits_young_and_mature() -> None:
    rows = [
        RetentionRow("EC2 › A", 8, 10, 0, 0),
        RetentionRow("S3", 0, 0, 3, 4),
        RetentionRow(None, 1, 2, 0, 0),
        RetentionRow("EC2 › B", 0, 0, 0, 1),
    ]
    retention = stats.retention(rows, stats.window(TODAY, 30))
    assert retention.young == stats.Rate(9, 12) and retention.mature == stats.Rate(3, 5)
    assert retention.total == stats.Rate(12, 17) and retention.total.rate == round(12 / 17, 4)
    assert retention.start == TODAY - timedelta(days=29) and retention.end == TODAY


def test_sections_group_contexts_by_their_top_heading_weakest_first() -> None:
    rows = [
        RetentionRow("EC2 › Purchasing › On-Demand", 9, 10, 0, 0),
        RetentionRow("EC2 › Storage", 0, 0, 4, 10),
        RetentionRow("IAM", 19, 20, 0, 0),
        RetentionRow("S3 › Classes", 1, 4, 0, 0),
        RetentionRow(None, 0, 50, 0, 0),  # pruned cards: in the totals only
        RetentionRow("", 1, 1, 0, 0),
    ]
    sections = stats.sections(rows)
    assert [(s.name, s.retention.passed, s.retention.reviews, s.lapses) for s in sections] == [
        ("S3", 1, 4, 3),
        ("EC2", 13, 20, 7),
        ("IAM", 19, 20, 1),
        ("(no heading)", 1, 1, 0),
    ]


def test_section_of_is_the_first_part_of_the_context() -> None:
    assert stats.section_of("EC2 › EC2 Purchasing Options › On-Demand Instances") == "EC2"
    assert stats.section_of("Regions") == "Regions"
    assert stats.section_of("  ") == "(no heading)"
    assert stats.section_of("a›b") == "a›b"  # the separator has spaces around it


def test_categories_partition_the_cards_and_histograms_cover_learned_ones() -> None:
    groups = [
        CardGroup(1, StatsCategory.NEW, 25, 0, CardState.NEW, False, 4),
        CardGroup(1, StatsCategory.LEARNING, 25, 1, CardState.REVIEW, False, 2),
        CardGroup(1, StatsCategory.YOUNG, 21, 4, CardState.DRILL, False, 3),
        CardGroup(2, StatsCategory.MATURE, 14, 7, CardState.BURIED, True, 1),
        CardGroup(2, StatsCategory.SUSPENDED, 13, 6, CardState.SUSPENDED, True, 5),
        CardGroup(2, StatsCategory.RETIRED, 30, 11, CardState.RETIRED, True, 6),
    ]
    decks, total = stats.collection(groups, {1: "b-deck", 2: "a-deck", 3: "empty"})
    assert [counts.deck for counts in decks] == ["a-deck", "b-deck", "empty"]
    assert (total.new, total.learning, total.young, total.mature) == (4, 2, 3, 1)
    assert (total.suspended, total.retired, total.total) == (5, 6, 21)
    assert total.leeches == 6  # leech-flagged and not retired, whatever else they are
    assert total.due == 5  # review 2 + drill 3; the buried and the suspended are not due
    assert decks[2].total == 0
    today = stats.today_figures(groups, TodayRow(new_seen=18), TODAY, 20)
    assert (today.due_review, today.due_drill, today.new_available) == (2, 3, 2)
    assert stats.ease_histogram(groups) == (
        stats.Bar(1400, 1499, 1),
        *(stats.Bar(low, low + 99, 0) for low in range(1500, 2100, 100)),
        stats.Bar(2100, 2199, 3),
        *(stats.Bar(low, low + 99, 0) for low in range(2200, 2500, 100)),
        stats.Bar(2500, 2599, 2),
    )
    assert [bar.cards for bar in stats.interval_histogram(groups)] == [0, 2, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0]


def test_interval_buckets_in_sql_and_python_agree() -> None:
    connection = sqlite3.connect(":memory:")
    sql = _bucket_sql("x", stats.INTERVAL_EDGES)
    for interval in [*range(0, 400), 1000, 36_500]:
        (bucket,) = connection.execute(f"SELECT {sql} FROM (SELECT ? AS x)", (interval,)).fetchone()
        assert bucket == stats.interval_bucket(interval)
        low = stats.INTERVAL_EDGES[bucket]
        assert low <= interval
    bars = stats.interval_histogram([])
    assert bars[0] == stats.Bar(0, 0, 0) and bars[-1] == stats.Bar(366, None, 0)
    assert bars[6].low == stats.MATURE_DAYS


def test_window_bounds() -> None:
    win = stats.window(TODAY, 30)
    assert win.retention_start == TODAY - timedelta(days=29)
    assert win.forecast_end == TODAY + timedelta(days=30)
    assert win.heat_start == date(2024, 3, 11)  # a Monday, 52 weeks before this week's
    with pytest.raises(ValueError):
        stats.window(TODAY, 0)
    with pytest.raises(ValueError):
        stats.window(TODAY, stats.MAX_DAYS + 1)


def test_to_json_is_plain_data() -> None:
    rows = StatsRows({}, [], [], [], [], TodayRow(), [], [])
    result = stats.to_json(stats.summarize(rows, stats.window(TODAY), new_per_day=20, rollover_hour=4))
    assert result["date"] == "2025-03-12" and result["schema"] == stats.SCHEMA_VERSION
    assert len(result["heatmap"]["weeks"]) == 53 and result["retention"]["total"]["retention"] is None


# -- the learner's day without dateutil ------------------------------------------------------------------------


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)
def test_learner_day_in_the_local_zone_matches_the_explicit_zone(local_zone: Any, zone: str) -> None:
    if not os.path.exists(f"/usr/share/zoneinfo/{zone}"):
        pytest.skip(f"no zone data for {zone}")
    local_zone(zone)
    explicit = dateutil_tz.gettz(zone)
    # Every 20 minutes across both 2025 DST changes of the northern and the southern hemisphere.
    starts = [
        datetime(2025, 3, 29, tzinfo=UTC),
        datetime(2025, 4, 4, tzinfo=UTC),
        datetime(2025, 10, 24, tzinfo=UTC),
    ]
    for start in starts:
        for step in range(0, 4 * 24 * 3):
            now = start + timedelta(minutes=20 * step)
            for hour in (0, 4, 23):
                assert learner_today(now, hour) == learner_today(now, hour, explicit), (zone, now, hour)


def test_learner_day_wants_an_aware_time() -> None:
    with pytest.raises(ValueError):
        learner_today(datetime(2025, 1, 1, 12))
