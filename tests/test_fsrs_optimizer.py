"""The FSRS optimizer: its loss is the metrics' log loss, its gradient the loss's slope, and fitting helps."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards import fsrs, fsrs_optimizer
from dva_cards.errors import UserError
from dva_cards.fsrs import DEFAULT_PARAMETERS, Review
from dva_cards.fsrs_optimizer import NotEnoughReviews, loss_and_gradient, optimize, to_sequences
from dva_cards.recall_metrics import fsrs_scored_reviews, log_loss
from tests.bench.scheduler import SIMULATED_LEARNER, by_card, simulate_log

OTHER_PARAMETERS = (
    0.5, 2.0, 4.0, 20.0, 5.0, 1.2, 2.0, 0.05, 1.5, 0.3, 1.2,
    2.0, 0.1, 0.4, 2.0, 0.4, 2.5, 0.8, 0.3, 0.2, 0.4,
)  # fmt: skip


def simulated_histories(cards: int, reviews: int, seed: int) -> list[list[Review]]:
    return list(by_card(simulate_log(cards, reviews, seed=seed)).values())


def metrics_log_loss(histories: list[list[Review]], parameters: tuple[float, ...]) -> float:
    return log_loss([scored for history in histories for scored in fsrs_scored_reviews(history, parameters)])


histories_strategy = st.lists(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 5)), min_size=1, max_size=12),
    min_size=1,
    max_size=12,
)


def _histories(raw: list[list[tuple[int, int]]]) -> list[list[Review]]:
    out = []
    for steps in raw:
        day, history = date(2024, 1, 1), []
        for gap, grade in steps:
            day += timedelta(days=gap)
            history.append(Review(day, grade))
        out.append(history)
    return out


@settings(max_examples=60, deadline=None)
@given(raw=histories_strategy, parameters=st.sampled_from([DEFAULT_PARAMETERS, OTHER_PARAMETERS]))
def test_the_vectorised_loss_is_the_log_loss_of_the_pure_model(
    raw: list[list[tuple[int, int]]], parameters: tuple[float, ...]
) -> None:
    histories = _histories(raw)
    data = to_sequences(histories)
    if data.scored_count == 0:
        return
    loss, _ = loss_and_gradient(data, np.array(parameters))
    assert loss == pytest.approx(metrics_log_loss(histories, parameters), rel=1e-9)


@pytest.mark.parametrize("parameters", [DEFAULT_PARAMETERS, OTHER_PARAMETERS, SIMULATED_LEARNER])
def test_the_gradient_is_the_slope_of_the_loss(parameters: tuple[float, ...]) -> None:
    data = to_sequences(simulated_histories(80, 800, seed=3))
    w = np.array(parameters)
    _, gradient = loss_and_gradient(data, w)
    for index in range(fsrs.PARAMETER_COUNT):
        step = 1e-6 * max(1.0, abs(w[index]))
        up, down = w.copy(), w.copy()
        up[index] += step
        down[index] -= step
        slope = (loss_and_gradient(data, up)[0] - loss_and_gradient(data, down)[0]) / (2 * step)
        assert gradient[index] == pytest.approx(slope, rel=1e-4, abs=1e-7), f"w{index}"
    # The simulated learner answers Hard and Easy, so their parameters are really exercised.
    assert gradient[15] != 0.0 and gradient[16] != 0.0


def test_fitting_predicts_unseen_cards_of_the_same_learner_better_than_the_defaults() -> None:
    histories = simulated_histories(600, 6_000, seed=5)
    train, test = histories[::2], histories[1::2]
    fitted = optimize(train)
    best = metrics_log_loss(test, SIMULATED_LEARNER)  # the learner's true memory: no model does better
    # Fitting closes more than half the gap between the defaults and the truth on cards it never saw.
    assert metrics_log_loss(test, fitted) - best < 0.5 * (metrics_log_loss(test, DEFAULT_PARAMETERS) - best)
    # ... and moves the decay toward the learner's own (0.3, against 0.1542 by default).
    assert abs(fitted[20] - SIMULATED_LEARNER[20]) < abs(DEFAULT_PARAMETERS[20] - SIMULATED_LEARNER[20])


def test_fitted_parameters_stay_within_fsrs_bounds() -> None:
    fitted = optimize(simulated_histories(100, 1_000, seed=7), start=OTHER_PARAMETERS)
    assert fsrs.check_parameters(fitted) == fitted


def test_too_few_scored_reviews_say_how_many_more_are_needed() -> None:
    day = date(2024, 1, 1)
    histories = [[Review(day, 4), Review(day + timedelta(days=2), 4)] for _ in range(10)]
    with pytest.raises(NotEnoughReviews) as raised:
        optimize(histories)
    assert raised.value.have == 10
    assert raised.value.needed == fsrs_optimizer.MIN_SCORED_REVIEWS - 10


def test_no_cards_or_bad_histories() -> None:
    assert to_sequences([]).scored_count == 0
    assert to_sequences([[], []]).positions == []
    with pytest.raises(NotEnoughReviews):
        optimize([])
    day = date(2024, 1, 1)
    with pytest.raises(ValueError, match="time order"):
        to_sequences([[Review(day, 4), Review(day - timedelta(days=1), 4)]])
    with pytest.raises(ValueError, match="0 to 5"):
        to_sequences([[Review(day, 4), Review(day, 6)]])


def test_without_numpy_the_optimizer_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # None in sys.modules makes `import numpy` fail
    monkeypatch.delitem(sys.modules, "dva_cards.fsrs_optimizer")
    with pytest.raises(UserError, match=r"pip install 'dva-cards\[optimize\]'"):
        importlib.import_module("dva_cards.fsrs_optimizer")


def test_the_review_path_does_not_import_numpy() -> None:
    code = (
        "import sys; import dva_cards.cli, dva_cards.fsrs, dva_cards.recall_metrics; "
        "assert 'numpy' not in sys.modules, 'numpy imported'; "
        "assert 'dva_cards.fsrs_optimizer' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_scheduler_benchmark_runs_at_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bench.scheduler import main

    assert main(["--size", "tiny"]) == 0
    out = capsys.readouterr().out
    for predictor in ("constant", "SM-2", "FSRS-6, default parameters", "FSRS-6, fitted parameters"):
        assert f"| {predictor}" in out
    assert "parity within 1e-4: pass" in out
