"""The review queries and writes of `Store`: exact undo, cram, leeches, burying, daily counts, the queue."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dva_cards.card_state import CardFacts, category_of, counts_as_due_by, state_of
from dva_cards.domain import Answer, CardSchedule
from dva_cards.scheduler import SM2State, review
from dva_cards.session import CardInfo, DailyLimits, build_queue, facts_of
from dva_cards.store import Store
from tests.review_fixtures import FRONTS, TODAY, card_row, ids_by_front, import_text, review_rows, set_card

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "collection.db") as opened:
        import_text(opened, tmp_path / "notes" / "aws.md")
        yield opened


def answer(store: Store, card_id: str, quality: int, day: date = TODAY, kind: str | None = None) -> int:
    """Grade a card the way the review loop does (without leech handling)."""
    card = store.review_card(card_id)
    assert card is not None
    before = card.schedule
    after = review(before.state, quality, day) if kind != "cram" else before.state
    chosen = kind or (
        "drill" if before.state.drill or (before.state.reps == 0 and before.state.due) else "review"
    )
    return store.record_answer(
        Answer(card_id, quality, chosen, before, after, before.leech, before.suspended, AT, day, 1234)
    )


# -- one answer, and its undo ------------------------------------------------------------------------------------


def test_record_answer_writes_card_and_review_row_in_one_go(store: Store) -> None:
    card_id = ids_by_front(store)["EC2"]
    review_id = answer(store, card_id, 4)
    card = store.review_card(card_id)
    assert card is not None
    assert card.schedule.state == SM2State(reps=1, ease=2500, interval=1, due=TODAY + timedelta(days=1))
    assert card.schedule.last_review == "2026-03-10 12:00:00.000000"
    [row] = review_rows(store.connection)
    assert row["id"] == review_id
    assert (row["card_id"], row["quality"], row["kind"], row["duration_ms"]) == (card_id, 4, "review", 1234)
    assert (row["day"], row["reviewed_at"]) == ("2026-03-10", "2026-03-10 12:00:00.000000")
    before = (
        row["reps_before"],
        row["ease_before"],
        row["interval_before"],
        row["due_before"],
        row["drill_before"],
    )
    assert before == (0, 2500, 0, None, 0)
    after = (
        row["reps_after"],
        row["ease_after"],
        row["interval_after"],
        row["due_after"],
        row["drill_after"],
    )
    assert after == (1, 2500, 1, "2026-03-11", 0)
    assert (row["lapses_before"], row["lapses_after"], row["leech_before"], row["suspended_before"]) == (
        0,
        0,
        0,
        0,
    )


def test_reviewed_at_is_stored_in_utc(store: Store) -> None:
    card_id = ids_by_front(store)["EC2"]
    card = store.review_card(card_id)
    assert card is not None
    paris = AT.astimezone(__import__("dateutil.tz").tz.gettz("Europe/Paris"))
    state = review(card.schedule.state, 5, TODAY)
    store.record_answer(Answer(card_id, 5, "review", card.schedule, state, False, False, paris, TODAY))
    assert review_rows(store.connection)[0]["reviewed_at"] == "2026-03-10 12:00:00.000000"


def test_answer_then_undo_restores_the_card_row_exactly(store: Store) -> None:
    card_id = ids_by_front(store)["Lambda"]
    # A learned leech with an odd last_review and a past burial: every column must come back as it was.
    set_card(
        store, card_id, reps=4, ease=1960, interval=23, due="2026-03-08", lapses=7, leech=1,
        last_review="2026-02-13 21:07:00.123456", buried_until="2026-03-01",
    )  # fmt: skip
    original = card_row(store.connection, card_id)
    card = store.review_card(card_id)
    assert card is not None
    after = review(card.schedule.state, 1, TODAY)
    review_id = store.record_answer(
        Answer(card_id, 1, "review", card.schedule, after, True, True, AT, TODAY, 900)
    )
    changed = card_row(store.connection, card_id)
    assert changed != original
    row = review_rows(store.connection)[0]
    assert (row["leech_before"], row["suspended_before"], row["lapses_after"]) == (1, 0, 8)
    store.undo_answer(review_id, card_id, card.schedule)
    assert card_row(store.connection, card_id) == original
    assert review_rows(store.connection) == []


def test_several_answers_undone_in_reverse_order(store: Store) -> None:
    card_id = ids_by_front(store)["S3"]
    rows = [card_row(store.connection, card_id)]
    undo: list[tuple[int, CardSchedule]] = []
    for quality in (3, 3, 5):  # pass with a 3, drill again, then leave the drill
        card = store.review_card(card_id)
        assert card is not None
        undo.append((answer(store, card_id, quality), card.schedule))
        rows.append(card_row(store.connection, card_id))
    assert [row["kind"] for row in review_rows(store.connection)] == ["review", "drill", "drill"]
    while undo:
        review_id, schedule = undo.pop()
        rows.pop()
        store.undo_answer(review_id, card_id, schedule)
        assert card_row(store.connection, card_id) == rows[-1]
    assert review_rows(store.connection) == []


def test_suspend_bury_and_restore(store: Store) -> None:
    card_id = ids_by_front(store)["EBS"]
    original = card_row(store.connection, card_id)
    card = store.review_card(card_id)
    assert card is not None
    store.set_suspended(card_id)
    assert store.review_card(card_id).schedule.suspended  # type: ignore[union-attr]
    store.restore_schedule(card_id, card.schedule, current=replace(card.schedule, suspended=True))
    assert card_row(store.connection, card_id) == original
    store.bury(card_id, TODAY + timedelta(days=1))
    assert store.review_card(card_id).schedule.buried_until == date(2026, 3, 11)  # type: ignore[union-attr]
    store.restore_schedule(card_id, card.schedule, current=card.schedule)
    assert card_row(store.connection, card_id) == original


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    card = store.review_card(ids_by_front(store)["EC2"])
    assert card is not None
    ghost = Answer(
        "0000000000000000", 4, "review", card.schedule, card.schedule.state, False, False, AT, TODAY
    )
    with pytest.raises(Exception, match="no longer in the collection"):
        store.record_answer(ghost)
    assert review_rows(store.connection) == []


# -- cram ----------------------------------------------------------------------------------------------------------


def test_cram_answer_logs_state_before_equal_after_and_leaves_the_card_alone(store: Store) -> None:
    card_id = ids_by_front(store)["ASG"]
    set_card(store, card_id, reps=2, ease=2360, interval=6, due="2026-03-20", lapses=1)
    original = card_row(store.connection, card_id)
    review_id = answer(store, card_id, 1, kind="cram")
    assert card_row(store.connection, card_id) == original
    [row] = review_rows(store.connection)
    assert row["kind"] == "cram" and row["quality"] == 1
    for field in ("reps", "ease", "interval", "due", "drill", "lapses"):
        assert row[f"{field}_before"] == row[f"{field}_after"]
    store.undo_answer(review_id, card_id, None)
    assert review_rows(store.connection) == []
    assert card_row(store.connection, card_id) == original


def test_cram_answer_that_changes_state_is_refused(store: Store) -> None:
    card = store.review_card(ids_by_front(store)["ASG"])
    assert card is not None
    changed = review(card.schedule.state, 5, TODAY)
    with pytest.raises(ValueError, match="cram"):
        store.record_answer(Answer(card.id, 5, "cram", card.schedule, changed, False, False, AT, TODAY))


def test_cram_candidates_are_every_unretired_card_in_source_order(store: Store, tmp_path: Path) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["EC2"], suspended=1)
    set_card(store, ids["S3"], retired_at="2026-03-02 10:00:00.000000")
    got = store.cram_candidates(store.deck_id("aws"))
    assert [card_id for card_id, _ in got] == [ids[f] for f in FRONTS if f != "S3"]
    assert dict(got)[ids["Timeout"]] == "Compute › Lambda"
    import_text(store, tmp_path / "notes" / "more.md", "* **Zed** - last\n", deck="zz")
    assert len(store.cram_candidates(None)) == 6
    assert store.cram_candidates(None)[-1][0] == ids_by_front(store)["Zed"]


# -- leeches -------------------------------------------------------------------------------------------------------


def test_leech_flag_and_suspend_are_stored(store: Store) -> None:
    card_id = ids_by_front(store)["EC2"]
    set_card(store, card_id, reps=3, interval=15, due="2026-03-10", lapses=7)
    card = store.review_card(card_id)
    assert card is not None
    after = review(card.schedule.state, 0, TODAY)
    assert after.lapses == 8
    store.record_answer(Answer(card_id, 0, "review", card.schedule, after, True, True, AT, TODAY))
    stored = store.review_card(card_id)
    assert stored is not None and stored.schedule.leech and stored.schedule.suspended
    assert store.queue_candidates(TODAY, new_limit=0, review_limit=100) == []


# -- what the queue draws on -----------------------------------------------------------------------------------------


def test_bury_hides_a_card_until_tomorrow(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["EC2"], reps=2, interval=6, due="2026-03-09")
    set_card(store, ids["Lambda"], reps=0, interval=0, due="2026-03-10", lapses=1)  # re-learning
    store.bury(ids["EC2"], TODAY + timedelta(days=1))
    store.bury(ids["Lambda"], TODAY + timedelta(days=1))
    store.bury(ids["S3"], TODAY + timedelta(days=1))  # a new card
    today = {card.id for card in store.queue_candidates(TODAY, new_limit=100, review_limit=100)}
    assert not today & {ids["EC2"], ids["Lambda"], ids["S3"]}
    tomorrow = {
        card.id for card in store.queue_candidates(TODAY + timedelta(1), new_limit=100, review_limit=100)
    }
    assert {ids["EC2"], ids["Lambda"], ids["S3"]} <= tomorrow


def test_suspended_and_retired_cards_are_never_fetched(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["EC2"], suspended=1)
    set_card(store, ids["Lambda"], suspended=1, reps=2, interval=6, due="2026-03-01")
    set_card(store, ids["ASG"], retired_at="2026-03-02 10:00:00.000000")
    set_card(store, ids["S3"], retired_at="2026-03-02 10:00:00.000000", reps=0, due="2026-03-10", drill=0)
    set_card(store, ids["EBS"], suspended=1, reps=1, interval=1, due="2026-04-01", drill=1)
    fetched = [card.id for card in store.queue_candidates(TODAY, new_limit=100, review_limit=100)]
    assert fetched == [ids["Timeout"]]


def test_new_cards_in_source_order_across_decks_up_to_the_limit(store: Store, tmp_path: Path) -> None:
    import_text(
        store, tmp_path / "notes" / "a.md", "* **First** - of deck a\n* **Second** - x\n", deck="a-deck"
    )
    ids = ids_by_front(store)
    fetched = [card.id for card in store.queue_candidates(TODAY, new_limit=4, review_limit=0)]
    assert fetched == [ids["First"], ids["Second"], ids["EC2"], ids["Lambda"]]
    deck = store.deck_id("aws")
    fetched = [card.id for card in store.queue_candidates(TODAY, deck_id=deck, new_limit=2, review_limit=0)]
    assert fetched == [ids["EC2"], ids["Lambda"]]
    assert store.queue_candidates(TODAY, new_limit=0, review_limit=0) == []


def test_due_reviews_most_overdue_first_up_to_the_limit(store: Store) -> None:
    ids = ids_by_front(store)
    for front, due in (
        ("EC2", "2026-03-10"),
        ("Lambda", "2026-02-01"),
        ("S3", "2026-03-05"),
        ("EBS", "2026-03-11"),
    ):
        set_card(store, ids[front], reps=2, interval=6, due=due)
    fetched = [card.id for card in store.queue_candidates(TODAY, new_limit=0, review_limit=2)]
    assert fetched == [ids["Lambda"], ids["S3"]]
    info = store.queue_candidates(TODAY, new_limit=0, review_limit=1)[0]
    assert info.state == SM2State(reps=2, ease=2500, interval=6, due=date(2026, 2, 1))
    assert info.order == ("aws", str(Path(store.cards()[0].source)), 3)


def test_drills_and_relearning_cards_are_fetched_whatever_the_limits(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["EC2"], reps=1, interval=1, due="2026-03-25", drill=1)  # graded 3, drilling
    set_card(store, ids["S3"], reps=0, interval=0, due="2026-03-09", lapses=1)  # failed yesterday
    set_card(store, ids["EBS"], reps=0, interval=0, due="2026-03-11", lapses=1)  # not today (clock skew)
    fetched = {card.id for card in store.queue_candidates(TODAY, new_limit=0, review_limit=0)}
    assert fetched == {ids["EC2"], ids["S3"]}


def random_collection(store: Store, tmp_path: Path, seed: int = 7) -> list[CardInfo]:
    """Two decks of cards in every state (new, due, re-learning, drilling, suspended, buried, later)."""
    rng = random.Random(seed)
    lines = [f"* **Term {n}** - answer {n}" for n in range(120)]
    import_text(store, tmp_path / "n" / "big.md", "# Big\n" + "\n".join(lines[:80]) + "\n", deck="big")
    import_text(store, tmp_path / "n" / "all.md", "# All\n" + "\n".join(lines[80:]) + "\n", deck="all")
    every = store.connection.execute("SELECT id FROM card").fetchall()
    for (card_id,) in every:
        roll = rng.random()
        due = (TODAY + timedelta(days=rng.randint(-30, 5))).isoformat()
        if roll < 0.3:
            continue  # new
        if roll < 0.7:
            set_card(store, card_id, reps=rng.randint(1, 5), interval=rng.randint(1, 40), due=due)
        elif roll < 0.8:
            set_card(store, card_id, reps=0, interval=0, due=due, lapses=1)
        elif roll < 0.85:
            set_card(store, card_id, reps=1, interval=1, due=due, drill=1)
        elif roll < 0.9:
            set_card(store, card_id, reps=2, due=due, suspended=1)
        else:
            set_card(store, card_id, reps=2, due=due, buried_until=(TODAY + timedelta(1)).isoformat())
    return random_collection_state(store)


def test_queue_from_candidates_equals_queue_from_every_card(tmp_path: Path) -> None:
    """The SQL cut (indexes + LIMIT) keeps exactly the cards build_queue would keep from the whole collection."""
    with Store.open(tmp_path / "c.db") as store:
        all_cards = random_collection(store, tmp_path)
        for new_limit, review_limit in ((0, 0), (3, 5), (10, 10), (25, 1), (500, 500)):
            limits = DailyLimits(new_limit, review_limit)
            fetched = store.queue_candidates(TODAY, new_limit=new_limit, review_limit=review_limit)
            assert build_queue(fetched, TODAY, limits) == build_queue(all_cards, TODAY, limits)
            deck = store.deck_id("big")
            in_deck = [card for card in all_cards if card.order[0] == "big"]
            fetched = store.queue_candidates(
                TODAY, deck_id=deck, new_limit=new_limit, review_limit=review_limit
            )
            assert build_queue(fetched, TODAY, limits) == build_queue(in_deck, TODAY, limits)


def test_due_counts_and_stats_groups_equal_the_python_rules(tmp_path: Path) -> None:
    """The store's SQL (due counts, the stats screen's card groups) and the Python rules of card_state agree."""
    with Store.open(tmp_path / "c.db") as store:
        set_card(
            store, random_collection(store, tmp_path, seed=11)[0].id, retired_at="2026-03-02 10:00:00.000000"
        )
        every = random_collection_state(store)
        for day in (TODAY - timedelta(days=3), TODAY, TODAY + timedelta(days=2)):
            expected = sum(1 for card in every if counts_as_due_by(facts(card), day))
            assert store.due_count(day) == expected, day
        raw = store.stats_rows(
            today=TODAY, retention_start=TODAY, forecast_end=TODAY + timedelta(days=1), heat_start=TODAY,
            deck_id=None, interval_edges=(0, 1), mature_days=21, learning_reps=2, low_ease=2500,
            hardest_limit=1,
        )  # fmt: skip
        grouped: Counter[tuple[int, int]] = Counter()
        for group in raw.card_groups:
            grouped[(int(group.category), int(group.today))] += group.cards
        python = Counter(
            (
                int(category_of(facts(card), learning_reps=2, mature_days=21)),
                int(state_of(facts(card), TODAY)),
            )
            for card in every
        )
        assert grouped == python


def random_collection_state(store: Store) -> list[CardInfo]:
    return [
        CardInfo(card.id, _state(store, card.id), (card.deck, card.source, card.line), card.suspended,
                 _buried(store, card.id), card.retired)
        for card in store.cards(include_retired=True)
    ]  # fmt: skip


def facts(card: CardInfo) -> CardFacts:
    return facts_of(
        card.state, suspended=card.suspended, buried_until=card.buried_until, retired=card.retired
    )


def _state(store: Store, card_id: str) -> SM2State:
    card = store.review_card(card_id)
    assert card is not None
    return card.schedule.state


def _buried(store: Store, card_id: str) -> date | None:
    card = store.review_card(card_id)
    assert card is not None
    return card.schedule.buried_until


def test_queue_queries_use_the_partial_indexes(store: Store) -> None:
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)
    store.queue_candidates(TODAY, deck_id=store.deck_id("aws"), new_limit=5, review_limit=5)
    store.connection.set_trace_callback(None)
    plans = {
        sql: " ".join(row[-1] for row in store.connection.execute("EXPLAIN QUERY PLAN " + sql))
        for sql in statements
        if sql.startswith("SELECT")
    }
    reviews = [plan for sql, plan in plans.items() if "c.reps > 0" in sql]
    new = [plan for sql, plan in plans.items() if "c.due IS NULL" in sql]
    assert reviews and all("ix_card_due" in plan for plan in reviews)
    assert new and all("ix_card_new" in plan for plan in new)
    drilling = [plan for sql, plan in plans.items() if "c.drill = 1" in sql]
    assert drilling and all("ix_card_drill" in plan for plan in drilling)
    assert all("LIMIT" in sql for sql in plans if "c.reps > 0" in sql or "c.due IS NULL" in sql)


# -- daily counts ----------------------------------------------------------------------------------------------------


def test_new_seen_and_reviews_done_today(store: Store) -> None:
    ids = ids_by_front(store)
    assert store.answers_today(TODAY) == (0, 0)
    set_card(store, ids["S3"], reps=2, interval=6, due="2026-03-09")
    set_card(store, ids["EBS"], reps=2, interval=6, due="2026-03-10")
    answer(store, ids["EC2"], 4)  # new
    answer(store, ids["Lambda"], 3)  # new, then drilled
    answer(store, ids["Lambda"], 3)
    answer(store, ids["Timeout"], 1)  # new, failed, re-learned
    answer(store, ids["Timeout"], 4)
    answer(store, ids["S3"], 5)  # a due review
    last = answer(store, ids["EBS"], 0)  # a due review, failed
    answer(store, ids["ASG"], 5, kind="cram")  # cram uses up nothing
    assert store.answers_today(TODAY) == (3, 2)
    assert store.answers_today(TODAY + timedelta(days=1)) == (0, 0)
    ebs = store.review_card(ids["EBS"])
    assert ebs is not None
    store.undo_answer(last, ids["EBS"], CardSchedule(SM2State(2, 2500, 6, TODAY)))
    assert store.answers_today(TODAY) == (3, 1)


def test_due_count_for_tomorrow(store: Store) -> None:
    ids = ids_by_front(store)
    tomorrow = TODAY + timedelta(days=1)
    set_card(store, ids["EC2"], reps=2, interval=6, due="2026-03-11")  # due tomorrow
    set_card(store, ids["Lambda"], reps=2, interval=6, due="2026-03-01")  # overdue: still due
    set_card(store, ids["Timeout"], reps=1, interval=6, due="2026-03-16", drill=1)  # drilling
    set_card(store, ids["ASG"], reps=2, interval=6, due="2026-03-12")  # later
    set_card(store, ids["S3"], reps=2, interval=6, due="2026-03-11", suspended=1)
    assert store.due_count(tomorrow) == 3
    assert store.due_count(tomorrow, deck_id=store.deck_id("aws")) == 3
    assert store.has_new_cards(None)
    set_card(store, ids["EBS"], reps=2, interval=6, due="2026-03-11", retired_at="2026-03-02 10:00:00.000000")
    assert not store.has_new_cards(store.deck_id("aws"))


def test_active_card_ids(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["S3"], retired_at="2026-03-02 10:00:00.000000")
    assert store.active_card_ids([ids["EC2"], ids["S3"], "ffffffffffffffff"]) == {ids["EC2"]}
    assert store.active_card_ids([]) == set()
