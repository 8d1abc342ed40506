"""Linear regression trained by gradient descent: the simplest model for lesson 03's loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlbasics.basics.training import History, linear_scaled_learning_rate, train
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_array, check_positive_int

if TYPE_CHECKING:
    from mlbasics.basics.training import History


class LinearRegressor:
    """``y_hat = X @ W + b`` with mean-squared-error loss.

    ``X``: ``(n_samples, n_features)``; ``y``: ``(n_samples,)``. ``params`` holds ``W``
    ``(n_features,)`` and ``b`` ``()``; train it with :func:`mlbasics.basics.training.train`.
    """

    def __init__(self, n_features: int = 1):
        n = check_positive_int("n_features", n_features)
        self.params: dict[str, np.ndarray] = {"W": np.zeros(n), "b": np.zeros(())}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions, shape ``(n_samples,)``."""
        X = check_array("X", X, ndim=2, shape=(None, len(self.params["W"])))
        return X @ self.params["W"] + self.params["b"]

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean squared error on ``(X, y)``."""
        return float(np.mean((self.predict(X) - y) ** 2))

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean squared error and its gradient w.r.t. ``W`` and ``b``."""
        # A diverging run overflows here; the training loop sees the non-finite loss and raises a
        # FloatingPointError that names the learning rate, so NumPy's own overflow warning is noise.
        with np.errstate(over="ignore", invalid="ignore"):
            residual = self.predict(X) - y
            grads = {"W": 2.0 * X.T @ residual / len(X), "b": np.asarray(2.0 * residual.mean())}
            return float(np.mean(residual**2)), grads


def line_data(n: int = 1000, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.5, seed: int = SEED.default):
    """``X`` ``(n, 1)`` uniform in [-1, 1] and ``y = slope·x + intercept + N(0, noise²)`` ``(n,)``."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (check_positive_int("n", n), 1))
    return X, slope * X[:, 0] + intercept + rng.normal(0.0, noise, n)


def batch_size_experiment(batch_size: int, n_samples: int = 1000, epochs: int = 5, learning_rate: float = 0.05,
                          seed: int = SEED.default):
    """Train the line model with one batch size; returns ``(model, history)`` (lesson 03's widget calls this)."""
    X, y = line_data(n_samples, seed=seed)
    model = LinearRegressor(1)
    history = train(model, X, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    return model, history


@dataclass(frozen=True)
class ScalingRun:
    """One batch size trained twice for the same epochs: with the base learning rate, and with it scaled."""

    batch_size: int
    fixed_learning_rate: float
    scaled_learning_rate: float
    fixed: History
    scaled: History


def linear_scaling_experiment(batch_sizes: Sequence[int], base_batch_size: int = 8, base_learning_rate: float = 0.01,
                              n_samples: int = 1000, epochs: int = 5, seed: int = SEED.default) -> list[ScalingRun]:
    """Lesson 03: for each batch size, train the line model with ``base_learning_rate`` unchanged and with
    :func:`~mlbasics.basics.training.linear_scaled_learning_rate` (rate × batch / ``base_batch_size``).

    Same data, same seed and same number of epochs for every run. A scaled run whose rate is past
    the stable limit overflows; its :class:`History` then ends at the step where the loss stopped
    being finite, and its last epoch loss is ``inf``.
    """
    runs = []
    for batch_size in batch_sizes:
        scaled_rate = linear_scaled_learning_rate(base_learning_rate, base_batch_size, batch_size)
        _, fixed = batch_size_experiment(batch_size, n_samples, epochs, base_learning_rate, seed)
        try:
            _, scaled = batch_size_experiment(batch_size, n_samples, epochs, scaled_rate, seed)
        except FloatingPointError:
            scaled = History(steps_per_epoch=0, epoch_loss=[float("inf")])
        runs.append(ScalingRun(batch_size, base_learning_rate, scaled_rate, fixed, scaled))
    return runs
