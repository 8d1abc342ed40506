import numpy as np
import pytest

from mlbasics.basics.fitting import (
    SPEED_OF_LIGHT,
    classify_regime,
    degree_sweep,
    fit_polynomial,
    galilean_relative_error,
    galilean_valid_up_to,
    learning_curve,
    relativistic_addition,
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
    assert galilean_relative_error(30.0, 1.5) == pytest.approx(30 * 1.5 / c**2, rel=1e-3)
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
