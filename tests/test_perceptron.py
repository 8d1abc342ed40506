import warnings

import numpy as np
import pytest

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.perceptron import ConvergenceWarning, Perceptron
from mlbasics.core.errors import InputError


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_learns_linearly_separable_gates(gate):
    X, y = truth_table(gate)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Perceptron().fit(X, y)
    assert model.converged_
    assert model.score(X, y) == 1.0
    assert model.errors_[-1] == 0


def test_fails_xor_and_says_so():
    X, y = truth_table("xor")
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = Perceptron(max_epochs=100).fit(X, y)
    assert not model.converged_
    assert model.n_epochs_ == 100
    assert model.score(X, y) < 1.0


@pytest.mark.parametrize("seed", range(5))
def test_never_solves_xor_from_any_seed(seed):
    X, y = truth_table("xor")
    with pytest.warns(ConvergenceWarning):
        assert Perceptron(seed=seed, max_epochs=30).fit(X, y).score(X, y) <= 0.75


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.zeros((4, 2)), np.array([0, 1, 2, 1]), "only 0 and 1"),
        (np.zeros((4, 2)), np.array([0, 1, 1]), "same number of samples"),
        (np.zeros(4), np.array([0, 1, 1, 0]), "X must have 2 dimension"),
        (np.full((4, 2), np.nan), np.array([0, 1, 1, 0]), "non-finite"),
        (np.zeros((0, 2)), np.zeros(0), "X is empty"),
    ],
)
def test_bad_input_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        Perceptron().fit(X, y)


def test_bad_hyperparameters():
    X, y = truth_table("and")
    with pytest.raises(InputError, match="max_epochs"):
        Perceptron(max_epochs=0).fit(X, y)
    with pytest.raises(InputError, match="learning_rate"):
        Perceptron(learning_rate=-1).fit(X, y)


def test_predict_checks_feature_count():
    model = Perceptron().fit(*truth_table("and"))
    with pytest.raises(InputError, match=r"shape \(any, 2\)"):
        model.predict(np.zeros((3, 5)))


def test_the_warning_counts_what_the_score_measures():
    """The warning's "misclassified" count is judged with the final weights, as ``score`` is."""
    X, y = truth_table("xor")
    with pytest.warns(ConvergenceWarning) as caught:
        model = Perceptron(max_epochs=50).fit(X, y)
    wrong = int(round((1 - model.score(X, y)) * len(y)))
    assert f"final weights misclassify {wrong} of 4 samples" in str(caught[0].message)
    assert f"{model.errors_[-1]} correction(s) in the last epoch" in str(caught[0].message)


def test_distance_to_boundary_is_the_signed_distance_to_the_line():
    X, y = truth_table("or")
    model = Perceptron(learning_rate=1.0).fit(X, y)
    distance = model.distance_to_boundary(X)
    assert np.all((distance >= 0) == (y == 1))  # class 1 on the positive side
    w, b = model.weights_, model.bias_
    foot = X - np.outer(distance, w / np.linalg.norm(w))  # each point moved onto the line
    assert np.allclose(foot @ w + b, 0.0)
    assert np.abs(distance).min() < 0.01  # OR from the default seed leaves (1, 0) by a hair on the right side
