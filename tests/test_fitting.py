import numpy as np
import pytest

from mlbasics.basics.fitting import (
    SPEED_OF_LIGHT,
    classify_regime,
    degree_sweep,
    fit_polynomial,
    floor_of_test_set,
    galilean_addition,
    galilean_relative_error,
    galilean_valid_up_to,
    learning_curve,
    noisy_samples,
    polynomial_experiment,
    relativistic_addition,
)
from mlbasics.basics.remedies import (
    FeatureRegression,
    augmentation_curve,
    augmented,
    descent_run,
    legendre_features,
    ridge_coefficients,
    weight_decay_curve,
)
from mlbasics.core.errors import InputError


def test_degree_one_is_appropriate_for_a_line():
    regimes = {r.degree: r.regime for r in degree_sweep([0, 1, 15])}
    assert regimes == {0: "under-fitting", 1: "appropriate", 15: "over-fitting"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdicts_hold_for_other_seeds(seed):
    regimes = {r.degree: r.regime for r in degree_sweep([0, 1, 15], seed=seed)}
    assert regimes == {0: "under-fitting", 1: "appropriate", 15: "over-fitting"}


def test_classify_regime_rules():
    assert classify_regime(0.5, 0.5, 0.01) == "under-fitting"
    assert classify_regime(0.0001, 0.5, 0.01) == "over-fitting"
    assert classify_regime(0.009, 0.011, 0.01) == "appropriate"
    with pytest.raises(InputError, match="noise_variance"):
        classify_regime(0.1, 0.1, 0.0)


def test_learning_curve_test_error_falls_with_data():
    _, test = learning_curve(9, [12, 200])
    assert test[1] < test[0]


def test_relativity():
    c = SPEED_OF_LIGHT
    assert relativistic_addition(0.5 * c, 0.5 * c) == pytest.approx(0.8 * c)
    assert galilean_relative_error(30.0, 1.5) == pytest.approx(30 * 1.5 / c**2, rel=1e-12)  # no float64 cancellation
    for u, v in ((0.3 * c, 0.5 * c), (1e6, 2e7)):  # where subtracting loses little, the two forms agree
        exact = relativistic_addition(u, v)
        assert galilean_relative_error(u, v) == pytest.approx((galilean_addition(u, v) - exact) / exact, rel=1e-6)
    assert galilean_valid_up_to(0.01) == pytest.approx(0.1 * c)
    assert galilean_relative_error(0.1 * c, 0.1 * c) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="below the speed of light"):
        relativistic_addition(c, 1.0)


def test_fit_polynomial_errors():
    x = np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match="needs at least 6 points"):
        fit_polynomial(x, x, 5)
    with pytest.raises(ValueError, match="degree must be an integer"):
        fit_polynomial(x, x, -1)
    with pytest.raises(InputError, match="same number of samples"):
        fit_polynomial(x, x[:-1], 1)
    with pytest.raises(InputError, match="y contains 1 non-finite"):
        fit_polynomial(x, np.array([0, 1, np.nan, 2, 3.0]), 1)


# --- remedies for over-fitting (lesson 04) ---------------------------------------------------------

def test_weight_decay_has_a_sweet_spot_and_too_much_under_fits():
    curve = weight_decay_curve([0.0, 0.1, 100.0])
    assert curve.test_error[1] < curve.test_error[0] / 4  # a moderate penalty cures the degree-9 over-fit
    assert np.all(np.diff(curve.train_error) > 0)  # every penalty fits the training points less closely
    assert curve.train_error[2] > 2 * 0.01  # a huge one cannot follow even them


def test_ridge_with_no_penalty_is_least_squares_and_leaves_the_constant_alone():
    x, y = noisy_samples(20)
    features = legendre_features(x, 3)
    assert np.allclose(ridge_coefficients(features, y, 0.0), np.linalg.lstsq(features, y, rcond=None)[0])
    flat = ridge_coefficients(features, y + 5.0, 1e9)  # everything but the constant squashed to 0
    assert np.allclose(flat[1:], 0.0, atol=1e-6) and flat[0] == pytest.approx(np.mean(y + 5.0), abs=1e-3)
    with pytest.raises(ValueError, match="strength"):
        ridge_coefficients(features, y, -1.0)


def test_augmentation_keeps_labels_and_moves_inputs():
    x, y = noisy_samples(20)
    x_more, y_more = augmented(x, y, copies=3, jitter=0.1)
    assert x_more.shape == y_more.shape == (80,)
    assert np.array_equal(y_more[20:40], y) and not np.array_equal(x_more[20:40], x)
    curve = augmentation_curve([0, 5])
    assert curve.test_error[1] < curve.test_error[0] / 4


def test_dropout_only_in_training_steps():
    X, y = np.ones((50, 4)), np.ones(50)
    model = FeatureRegression(4, dropout=0.5, seed=0)
    model.params["w"] = np.array([0.0, 1.0, 0.0, 0.0])
    assert model.loss(X, y) == 0.0  # scoring uses every feature
    assert model.loss_and_grads(X, y)[0] > 0.1  # a training step drops some
    with pytest.raises(ValueError, match="dropout"):
        FeatureRegression(4, dropout=1.0)


def test_gradient_descent_over_fits_late_and_early_stopping_and_dropout_help():
    plain = descent_run(epochs=3000)
    assert plain.test_error.min() < plain.test_error[-1] / 2  # the test error falls, then climbs
    stopped = descent_run(epochs=3000, patience=200)
    assert stopped.stopped_at < 3000 and stopped.test_error[-1] < plain.test_error[-1]
    assert len(stopped.history.val_loss) == stopped.stopped_at
    dropped = descent_run(epochs=3000, dropout=0.02)
    assert dropped.test_error[-1] < plain.test_error[-1]


def test_the_noise_floor_holds_in_expectation_not_on_one_test_set():
    floor = floor_of_test_set()  # the lesson's 200 test points: their mean squared noise is below 0.1² = 0.01
    assert floor < 0.01
    fitted = polynomial_experiment(1)
    assert floor < fitted.test_error < 0.01  # a model under 0.01 is still above its own test set's floor
    floors = [floor_of_test_set(seed=seed) for seed in range(200)]
    assert np.mean(floors) == pytest.approx(0.01, rel=0.02)  # over many test sets: the noise variance
