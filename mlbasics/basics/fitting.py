"""Under- and over-fitting with polynomials, and a "useful over-fit" from physics.

The data: noisy samples of ``y = x``. A polynomial of degree 0 cannot follow it
(under-fitting: high error on training *and* test data), degree 1 is right, and a
high degree threads every training point, noise included (over-fitting: tiny training
error, large test error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import Polynomial

from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_array, check_positive_float, check_positive_int, check_same_length

SPEED_OF_LIGHT = 299_792_458.0  # m/s


def noisy_samples(
    n: int, noise: float = 0.1, seed: int = SEED.default, function: Callable[[np.ndarray], np.ndarray] = lambda x: x
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x`` uniform in [-1, 1] and ``y = function(x) + N(0, noise²)``; both shape ``(n,)``."""
    n = check_positive_int("n", n)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    return x, function(x) + rng.normal(0.0, noise, n)


def fit_polynomial(x: np.ndarray, y: np.ndarray, degree: int) -> Polynomial:
    """Least-squares polynomial of ``degree`` through points ``(x, y)`` of shape ``(n,)``."""
    x = check_array("x", x, ndim=1)
    y = check_array("y", y, ndim=1)
    check_same_length(["x", "y"], x, y)
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
        raise ValueError(f"degree must be an integer >= 0, got {degree!r}")
    if degree >= len(x):
        raise ValueError(f"degree={degree} needs at least {degree + 1} points, got {len(x)}")
    return Polynomial.fit(x, y, degree)


def mse(model: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``model(x)`` against ``y``."""
    return float(np.mean((model(np.asarray(x)) - np.asarray(y)) ** 2))


@dataclass(frozen=True)
class FitResult:
    """One polynomial degree: the model, its errors, and the verdict."""

    degree: int
    model: Polynomial
    train_error: float
    test_error: float
    regime: str


def classify_regime(train_error: float, test_error: float, noise_variance: float, tolerance: float = 2.0) -> str:
    """``"under-fitting"``, ``"appropriate"`` or ``"over-fitting"`` from the two errors.

    ``noise_variance`` is the error no model can beat (the noise in the data). A model
    whose *training* error is ``tolerance`` times above it cannot even follow the data
    it saw: under-fitting. One whose *test* error is ``tolerance`` times above both the
    noise and its own training error learned the training points, not the rule:
    over-fitting. Otherwise both errors sit near the noise level: appropriate.
    """
    noise_variance = check_positive_float("noise_variance", noise_variance)
    if train_error > tolerance * noise_variance:
        return "under-fitting"
    if test_error > tolerance * noise_variance and test_error > tolerance * train_error:
        return "over-fitting"
    return "appropriate"


def polynomial_experiment(
    degree: int,
    n_train: int = 20,
    n_test: int = 200,
    noise: float = 0.1,
    seed: int = SEED.default,
    function: Callable[[np.ndarray], np.ndarray] = lambda x: x,
) -> FitResult:
    """Fit one degree to ``n_train`` noisy points, score it on ``n_test`` fresh ones (the widget calls this)."""
    x_train, y_train = noisy_samples(n_train, noise, seed, function)
    x_test, y_test = noisy_samples(n_test, noise, seed + 1, function)
    model = fit_polynomial(x_train, y_train, degree)
    train_error, test_error = mse(model, x_train, y_train), mse(model, x_test, y_test)
    return FitResult(degree, model, train_error, test_error, classify_regime(train_error, test_error, noise**2))


def floor_of_test_set(
    n_test: int = 200,
    noise: float = 0.1,
    seed: int = SEED.default,
    function: Callable[[np.ndarray], np.ndarray] = lambda x: x,
) -> float:
    """The error of the true rule itself on :func:`polynomial_experiment`'s test points (same arguments).

    The noise variance ``noise²`` is the floor *in expectation*: on one finite test set the mean
    squared noise comes out a little above or below it, and a model can score below ``noise²`` there
    (never, on average, over many test sets). This is that set's own floor.
    """
    x_test, y_test = noisy_samples(n_test, noise, seed + 1, function)
    return mse(function, x_test, y_test)


def degree_sweep(degrees: Sequence[int], **kwargs: object) -> list[FitResult]:
    """:func:`polynomial_experiment` for each degree, on the same data."""
    return [polynomial_experiment(d, **kwargs) for d in degrees]  # type: ignore[arg-type]


def learning_curve(
    degree: int, sizes: Sequence[int], noise: float = 0.1, seed: int = SEED.default, n_test: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Training and test error of ``degree`` for each training-set size; both shape ``(len(sizes),)``."""
    results = [polynomial_experiment(degree, n_train=n, n_test=n_test, noise=noise, seed=seed) for n in sizes]
    return np.array([r.train_error for r in results]), np.array([r.test_error for r in results])


def galilean_addition(u: np.ndarray | float, v: np.ndarray | float) -> np.ndarray:
    """Everyday velocity addition ``u + v`` (m/s): the simple model."""
    return np.asarray(u, dtype=np.float64) + np.asarray(v, dtype=np.float64)


def relativistic_addition(u: np.ndarray | float, v: np.ndarray | float, c: float = SPEED_OF_LIGHT) -> np.ndarray:
    """Einstein's velocity addition ``(u + v) / (1 + u v / c²)`` (m/s): the true rule."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if np.any(np.abs(u) >= c) or np.any(np.abs(v) >= c):
        raise ValueError("speeds must be below the speed of light c")
    return (u + v) / (1.0 + u * v / c**2)


def galilean_relative_error(u: np.ndarray | float, v: np.ndarray | float, c: float = SPEED_OF_LIGHT) -> np.ndarray:
    """How far ``u + v`` is above the true result, as a fraction: ``(u + v) / w - 1``, which is exactly ``u v / c²``.

    Computed in that closed form: subtracting the two nearly equal speeds in float64 would keep only the
    last bits of a 16-digit number (for a walker on a train, 4.5e-16 instead of 5.0e-16).
    """
    return np.asarray(u, dtype=np.float64) * np.asarray(v, dtype=np.float64) / c**2


def galilean_valid_up_to(tolerance: float, c: float = SPEED_OF_LIGHT) -> float:
    """The speed ``v`` (m/s) up to which adding ``v + v`` the simple way is off by at most ``tolerance``.

    From ``v²/c² = tolerance``: ``v = c · sqrt(tolerance)`` (1% -> a tenth of light speed).
    """
    return c * np.sqrt(check_positive_float("tolerance", tolerance))
