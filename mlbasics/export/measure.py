"""Size and CPU latency of exported models, side by side with Keras."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mlbasics.core.quiet import quiet_import
from mlbasics.core.validation import check_positive_int


def median_latency_ms(run: Callable[[np.ndarray], object], x: np.ndarray, repeats: int = 30, warmup: int = 3,
                      clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time in milliseconds of ``run(x)`` over ``repeats`` calls, after ``warmup`` untimed calls
    (the first calls of a model include one-off set-up). ``clock()`` gives seconds (a test passes its own)."""
    check_positive_int("repeats", repeats)
    for _ in range(warmup):
        run(x)
    times = []
    for _ in range(repeats):
        start = clock()
        run(x)
        times.append(clock() - start)
    return float(np.median(times) * 1000)


def keras_single_image(model: object) -> Callable[[np.ndarray], object]:
    """Call a Keras model directly on one batch (``model.predict`` adds tf.data overhead)."""
    return lambda x: model(x, training=False)  # type: ignore[operator]


def keras_calls(model: Any) -> dict[str, Callable[[np.ndarray], object]]:
    """The ways of calling a Keras ``model`` on one batch, by what each adds to the same arithmetic:

    * ``model.predict(x)``: wraps ``x`` in a dataset and runs a prediction loop with callbacks, each call;
    * ``model(x)`` (eager, :func:`keras_single_image`): Python dispatches every layer's operations one by one;
    * ``model.predict_on_batch(x)``: one call of a traced TensorFlow graph, no dataset, no loop;
    * ``tf.function(jit_compile=True)``: that graph compiled by XLA into fused kernels (the first call
      compiles: :func:`median_latency_ms`'s warm-up calls absorb it).

    TensorFlow runs these on all the machine's cores (its thread pools are fixed at start-up); the
    exported runtimes in the lesson's table use one thread.
    """
    with quiet_import():
        import tensorflow as tf

    xla = tf.function(lambda x: model(x, training=False), jit_compile=True, autograph=False)
    return {"model.predict(x)": lambda x: model.predict(x, verbose=0),
            "model(x), eager": keras_single_image(model),
            "model.predict_on_batch(x)": model.predict_on_batch,
            "tf.function(jit_compile=True)": xla}
