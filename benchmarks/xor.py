"""NumPy XOR network vs. the same network in Keras: wall time to reach 100% accuracy.

Both are 2-4-1 (tanh, sigmoid), binary cross-entropy, plain SGD with learning rate 0.5,
full batch of the 4 rows, and start from the *same* initial weights (the NumPy model's,
copied into Keras), so they follow the same path and the time difference is pure
per-step overhead. Each stops at the first epoch whose predictions are all right. Run: ``python -m benchmarks xor``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.mlp import MLP
from mlbasics.basics.training import Callback, History

MAX_EPOCHS = 5000
REPEATS = 3


def numpy_time_to_solve() -> tuple[float, int]:
    """Seconds and epochs until the NumPy MLP classifies all four rows."""
    X, y = truth_table("xor")
    model = MLP((4,), learning_rate=0.5, epochs=MAX_EPOCHS, batch_size=4, seed=0)

    class StopWhenSolved(Callback):
        def on_epoch_end(self, epoch: int, history: History) -> None:
            history.stop_training = model.score(X, y) == 1.0

    start = time.perf_counter()
    model.fit(X, y, callbacks=[StopWhenSolved()])
    return time.perf_counter() - start, model.history_.epochs_run


def keras_time_to_solve() -> tuple[float, int]:
    """Seconds and epochs until the Keras twin classifies all four rows (model built outside the timing)."""
    import keras

    from mlbasics.basics.keras_twin import keras_mlp

    X, y = truth_table("xor")
    model = keras_mlp(2, (4,), learning_rate=0.5, seed=0)
    twin = MLP((4,), seed=0)
    twin.init_params(2)
    model.set_weights([twin.params[name] for name in ("W0", "b0", "W1", "b1")])
    epochs = []

    class StopWhenSolved(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            predictions = (model(X, training=False).numpy()[:, 0] >= 0.5).astype(int)
            if np.array_equal(predictions, y):
                epochs.append(epoch + 1)
                model.stop_training = True

    start = time.perf_counter()
    model.fit(X, y, batch_size=4, epochs=MAX_EPOCHS, verbose=0, callbacks=[StopWhenSolved()])
    return time.perf_counter() - start, (epochs[0] if epochs else MAX_EPOCHS)


def main() -> None:
    """Alternate the two contenders ``REPEATS`` times and print medians and their ratio."""
    keras_time_to_solve()  # warm-up: TensorFlow start-up and graph tracing are not training
    numpy_runs, keras_runs = [], []
    for _ in range(REPEATS):
        numpy_runs.append(numpy_time_to_solve())
        keras_runs.append(keras_time_to_solve())
    numpy_s = statistics.median(t for t, _ in numpy_runs)
    keras_s = statistics.median(t for t, _ in keras_runs)
    for name, seconds, runs in (("numpy MLP ", numpy_s, numpy_runs), ("keras twin", keras_s, keras_runs)):
        print(f"{name}: {seconds * 1000:8.1f} ms median to 100%, {runs[0][1]} epochs, "
              f"{seconds * 1000 / runs[0][1]:.2f} ms per epoch")
    print(f"ratio     : Keras takes {keras_s / numpy_s:.0f}x the NumPy time on this 4-row problem")


if __name__ == "__main__":
    main()
