"""Size and CPU latency of exported models, side by side with Keras."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def median_latency_ms(run: Callable[[np.ndarray], object], x: np.ndarray, repeats: int = 30, warmup: int = 3) -> float:
    """Median wall time in milliseconds of ``run(x)`` over ``repeats`` calls (after ``warmup`` calls)."""
    for _ in range(warmup):
        run(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def keras_single_image(model: object) -> Callable[[np.ndarray], object]:
    """Call a Keras model directly on one batch (``model.predict`` adds tf.data overhead)."""
    return lambda x: model(x, training=False)  # type: ignore[operator]


def format_table(rows: list[dict[str, object]]) -> str:
    """A plain-text table of dict rows (same keys), numbers rounded for reading."""
    keys = list(rows[0])
    cells = [[f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths)) for cell in cells]
    return "\n".join(lines)
