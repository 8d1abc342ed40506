"""Size and CPU latency of exported models, side by side with Keras."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

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
