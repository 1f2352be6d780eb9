"""FSRS in the product: switching scheduler both ways through the log, reviewing and undoing under FSRS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from dva_cards import fsrs, scheduler
from dva_cards.fsrs import Review
from dva_cards.review import SessionOptions, run_session
from dva_cards.scheduling import SchedulerName
from dva_cards.settings import Settings, effective
from dva_cards.store import Store
from tests.helpers import run
from tests.review_fixtures import (
    START,
    Clock,
    ScriptedKeys,
    card_row,
    ids_by_front,
    import_text,
    make_console,
    review_rows,
)

STATE_COLUMNS = "id, reps, ease, interval, due, drill, lapses"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "collection.db"


@pytest.fixture
def store(db: Path, tmp_path: Path) -> Iterator[Store]:
    with Store.open(db) as opened:
        import_text(opened, tmp_path / "notes" / "aws.md")
        yield opened


def study(store: Store, day: int, grades: list[int], settings: Settings | None = None) -> str:
    """One session on day `day` after the start: each card shown gets the next grade, then 4s till the end."""
    keys: list[str | BaseException] = []
    for quality in [*grades, *[4] * 30]:
        keys += [" ", str(quality)]
    clock = Clock(START + timedelta(days=day))
    console, out = make_console()
    run_session(
        store, settings or effective(store.settings()), now=clock, console=console,
        keys=ScriptedKeys(keys, clock), options=SessionOptions(), tz=UTC,
    )  # fmt: skip
    return out.getvalue()


def states(store: Store) -> list[tuple[Any, ...]]:
    return store.connection.execute(f"SELECT {STATE_COLUMNS} FROM card ORDER BY id").fetchall()


def switch(db: Path, name: str, *extra: str) -> str:
    result = run("--db", str(db), "config", "set", "scheduler", name, *extra)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def sm2_of_log(store: Store) -> dict[str, scheduler.SM2State]:
    """SM-2 stepped over the logged non-cram answers, independently of the code under test."""
    out: dict[str, scheduler.SM2State] = {}
    for row in review_rows(store.connection):
        if row["kind"] != "cram":
            before = out.get(row["card_id"], scheduler.SM2State())
            out[row["card_id"]] = scheduler.review(before, row["quality"], _day(row["day"]))
    return out


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def memory_of_log(store: Store, card_id: str) -> fsrs.CardMemory | None:
    rows = [r for r in review_rows(store.connection) if r["card_id"] == card_id and r["kind"] != "cram"]
    return fsrs.replay([Review(_day(r["day"]), r["quality"]) for r in rows])


def test_sm2_to_fsrs_to_sm2_gives_back_the_exact_sm2_state(store: Store, db: Path) -> None:
    study(store, 0, [4, 3, 0, 5, 4, 2])
    study(store, 1, [5, 0, 4, 3, 4, 4])
    study(store, 7, [3, 4, 1, 5, 4, 4])
    sm2_before = states(store)
    assert "6 cards replayed; each card as its last answer left it" in switch(db, "fsrs")
    assert states(store) == sm2_before  # due dates kept
    for card_id in ids_by_front(store).values():
        card = store.review_card(card_id)
        assert card is not None and card.schedule.memory == memory_of_log(store, card_id)
    assert "SM-2 states recomputed" in switch(db, "sm2")
    assert states(store) == sm2_before
    switch(db, "fsrs")
    study(store, 90, [0, 4, 0, 5, 3, 4])  # FSRS moves due dates: `unset` must recompute SM-2's, as `set` does
    fsrs_states = states(store)
    assert [state[1:] for state in fsrs_states] != [
        _columns(sm2_of_log(store)[row[0]]) for row in fsrs_states
    ]
    unset = run("--db", str(db), "config", "unset", "scheduler")
    assert unset.exit_code == 0 and "SM-2 states recomputed" in unset.stdout
    expected = sm2_of_log(store)
    assert [state[1:] for state in states(store)] == [_columns(expected[row[0]]) for row in states(store)]


def test_answers_under_fsrs_then_back_to_sm2_give_sm2_s_state_for_that_log(store: Store, db: Path) -> None:
    study(store, 0, [4, 3, 0, 5, 4, 2])
    switch(db, "fsrs")
    assert effective(store.settings()).scheduler is SchedulerName.FSRS
    out = study(store, 2, [3, 0, 4, 5, 4, 4])
    study(store, 9, [4, 4, 3, 0, 5, 4])
    assert "again today, until a 4 or 5" not in out  # no SM-2 drills under FSRS
    switch(db, "sm2")
    expected = sm2_of_log(store)
    for card_id, *state in states(store):
        assert tuple(state) == _columns(expected.get(card_id, scheduler.SM2State()))


def test_back_to_fsrs_each_card_takes_the_state_its_last_answer_left_and_check_agrees(
    store: Store, db: Path
) -> None:
    """FSRS, answers, SM-2 (states recomputed), FSRS again: a card is then as its last FSRS answer left it, the
    state `check` and a machine replaying the same log derive; not SM-2's due date kept from the switch."""
    switch(db, "fsrs")
    study(store, 0, [4, 5, 3, 4, 4, 5])
    fsrs_states = states(store)
    switch(db, "sm2")
    assert states(store) != fsrs_states  # SM-2 gives other intervals than FSRS did
    switch(db, "fsrs")
    assert states(store) == fsrs_states
    checked = run("--db", str(db), "check")
    assert checked.exit_code == 0, checked.output
    assert "every card equals the replay of its review log" in checked.stdout


def _columns(state: scheduler.SM2State) -> tuple[Any, ...]:
    due = None if state.due is None else state.due.isoformat()
    return state.reps, state.ease, state.interval, due, int(state.drill), state.lapses


def test_reschedule_gives_learned_cards_fsrs_due_dates(store: Store, db: Path) -> None:
    study(store, 0, [5, 5, 5, 5, 5, 5])
    study(store, 1, [5, 5, 5, 5, 5, 5])
    assert "each card as its last answer left it" in switch(db, "fsrs")
    out = switch(db, "fsrs", "--reschedule")
    assert "6 due dates moved" in out
    for card_id in ids_by_front(store).values():
        card = store.review_card(card_id)
        assert card is not None and card.schedule.memory is not None
        interval = fsrs.next_interval(card.schedule.memory.state.stability)
        assert card.schedule.state.interval == interval
        assert card.schedule.state.due == card.schedule.memory.last_review + timedelta(days=interval)


def test_fsrs_review_previews_and_schedules_with_fsrs_intervals(store: Store, db: Path) -> None:
    switch(db, "fsrs")
    out = study(store, 0, [4])
    first_good = fsrs.next_interval(fsrs.DEFAULT_PARAMETERS[2])
    first_hard = fsrs.next_interval(fsrs.DEFAULT_PARAMETERS[1])
    first_easy = fsrs.next_interval(fsrs.DEFAULT_PARAMETERS[3])
    assert f"3 hard {first_hard}d · 4 good {first_good}d · 5 easy {first_easy}d" in out
    ec2 = store.review_card(ids_by_front(store)["EC2"])
    assert ec2 is not None and ec2.schedule.state.interval == first_good


def test_undo_under_fsrs_puts_back_the_exact_card_and_logs_memory(store: Store, db: Path) -> None:
    study(store, 0, [4, 4, 4, 4, 4, 4])
    switch(db, "fsrs")
    ids = ids_by_front(store)
    clock = Clock(START + timedelta(days=3))
    before = {card_id: card_row(store.connection, card_id) for card_id in ids.values()}
    logged = len(review_rows(store.connection))
    # EC2 fails, Lambda passes; both undone, then the session quits.
    keys: list[str | BaseException] = [" ", "1", " ", "5", "u", "u", "q"]
    console, _ = make_console()
    run_session(store, effective(store.settings()), now=clock, console=console,
                keys=ScriptedKeys(keys, clock), options=SessionOptions(), tz=UTC)  # fmt: skip
    assert {card_id: card_row(store.connection, card_id) for card_id in ids.values()} == before
    assert len(review_rows(store.connection)) == logged
    # And one answer kept: its row holds the memory before and after.
    study(store, 3, [1])
    rows = review_rows(store.connection)
    failed, last = rows[logged], rows[-1]
    assert failed["quality"] == 1 and failed["stability_after"] < failed["stability_before"]
    card = store.review_card(last["card_id"])
    assert card is not None and card.schedule.memory is not None
    assert (last["stability_after"], last["difficulty_after"]) == (
        card.schedule.memory.state.stability,
        card.schedule.memory.state.difficulty,
    )


def test_fsrs_settings_are_checked_and_reschedule_only_goes_with_fsrs(db: Path) -> None:
    for key, value in (("desired-retention", "0.5"), ("desired-retention", "nan"), ("maximum-interval", "0"),
                       ("scheduler", "anki")):  # fmt: skip
        result = run("--db", str(db), "config", "set", key, value)
        assert result.exit_code != 0 and result.stderr.startswith("dva-cards: error: ")
        assert len(result.stderr.splitlines()) == 1
    assert run("--db", str(db), "config", "set", "desired-retention", "0.85").exit_code == 0
    assert run("--db", str(db), "config", "get", "desired-retention").stdout.strip() == "0.85"
    refused = run("--db", str(db), "config", "set", "new-per-day", "5", "--reschedule")
    assert refused.exit_code != 0 and "--reschedule" in refused.stderr
    assert run("--db", str(db), "config", "get", "scheduler").stdout.strip() == "sm2"  # the default


def test_an_older_collection_gets_every_card_s_memory_from_its_log(tmp_path: Path) -> None:
    import shutil

    from tests.test_schema_upgrade import FIXTURE

    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    with Store.open(copy) as opened:
        answered = {row["card_id"] for row in review_rows(opened.connection) if row["kind"] != "cram"}
        cards = opened.connection.execute("SELECT id FROM card").fetchall()
        assert answered & {card_id for (card_id,) in cards}
        for (card_id,) in cards:
            card = opened.review_card(card_id)
            assert card is not None and card.schedule.memory == memory_of_log(opened, card_id)


def test_stats_predict_today_s_recall_for_an_sm2_collection_too(store: Store) -> None:
    from dva_cards import stats

    study(store, 0, [5, 4, 4, 3, 0, 5])
    today = (START + timedelta(days=6)).date()
    figures = stats.compute(store, today=today, days=30, deck=None, new_per_day=20, rollover_hour=4)
    memories = {}
    for front, card_id in ids_by_front(store).items():
        card = store.review_card(card_id)
        assert card is not None and card.schedule.memory is not None
        memories[front] = fsrs.predicted_recall(card.schedule.memory, today)
    recall = figures.recall
    assert recall.cards == 6 and recall.mean == pytest.approx(sum(memories.values()) / 6)
    assert recall.below == sum(value < 0.9 for value in memories.values()) and recall.below > 0
    by_section = {section.name: section for section in recall.sections}
    assert by_section["Storage"].mean == pytest.approx((memories["S3"] + memories["EBS"]) / 2)
    assert by_section["Compute"].cards == 4
    assert [section.mean for section in recall.sections] == sorted(
        section.mean for section in recall.sections
    )
    strict = stats.compute(store, today=today, days=30, deck=None, new_per_day=20, rollover_hour=4,
                           desired_retention=0.99)  # fmt: skip
    assert (
        strict.recall.below >= recall.below
        and stats.to_json(strict)["recall"]["below_desired"] == strict.recall.below
    )


def test_stats_without_answers_predict_nothing() -> None:
    from dva_cards.stats import predicted_recall

    empty = predicted_recall([], fsrs.DEFAULT_PARAMETERS, 0.9)
    assert (empty.cards, empty.mean, empty.below, empty.sections) == (0, None, 0, ())
