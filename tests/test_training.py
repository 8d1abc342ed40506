import numpy as np
import pytest

from mlbasics.basics.keras_twin import keras_step_counts
from mlbasics.basics.linear import LinearRegressor, batch_size_experiment, line_data, linear_scaling_experiment
from mlbasics.basics.training import (
    Callback,
    EarlyStopping,
    batch_indices,
    linear_scaled_learning_rate,
    steps_per_epoch,
    train,
)
from mlbasics.core.errors import InputError


@pytest.mark.parametrize(("n", "batch", "expected"), [(1000, 32, 32), (1000, 1000, 1), (1000, 7, 143), (50, 64, 1)])
def test_steps_per_epoch(n, batch, expected):
    assert steps_per_epoch(n, batch) == expected


def test_steps_per_epoch_match_keras():
    for n, batch in [(1000, 32), (100, 7), (50, 64)]:
        per_epoch, total = keras_step_counts(n, batch, epochs=2)
        assert per_epoch == steps_per_epoch(n, batch)
        assert total == 2 * per_epoch


def test_batches_cover_every_sample_once():
    rng = np.random.default_rng(0)
    batches = list(batch_indices(103, 10, rng))
    assert len(batches) == 11 and len(batches[-1]) == 3
    assert sorted(np.concatenate(batches).tolist()) == list(range(103))


def test_history_counts_and_learning():
    X, y = line_data(200, seed=1)
    model = LinearRegressor()
    history = train(model, X, y, epochs=20, batch_size=16, learning_rate=0.1)
    assert history.steps_per_epoch == 13
    assert history.iterations == 20 * 13 == len(history.step_loss)
    assert history.epoch_loss[-1] < history.epoch_loss[0]
    assert abs(model.params["W"][0] - 2.0) < 0.15


def test_seeded_runs_repeat():
    a = batch_size_experiment(8)[1].step_loss
    b = batch_size_experiment(8)[1].step_loss
    assert a == b


def test_early_stopping_and_validation():
    X, y = line_data(500)
    history = train(LinearRegressor(), X, y, epochs=200, batch_size=32, learning_rate=0.05,
                    validation_split=0.2, callbacks=[EarlyStopping(patience=3, min_delta=1e-3)])
    assert history.epochs_run < 200
    assert len(history.val_loss) == history.epochs_run
    assert history.steps_per_epoch == steps_per_epoch(400, 32)


def test_callbacks_see_every_step():
    seen = []

    class Recorder(Callback):
        def on_step_end(self, step, loss, history):
            seen.append(step)

    X, y = line_data(50)
    train(LinearRegressor(), X, y, epochs=2, batch_size=20, learning_rate=0.1, callbacks=[Recorder()])
    assert seen == list(range(6))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"batch_size": -4}, "batch_size must be a positive integer"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer"),
        ({"epochs": 0}, "epochs"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"validation_split": 1.0}, "validation_split"),
    ],
)
def test_bad_arguments(kwargs, match):
    X, y = line_data(20)
    args = {"epochs": 1, "batch_size": 4, "learning_rate": 0.1, **kwargs}
    with pytest.raises(InputError, match=match):
        train(LinearRegressor(), X, y, **args)


def test_bad_data():
    X, y = line_data(20)
    with pytest.raises(InputError, match="X is empty"):
        train(LinearRegressor(), X[:0], y[:0], epochs=1, batch_size=4, learning_rate=0.1)
    X_nan = X.copy()
    X_nan[3] = np.inf
    with pytest.raises(InputError, match="X contains 1 non-finite"):
        train(LinearRegressor(), X_nan, y, epochs=1, batch_size=4, learning_rate=0.1)
    with pytest.raises(InputError, match="same number of samples"):
        train(LinearRegressor(), X, y[:-1], epochs=1, batch_size=4, learning_rate=0.1)


def test_divergence_is_reported():
    X, y = line_data(50)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        train(LinearRegressor(), X * 1e3, y, epochs=50, batch_size=50, learning_rate=10.0)


def test_linear_scaled_learning_rate():
    assert linear_scaled_learning_rate(0.01, 8, 512) == pytest.approx(0.64)
    assert linear_scaled_learning_rate(0.1, 256, 256) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="batch_size"):
        linear_scaled_learning_rate(0.1, 8, 0)


def test_linear_scaling_rule_recovers_what_a_fixed_rate_loses():
    """Same epochs: with the rate fixed, a 64x bigger batch ends far worse; scaled, it ends as well as
    the small batch; past the stable rate (here 1.25 > 1.0) the scaled run is worse again."""
    small, big, too_big = linear_scaling_experiment([8, 512, 1000], base_batch_size=8, base_learning_rate=0.01)
    assert big.scaled_learning_rate == pytest.approx(0.64) and big.scaled.iterations == big.fixed.iterations == 10
    assert big.fixed.epoch_loss[-1] > 4 * small.fixed.epoch_loss[-1]
    assert big.scaled.epoch_loss[-1] == pytest.approx(small.scaled.epoch_loss[-1], abs=0.02)
    assert too_big.scaled.epoch_loss[-1] > 2 * small.scaled.epoch_loss[-1]
