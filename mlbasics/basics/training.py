"""An explicit mini-batch gradient-descent loop: epochs, batches, iterations, loss.

Vocabulary, as Keras uses it:

* a **batch** is ``batch_size`` samples whose loss gradient makes one update;
* an **iteration** (a *step*) is one such update;
* an **epoch** is one pass over all ``N`` training samples, so it takes
  ``ceil(N / batch_size)`` iterations (the last batch may be smaller).

Any model with ``params`` (a dict of arrays) and ``loss_and_grads(X, y)`` can be trained.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from mlbasics.core import limits
from mlbasics.core.seed import SEED
from mlbasics.core.validation import (
    check_array,
    check_positive_float,
    check_positive_int,
    check_same_length,
)


class TrainableModel(Protocol):
    """What :func:`train` needs from a model."""

    params: dict[str, np.ndarray]

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean loss over the batch and its gradient for every entry of ``params``."""
        ...

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean loss over ``X``, without gradients."""
        ...


@dataclass
class History:
    """What happened during :func:`train`.

    ``step_loss`` has one entry per iteration; ``epoch_loss`` and ``val_loss`` one per
    epoch (``epoch_loss`` is the sample-weighted mean of that epoch's batch losses, as
    Keras reports it).
    """

    steps_per_epoch: int
    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    stop_training: bool = False

    @property
    def epochs_run(self) -> int:
        """Epochs completed (fewer than asked for if a callback stopped training)."""
        return len(self.epoch_loss)

    @property
    def iterations(self) -> int:
        """Parameter updates made in total."""
        return len(self.step_loss)


class Callback:
    """Hooks called by :func:`train`; override the ones you need."""

    def on_step_end(self, step: int, loss: float, history: History) -> None:
        """After each iteration; ``step`` counts from 0 over the whole run."""

    def on_epoch_end(self, epoch: int, history: History) -> None:
        """After each epoch; set ``history.stop_training = True`` to stop."""


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    Monitors ``val_loss`` when there is a validation split, else the training loss.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0):
        self.patience = check_positive_int("patience", patience)
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = -1

    def on_epoch_end(self, epoch: int, history: History) -> None:
        current = (history.val_loss or history.epoch_loss)[-1]
        if current < self.best - self.min_delta:
            self.best, self.best_epoch = current, epoch
        elif epoch - self.best_epoch >= self.patience:
            history.stop_training = True


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Iterations in one epoch: ``ceil(n_samples / batch_size)``."""
    n = check_positive_int("n_samples", n_samples)
    return math.ceil(n / check_positive_int("batch_size", batch_size))


def linear_scaled_learning_rate(base_learning_rate: float, base_batch_size: int, batch_size: int) -> float:
    """The linear scaling rule: multiply the batch size by k, multiply the learning rate by k.

    Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour"
    (arXiv:1706.02677), section 2.1. An epoch then moves the weights about as far with any batch
    size (k times fewer steps, each k times longer). It holds while the scaled rate stays below
    the largest rate the problem tolerates; beyond it training diverges (the paper adds a warm-up
    and reports the rule breaking down past 8k images per batch).
    """
    base_learning_rate = check_positive_float("base_learning_rate", base_learning_rate)
    base = check_positive_int("base_batch_size", base_batch_size)
    return base_learning_rate * check_positive_int("batch_size", batch_size) / base


def batch_indices(n_samples: int, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    """Yield index arrays of one epoch's batches; shuffled when ``rng`` is given."""
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def validation_split_data(
    X: np.ndarray, y: np.ndarray, fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split off the *last* ``fraction`` of samples for validation (as Keras does, before shuffling)."""
    n_val = int(round(len(X) * fraction))
    if fraction > 0 and (n_val == 0 or n_val == len(X)):
        raise ValueError(f"validation_split={fraction} leaves an empty training or validation set for {len(X)} samples")
    cut = len(X) - n_val
    return X[:cut], y[:cut], X[cut:], y[cut:]


def train(
    model: TrainableModel,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    shuffle: bool = True,
    seed: int = SEED.default,
    validation_split: float = 0.0,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``model`` in place by mini-batch gradient descent and return its :class:`History`.

    ``X``: ``(n_samples, ...)``; ``y``: ``(n_samples, ...)``. Each epoch shuffles the
    training samples with a generator seeded by ``seed`` (so runs are repeatable).
    """
    X = check_array("X", X, dtype_kind="fiub")
    y = check_array("y", y, dtype_kind="fiub")
    check_same_length(["X", "y"], X, y)
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    X_train, y_train, X_val, y_val = validation_split_data(
        X, y, limits.SHARE_OR_NONE.check("validation_split", validation_split))
    rng = np.random.default_rng(seed) if shuffle else None
    history = History(steps_per_epoch=steps_per_epoch(len(X_train), batch_size))
    for epoch in range(epochs):
        weighted = 0.0
        for idx in batch_indices(len(X_train), batch_size, rng):
            loss, grads = model.loss_and_grads(X_train[idx], y_train[idx])
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"loss became {loss} at epoch {epoch}, step {history.iterations}: "
                    f"lower learning_rate={learning_rate}"
                )
            for name, grad in grads.items():
                model.params[name] -= learning_rate * grad
            history.step_loss.append(float(loss))
            weighted += float(loss) * len(idx)
            for callback in callbacks:
                callback.on_step_end(history.iterations - 1, float(loss), history)
        history.epoch_loss.append(weighted / len(X_train))
        if len(X_val):
            history.val_loss.append(float(model.loss(X_val, y_val)))
        for callback in callbacks:
            callback.on_epoch_end(epoch, history)
        if history.stop_training:
            break
    return history
