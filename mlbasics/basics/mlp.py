"""A small multilayer perceptron in NumPy, trained with backpropagation.

Binary classifier: ``n_features -> hidden layers (tanh or sigmoid) -> 1 sigmoid unit``,
binary cross-entropy loss. Every operation works on a whole batch at once
(vectorised), so the backward pass is a handful of matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.training import Callback, History, train
from mlbasics.core.numeric import sigmoid
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_array, check_positive_int

_EPS = 1e-12


_ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    # name: (function, derivative expressed through the activation's output a)
    "tanh": (np.tanh, lambda a: 1.0 - a**2),
    "sigmoid": (sigmoid, lambda a: a * (1.0 - a)),
}


class MLP:
    """Multilayer perceptron for 0/1 labels.

    ``hidden_units`` lists the width of each hidden layer. ``fit(X, y)`` with ``X``
    ``(n_samples, n_features)`` and ``y`` ``(n_samples,)`` in {0, 1}; the run's
    :class:`~mlbasics.basics.training.History` is kept in ``history_``.
    """

    def __init__(
        self,
        hidden_units: Sequence[int] = (4,),
        activation: str = "tanh",
        learning_rate: float = 0.5,
        epochs: int = 2000,
        batch_size: int = 4,
        seed: int = SEED.default,
    ):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.hidden_units = tuple(check_positive_int("hidden_units", h) for h in hidden_units)
        self.activation = activation
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.params: dict[str, np.ndarray] = {}

    def init_params(self, n_features: int) -> None:
        """Glorot-uniform weights ``W{i}`` ``(fan_in, fan_out)`` and zero biases ``b{i}`` ``(fan_out,)``."""
        rng = np.random.default_rng(self.seed)
        sizes = [n_features, *self.hidden_units, 1]
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.params[f"W{i}"] = rng.uniform(-limit, limit, (fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + output)."""
        return len(self.hidden_units) + 1

    def _forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Activations of every layer, input first; the last has shape ``(batch, 1)``."""
        act, _ = _ACTIVATIONS[self.activation]
        outputs = [X]
        for i in range(self.n_layers):
            z = outputs[-1] @ self.params[f"W{i}"] + self.params[f"b{i}"]
            outputs.append(sigmoid(z) if i == self.n_layers - 1 else act(z))
        return outputs

    @staticmethod
    def _bce(p: np.ndarray, y: np.ndarray) -> float:
        p = np.clip(p, _EPS, 1.0 - _EPS)
        return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean binary cross-entropy of predictions on ``X`` against ``y``."""
        return self._bce(self._forward(X)[-1], y.reshape(-1, 1))

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Backpropagation: the batch's mean loss and the gradient of every parameter."""
        _, act_grad = _ACTIVATIONS[self.activation]
        outputs = self._forward(X)
        y = y.reshape(-1, 1).astype(np.float64)
        delta = (outputs[-1] - y) / len(X)  # d loss / d z of the sigmoid output with cross-entropy
        grads: dict[str, np.ndarray] = {}
        for i in reversed(range(self.n_layers)):
            grads[f"W{i}"] = outputs[i].T @ delta
            grads[f"b{i}"] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.params[f"W{i}"].T) * act_grad(outputs[i])
        return self._bce(outputs[-1], y), grads

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, validation_split: float = 0.0, callbacks: Sequence[Callback] = ()
    ) -> MLP:
        """Initialise and train; returns ``self``."""
        X = check_array("X", X, ndim=2, dtype_kind="fiub").astype(np.float64)
        y = check_array("y", y, ndim=1, dtype_kind="fiub")
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"y must hold only 0 and 1, got values {np.unique(y).tolist()}")
        self.init_params(X.shape[1])
        self.history_: History = train(
            self,
            X,
            y.astype(np.float64),
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=self.seed,
            validation_split=validation_split,
            callbacks=callbacks,
        )
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of class 1, shape ``(n_samples,)``."""
        if not self.params:
            raise RuntimeError("MLP is not fitted yet: call fit(X, y) first")
        X = check_array("X", X, ndim=2, shape=(None, self.params["W0"].shape[0]))
        return self._forward(X)[-1][:, 0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels 0/1, shape ``(n_samples,)``."""
        return (self.predict_proba(X) >= 0.5).astype(int)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of samples classified correctly."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


def train_xor(learning_rate: float = 0.5, hidden_units: int = 4, epochs: int = 2000, seed: int = SEED.default) -> MLP:
    """Train an MLP with one hidden layer on the XOR table (the lesson's widget calls this)."""
    X, y = truth_table("xor")
    return MLP((hidden_units,), learning_rate=learning_rate, epochs=epochs, batch_size=4, seed=seed).fit(X, y)
