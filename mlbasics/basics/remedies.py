"""Remedies for over-fitting, each as a small experiment on lesson 04's data.

The patient: a degree-9 polynomial fitted to 20 noisy samples of ``y = x`` (noise 0.1), scored
on 200 fresh samples, the same data as :func:`mlbasics.basics.fitting.polynomial_experiment`.
Fitted by least squares it threads the training points (training error ~0.002) and misses new
ones (test error ~0.08, eight times the noise variance 0.01). The remedies:

* **more data**: :func:`more_data_curve` (the learning curve);
* **augmentation**: :func:`augmentation_curve`, extra copies of the training points moved a
  little along ``x`` with the same ``y`` (what flipping or cropping a photo does for images);
* **weight decay / L2**: :func:`weight_decay_curve`, least squares plus ``strength * |w|²``;
* **dropout** and **early stopping**: :func:`descent_run`, the same polynomial trained by
  gradient descent, where each step can drop features at random, and training can stop when
  the error on held-out validation points stops falling.

The polynomial is written in the Legendre basis (``numpy.polynomial.legendre``): the same
functions as powers of ``x``, with better-conditioned columns, so gradient descent and the
penalty treat the coefficients evenly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre

from mlbasics.basics.fitting import learning_curve, noisy_samples
from mlbasics.basics.training import Callback, EarlyStopping, History, train
from mlbasics.core import limits
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_positive_int

#: The degree every remedy is tried on (over-fits 20 points).
DEGREE = 9


def legendre_features(x: np.ndarray, degree: int = DEGREE) -> np.ndarray:
    """Legendre polynomials ``P_0 .. P_degree`` at ``x`` ``(n,)``: shape ``(n, degree + 1)``."""
    return legendre.legvander(np.asarray(x, dtype=np.float64), degree)


@dataclass(frozen=True)
class Curve:
    """Training and test error (mean squared) against one setting, ``setting`` ``(k,)``."""

    setting: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray


def _data(n_train: int, noise: float, seed: int, n_test: int = 200) -> tuple[np.ndarray, ...]:
    x_train, y_train = noisy_samples(n_train, noise, seed)
    x_test, y_test = noisy_samples(n_test, noise, seed + 1)
    return x_train, y_train, x_test, y_test


def _mse(features: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((features @ w - y) ** 2))


def ridge_coefficients(features: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    """Least squares with weight decay: ``argmin |features @ w - y|² + strength * |w[1:]|²``
    (the constant term is not penalised). ``features`` ``(n, d)``, returns ``w`` ``(d,)``."""
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    penalty = strength * np.eye(features.shape[1])
    penalty[0, 0] = 0.0
    return np.linalg.lstsq(features.T @ features + penalty, features.T @ y, rcond=None)[0]


def weight_decay_curve(strengths: Sequence[float], degree: int = DEGREE, n_train: int = 20, noise: float = 0.1,
                       seed: int = SEED.default) -> Curve:
    """Errors of the degree-``degree`` fit for each L2 ``strength`` (0 is plain least squares)."""
    x_train, y_train, x_test, y_test = _data(n_train, noise, seed)
    f_train, f_test = legendre_features(x_train, degree), legendre_features(x_test, degree)
    fits = [ridge_coefficients(f_train, y_train, float(s)) for s in strengths]
    return Curve(np.asarray(strengths, dtype=np.float64), np.array([_mse(f_train, w, y_train) for w in fits]),
                 np.array([_mse(f_test, w, y_test) for w in fits]))


def augmented(x: np.ndarray, y: np.ndarray, copies: int, jitter: float, seed: int = SEED.default
              ) -> tuple[np.ndarray, ...]:
    """``x, y`` plus ``copies`` copies of every point with ``x`` moved by ``N(0, jitter²)`` and ``y`` kept.

    It claims that a point a little to the side has (nearly) the same answer: true for a smooth
    rule, as "a cat flipped left-right is still a cat" is for photos. Returns ``(x, y)``, each
    ``(n * (copies + 1),)``.
    """
    rng = np.random.default_rng(seed)
    moved = [x + rng.normal(0.0, jitter, len(x)) for _ in range(copies)]
    return np.concatenate([x, *moved]), np.tile(y, copies + 1)


def augmentation_curve(copies: Sequence[int], jitter: float = 0.1, degree: int = DEGREE, n_train: int = 20,
                       noise: float = 0.1, seed: int = SEED.default) -> Curve:
    """Errors of the plain least-squares fit trained on the 20 points plus ``k`` jittered copies, for
    each ``k`` in ``copies``. The training error is measured on the original points only."""
    x_train, y_train, x_test, y_test = _data(n_train, noise, seed)
    f_train, f_test = legendre_features(x_train, degree), legendre_features(x_test, degree)
    train_errors, test_errors = [], []
    for k in copies:
        x_more, y_more = augmented(x_train, y_train, k, jitter, seed)
        w = ridge_coefficients(legendre_features(x_more, degree), y_more, 0.0)
        train_errors.append(_mse(f_train, w, y_train))
        test_errors.append(_mse(f_test, w, y_test))
    return Curve(np.asarray(copies, dtype=np.float64), np.array(train_errors), np.array(test_errors))


def more_data_curve(sizes: Sequence[int], degree: int = DEGREE, noise: float = 0.1, seed: int = SEED.default) -> Curve:
    """Errors of the degree-``degree`` fit for each number of training points (the learning curve)."""
    train_errors, test_errors = learning_curve(degree, sizes, noise=noise, seed=seed)
    return Curve(np.asarray(sizes, dtype=np.float64), train_errors, test_errors)


class FeatureRegression:
    """``y_hat = features @ w`` with squared error, for :func:`~mlbasics.basics.training.train`.

    With ``dropout = p > 0`` every training step zeroes each non-constant feature of each sample
    with probability ``p`` and scales the kept ones by ``1 / (1 - p)`` (inverted dropout, as Keras
    does), so no single coefficient can carry a fit alone. :meth:`loss` (validation, scoring)
    uses all features.
    """

    def __init__(self, n_features: int, dropout: float = 0.0, seed: int = SEED.default):
        self.dropout = limits.SHARE_OR_NONE.check("dropout", dropout)
        self.params: dict[str, np.ndarray] = {"w": np.zeros(check_positive_int("n_features", n_features))}
        self._rng = np.random.default_rng(seed)

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean squared error with every feature."""
        return _mse(X, self.params["w"], y)

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean squared error of one step (features dropped at random) and its gradient."""
        if self.dropout > 0:
            keep = (self._rng.random(X.shape) >= self.dropout) / (1.0 - self.dropout)
            keep[:, 0] = 1.0
            X = X * keep
        residual = X @ self.params["w"] - y
        return float(np.mean(residual**2)), {"w": 2.0 * X.T @ residual / len(X)}


@dataclass(frozen=True)
class DescentRun:
    """One gradient-descent run: errors every ``record_every`` epochs, and where early stopping halted.

    ``epoch`` ``(k,)`` (1-based), ``train_error`` and ``test_error`` ``(k,)``; ``stopped_at`` is the
    last epoch run (equal to the epochs asked for when nothing stopped it); ``history`` is the
    :class:`~mlbasics.basics.training.History` (``val_loss`` per epoch when validation was used).
    """

    epoch: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    stopped_at: int
    history: History


class _RecordErrors(Callback):
    def __init__(self, model: FeatureRegression, train: tuple[np.ndarray, np.ndarray],
                 test: tuple[np.ndarray, np.ndarray], every: int):
        self.model, self.train, self.test, self.every = model, train, test, every
        self.rows: list[tuple[int, float, float]] = []

    def on_epoch_end(self, epoch: int, history: History) -> None:
        if (epoch + 1) % self.every == 0 or history.stop_training:
            self.rows.append((epoch + 1, self.model.loss(*self.train), self.model.loss(*self.test)))


def descent_run(dropout: float = 0.0, epochs: int = 20000, learning_rate: float = 0.1, patience: int | None = None,
                n_val: int = 20, record_every: int = 100, degree: int = DEGREE, n_train: int = 20, noise: float = 0.1,
                seed: int = SEED.default) -> DescentRun:
    """Train the degree-``degree`` polynomial on the 20 points by full-batch gradient descent.

    ``dropout``: the fraction of features dropped at each step (:class:`FeatureRegression`).
    ``patience``: when given, :class:`~mlbasics.basics.training.EarlyStopping` watches the error on
    ``n_val`` extra validation points (drawn like the training points, never trained on) and stops
    after ``patience`` epochs without a new best. Features are scaled to unit RMS on the training
    points. The training points are the same 20 in every run.
    """
    x_train, y_train, x_test, y_test = _data(n_train, noise, seed)
    x_val, y_val = noisy_samples(n_val, noise, seed + 2)
    scale = np.sqrt(np.mean(legendre_features(x_train, degree) ** 2, axis=0))

    def features(x: np.ndarray) -> np.ndarray:
        return legendre_features(x, degree) / scale

    model = FeatureRegression(degree + 1, dropout, seed)
    recorder = _RecordErrors(model, (features(x_train), y_train), (features(x_test), y_test), record_every)
    callbacks: list[Callback] = []
    X, y, split = features(x_train), y_train, 0.0
    if patience is not None:
        # train() holds out the *last* rows: append the validation points after the training ones.
        X, y = np.vstack([X, features(x_val)]), np.concatenate([y, y_val])
        split = n_val / (n_train + n_val)
        callbacks.append(EarlyStopping(patience=patience))
    callbacks.append(recorder)  # after EarlyStopping, so it records the epoch training stops at
    history = train(model, X, y, epochs=epochs, batch_size=n_train, learning_rate=learning_rate, shuffle=False,
                    validation_split=split, callbacks=callbacks)
    rows = np.array(recorder.rows)
    return DescentRun(rows[:, 0].astype(int), rows[:, 1], rows[:, 2], history.epochs_run, history)
