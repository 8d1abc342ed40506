"""Rosenblatt's perceptron: a weighted sum, a step, and the perceptron learning rule.

It learns any linearly separable rule (AND, OR) in a few epochs, and it can never
learn XOR: no straight line separates XOR's two classes. When it runs out of epochs
without classifying every sample, it says so (``converged_`` is False and a
``ConvergenceWarning`` is issued) instead of returning a silently wrong model.
"""

from __future__ import annotations

import warnings

import numpy as np

from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_array, check_positive_float, check_positive_int, check_same_length


class ConvergenceWarning(UserWarning):
    """A learner stopped at its epoch budget without reaching its goal."""


class Perceptron:
    """A single neuron with a step activation, trained by the perceptron rule.

    ``fit(X, y)`` with ``X`` of shape ``(n_samples, n_features)`` and labels ``y`` in
    {0, 1} of shape ``(n_samples,)``. After fitting: ``weights_`` ``(n_features,)``,
    ``bias_``, ``errors_`` (misclassified samples per epoch), ``converged_``,
    ``n_epochs_``.
    """

    def __init__(self, learning_rate: float = 1.0, max_epochs: int = 50, seed: int = SEED.default):
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> Perceptron:
        """Learn weights; stop after an epoch with no mistakes or after ``max_epochs``."""
        X = check_array("X", X, ndim=2, dtype_kind="fiub").astype(np.float64)
        y = check_array("y", y, ndim=1, dtype_kind="fiub")
        check_same_length(["X", "y"], X, y)
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"y must hold only 0 and 1, got values {np.unique(y).tolist()}")
        lr = check_positive_float("learning_rate", self.learning_rate)
        epochs = check_positive_int("max_epochs", self.max_epochs)
        rng = np.random.default_rng(self.seed)
        self.weights_ = rng.normal(0.0, 0.01, X.shape[1])
        self.bias_ = 0.0
        self.errors_: list[int] = []
        self.converged_ = False
        for _ in range(epochs):
            mistakes = 0
            for xi, target in zip(X, y):
                update = lr * (target - self._step(xi @ self.weights_ + self.bias_))
                if update != 0.0:
                    self.weights_ += update * xi
                    self.bias_ += update
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:
                self.converged_ = True
                break
        self.n_epochs_ = len(self.errors_)
        if not self.converged_:
            # Two different counts: errors_[-1] is how many corrections the last epoch made while the
            # weights were still moving; what the model now gets wrong is judged with the final weights.
            wrong = int(np.sum(self.predict(X) != y))
            warnings.warn(
                f"Perceptron did not converge in max_epochs={epochs}: it still made {self.errors_[-1]} "
                f"correction(s) in the last epoch, and its final weights misclassify {wrong} of {len(y)} samples. "
                "The classes may not be linearly separable (XOR is not).",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def distance_to_boundary(self, X: np.ndarray) -> np.ndarray:
        """Signed distance ``(X @ w + b) / |w|`` of each point to the decision line, shape ``(n_samples,)``.

        Positive on the class-1 side. A point at distance ~0 is classified by a hair: the rule stops at
        the first weights with no mistakes, not at the ones with the widest margin.
        """
        return self.decision_function(X) / float(np.linalg.norm(self.weights_))

    @staticmethod
    def _step(z: np.ndarray | float) -> np.ndarray:
        return np.where(np.asarray(z) >= 0.0, 1, 0)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Weighted sums ``X @ w + b``, shape ``(n_samples,)``."""
        X = check_array("X", X, ndim=2, shape=(None, np.size(self.weights_)))
        return X @ self.weights_ + self.bias_

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels 0/1, shape ``(n_samples,)``."""
        return self._step(self.decision_function(X))

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of samples classified correctly."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
