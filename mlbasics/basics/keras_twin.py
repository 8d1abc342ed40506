"""The same models and counts in Keras, to check the NumPy versions against the real thing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_positive_int


def keras_mlp(n_features: int, hidden_units: Sequence[int] = (4,), learning_rate: float = 0.5,
              seed: int = SEED.default):
    """A Keras model equal to :class:`~mlbasics.basics.mlp.MLP`: tanh hidden layers, sigmoid output,
    binary cross-entropy, plain SGD. Input ``(batch, n_features)``, output ``(batch, 1)``."""
    with quiet_import():
        import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((n_features,))]
    layers += [keras.layers.Dense(h, activation="tanh") for h in hidden_units]
    layers += [keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def keras_step_counts(n_samples: int, batch_size: int, epochs: int = 2) -> tuple[int, int]:
    """Run a real ``model.fit`` on ``n_samples`` random rows and count its batches.

    Returns ``(steps_per_epoch, total_iterations)`` as Keras executed them.
    """
    with quiet_import():
        import keras

    n_samples = check_positive_int("n_samples", n_samples)
    batch_size = check_positive_int("batch_size", batch_size)
    seen: list[int] = []

    class CountBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            seen.append(batch)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(n_samples, 1)), rng.normal(size=n_samples), batch_size=batch_size,
              epochs=check_positive_int("epochs", epochs), verbose=0, callbacks=[CountBatches()])
    return max(seen) + 1, len(seen)
