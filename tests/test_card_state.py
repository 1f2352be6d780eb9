"""Each card-state rule answers alike in Python and in SQL: both run on the same random collections."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta

import pytest

from dva_cards.card_state import (
    ACTIVE,
    AVAILABLE,
    CATEGORY_RULES,
    DUE_BY_DAY,
    SELECTS,
    STATE_RULES,
    AnswerKind,
    CardFacts,
    CardState,
    Grade,
    StatsCategory,
    case_sql,
    category_of,
    counts_as_due_by,
    state_of,
)

TODAY = date(2026, 3, 10)
LEARNING, MATURE = 2, 21


def random_card(rng: random.Random) -> CardFacts:
    """Any combination of the columns, impossible ones included: the two sides must agree on all of them."""

    def some_day() -> date | None:
        return None if rng.random() < 0.3 else TODAY + timedelta(days=rng.randint(-5, 5))

    return CardFacts(
        retired=rng.random() < 0.1,
        suspended=rng.random() < 0.1,
        buried_until=some_day() if rng.random() < 0.2 else None,
        drill=rng.random() < 0.15,
        due=some_day(),
        reps=rng.choice([0, 0, 1, 2, 3, 7]),
        interval=rng.choice([0, 1, 6, 20, 21, 40]),
    )


def collection(cards: list[CardFacts]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE card (id INTEGER PRIMARY KEY, retired_at TEXT, suspended INTEGER, buried_until TEXT, "
        "drill INTEGER, due TEXT, reps INTEGER, interval INTEGER)"
    )
    db.executemany(
        "INSERT INTO card VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                index,
                "2026-01-01 00:00:00.000000" if card.retired else None,
                int(card.suspended),
                None if card.buried_until is None else card.buried_until.isoformat(),
                int(card.drill),
                None if card.due is None else card.due.isoformat(),
                card.reps,
                card.interval,
            )  # fmt: skip
            for index, card in enumerate(cards)
        ],
    )
    return db


def selected(db: sqlite3.Connection, where: str, **params: object) -> set[int]:
    return {row[0] for row in db.execute(f"SELECT id FROM card c WHERE {where}", params)}


@pytest.mark.parametrize("seed", range(5))
def test_state_and_category_are_the_same_in_sql_and_python(seed: int) -> None:
    rng = random.Random(seed)
    cards = [random_card(rng) for _ in range(400)]
    db = collection(cards)
    params = {"today": TODAY.isoformat(), "learning": LEARNING, "mature": MATURE}
    rows = db.execute(
        f"SELECT id, {case_sql(STATE_RULES)}, {case_sql(CATEGORY_RULES)} FROM card ORDER BY id", params
    ).fetchall()
    for (_, state, category), card in zip(rows, cards, strict=True):
        assert CardState(state) is state_of(card, TODAY), card
        assert StatsCategory(category) is category_of(card, learning_reps=LEARNING, mature_days=MATURE), card
    assert {state_of(card, TODAY) for card in cards} == set(CardState)  # every state was exercised


@pytest.mark.parametrize("seed", range(5))
def test_the_queue_selections_pick_exactly_the_cards_in_that_state(seed: int) -> None:
    rng = random.Random(100 + seed)
    cards = [random_card(rng) for _ in range(400)]
    db = collection(cards)
    for state, rules in SELECTS.items():
        found: set[int] = set()
        for rule in rules:
            found |= selected(db, f"{AVAILABLE.sql('c')} AND {rule.sql('c')}", today=TODAY.isoformat())
        expected = {index for index, card in enumerate(cards) if state_of(card, TODAY) is state}
        assert found == expected, state


@pytest.mark.parametrize("seed", range(5))
def test_due_by_a_day_and_active_are_the_same_in_sql_and_python(seed: int) -> None:
    rng = random.Random(200 + seed)
    cards = [random_card(rng) for _ in range(400)]
    db = collection(cards)
    for day in (TODAY - timedelta(days=2), TODAY, TODAY + timedelta(days=1)):
        counted = [selected(db, rule.sql("c"), day=day.isoformat()) for rule in DUE_BY_DAY]
        assert not counted[0] & counted[1]  # the two queries never count a card twice
        expected = {index for index, card in enumerate(cards) if counts_as_due_by(card, day)}
        assert counted[0] | counted[1] == expected, day
    active = {index for index, card in enumerate(cards) if ACTIVE.holds(card, {})}
    assert selected(db, ACTIVE.sql("c")) == active


def test_answer_kinds_and_grades_in_sql_and_python() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE review (id INTEGER PRIMARY KEY, kind TEXT, due_before TEXT, quality INTEGER)")
    rows = [
        (index, kind.value, due, int(grade))
        for index, (kind, due, grade) in enumerate(
            (kind, due, grade) for kind in AnswerKind for due in (None, "2026-03-01") for grade in Grade
        )
    ]
    db.executemany("INSERT INTO review VALUES (?, ?, ?, ?)", rows)

    def ids(where: str) -> set[int]:
        return {row[0] for row in db.execute(f"SELECT id FROM review WHERE {where}")}

    assert ids(AnswerKind.study_sql()) == {i for i, kind, _, _ in rows if AnswerKind(kind).counts_as_study}
    introduced = {i for i, kind, due, _ in rows if AnswerKind.introduces_card(AnswerKind(kind), due)}
    assert ids(AnswerKind.introduces_card_sql()) == introduced
    assert ids(Grade.passing_sql("quality")) == {i for i, _, _, grade in rows if Grade(grade).passing}
    assert [grade for grade in Grade if grade.passing] == [Grade.HARD, Grade.GOOD, Grade.PERFECT]
