"""`dva-cards optimize` and its decision: fit on the earlier answers, keep the fit only if better later."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from dva_cards import fitting, fsrs
from dva_cards.fsrs import Review
from dva_cards.settings import FSRS_PARAMETERS_KEY, effective
from dva_cards.store import Store
from tests.bench.scheduler import SIMULATED_LEARNER as SIMULATED
from tests.bench.scheduler import simulate_log
from tests.helpers import run

DAY = date(2026, 1, 5)


def log_of(cards: int, answers: int, seed: int = 1) -> list[tuple[str, Review]]:
    return [(r.card_id, Review(r.day, r.grade)) for r in simulate_log(cards, answers, seed=seed)]


def collection_with(db: Path, log: list[tuple[str, Review]], cram_every: int = 0) -> None:
    """A collection whose review log is `log` (cards since pruned: the log alone is what optimize reads)."""
    with Store.open(db) as store, store.transaction():
        for position, (card_id, review) in enumerate(log):
            kind = "cram" if cram_every and position % cram_every == 0 else "review"
            store.connection.execute(
                "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, "
                "ease_before, interval_before, drill_before, lapses_before, leech_before, suspended_before, "
                "reps_after, ease_after, interval_after, drill_after, lapses_after) "
                "VALUES (?, ?, ?, ?, ?, 0, 0, 2500, 0, 0, 0, 0, 0, 0, 2500, 0, 0, 0)",
                (card_id, f"{review.day} 12:00:00.000000", review.day.isoformat(), review.grade, kind),
            )


def test_the_log_is_cut_in_time_and_each_card_keeps_its_whole_history() -> None:
    log = [("a", Review(DAY, 4)), ("b", Review(DAY, 4)), ("a", Review(DAY + timedelta(3), 4)),
           ("b", Review(DAY + timedelta(2), 1)), ("a", Review(DAY + timedelta(9), 4))]  # fmt: skip
    split = fitting.split_log(log)
    assert split.earlier == {"a": [log[0][1], log[2][1]], "b": [log[1][1], log[3][1]]}  # first 4 of 5
    assert split.whole["a"] == [log[0][1], log[2][1], log[4][1]]
    assert split.later_from == {"a": 2}


def test_too_few_scored_reviews_say_how_many_more() -> None:
    short = [("a", Review(DAY + timedelta(days), 4)) for days in (0, 1, 3, 8)]
    with pytest.raises(fitting.TooFewReviews) as raised:
        fitting.prepare(short, fsrs.DEFAULT_PARAMETERS)
    assert raised.value.scored == 3 and raised.value.needed == fitting.MIN_SCORED_REVIEWS - 3


def test_parameters_are_kept_only_when_better_on_the_later_reviews() -> None:
    prepared = fitting.prepare(log_of(400, 4000), fsrs.DEFAULT_PARAMETERS)
    unchanged = fitting.decide(prepared, lambda histories, start: start)
    assert not unchanged.keep and unchanged.fitted == unchanged.current  # equal is not better
    truth = fitting.decide(prepared, lambda histories, start: fsrs.check_parameters(SIMULATED))
    assert truth.keep  # the simulated learner's own parameters predict its later reviews better
    assert truth.fitted.log_loss < truth.current.log_loss and truth.fitted.rmse_bins < truth.current.rmse_bins
    assert truth.current.scored == len(prepared.later) and 0.5 < truth.retention < 1.0


def test_optimize_with_too_few_reviews_says_how_many_more(db_path: Path) -> None:
    collection_with(db_path, [("a", Review(DAY + timedelta(days), 4)) for days in (0, 1, 3, 8)])
    result = run("--db", str(db_path), "optimize")
    assert result.exit_code != 0 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("dva-cards: error: not enough reviews to optimize yet: 3 scored reviews")
    assert f"needs {fitting.MIN_SCORED_REVIEWS}: {fitting.MIN_SCORED_REVIEWS - 3} more" in result.stderr


def test_optimize_keeps_a_better_fit_and_replays_the_memories(db_path: Path) -> None:
    log = log_of(400, 4000)
    collection_with(db_path, log, cram_every=97)  # cram answers are not the learner's memory: left out
    with Store.open(db_path) as store, store.transaction():
        store.connection.execute("INSERT INTO deck (name) VALUES ('d')")
        store.connection.execute(
            "INSERT INTO card (id, deck_id, source, line, context, front, back, content_hash, created_at, "
            "updated_at, suspended, leech, reps, ease, interval, drill, lapses) "
            "VALUES ('1', 1, 's', 1, '', 'f', 'b', 'h', '2026-01-01', '2026-01-01', 0, 0, 0, 2500, 0, 0, 0)"
        )
    result = run("--db", str(db_path), "optimize")
    assert result.exit_code == 0, result.output
    assert "current parameters" in result.stdout and "fitted parameters" in result.stdout
    assert "Kept the fitted parameters" in result.stdout and "True retention: " in result.stdout
    with Store.open(db_path) as store:
        settings = effective(store.settings())
        assert settings.fsrs_parameters != fsrs.DEFAULT_PARAMETERS
        card = store.review_card("1")
        history = [
            review for position, (card_id, review) in enumerate(log) if card_id == "1" and position % 97
        ]
        assert card is not None and card.schedule.memory == fsrs.replay(history, settings.fsrs_parameters)
    reset = run("--db", str(db_path), "optimize", "--reset")
    assert reset.exit_code == 0 and "defaults" in reset.stdout
    with Store.open(db_path) as store:
        assert FSRS_PARAMETERS_KEY not in store.settings()
        card = store.review_card("1")
        assert card is not None and card.schedule.memory == fsrs.replay(history)


def test_optimize_without_a_better_fit_keeps_the_parameters(db_path: Path) -> None:
    collection_with(db_path, log_of(60, 600))
    result = run("--db", str(db_path), "optimize")
    assert result.exit_code == 0, result.output
    assert "Kept the current parameters" in result.stdout
    with Store.open(db_path) as store:
        assert FSRS_PARAMETERS_KEY not in store.settings()


def test_optimize_without_numpy_gives_the_one_line_hint(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection_with(db_path, log_of(60, 600))
    monkeypatch.setitem(sys.modules, "numpy", None)  # None in sys.modules makes `import numpy` fail
    monkeypatch.delitem(sys.modules, "dva_cards.fsrs_optimizer", raising=False)
    result = run("--db", str(db_path), "optimize")
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "dva-cards: error: fitting FSRS parameters needs numpy: pip install 'dva-cards[optimize]'"
    ]
