"""The lesson's table: every exported format's size, CPU latency and difference from Keras."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlbasics.export.api import runner
from mlbasics.export.formats import ExportResult
from mlbasics.export.measure import keras_single_image, median_latency_ms
from mlbasics.export.parity import check_parity


def compare_formats(model: Any, results: list[ExportResult], x: np.ndarray, repeats: int = 30,
                    decode: Callable[[dict[str, np.ndarray]], list[Any]] | None = None) -> list[dict[str, Any]]:
    """One row per format plus Keras: ``format``, ``MB``, ``ms/image`` (median, one CPU thread
    for the exported models), ``max |diff|`` and ``boxes agree`` (share of images, if ``decode``).
    Core ML rows have no latency or difference here (it runs only on Apple systems)."""
    one = x[:1]
    keras_mb = sum(np.asarray(w).nbytes for w in model.get_weights()) / 1e6
    rows = [{"format": "keras (float32 weights)", "MB": keras_mb,
             "ms/image": median_latency_ms(keras_single_image(model), one, repeats),
             "max |diff|": 0.0, "boxes agree": 1.0 if decode else None}]
    for result in results:
        run = runner(result)
        row: dict[str, Any] = {"format": result.format, "MB": result.size_bytes / 1e6, "ms/image": None,
                               "max |diff|": None, "boxes agree": None}
        if run is not None:
            parity = check_parity(model, run, x, decode=decode)
            row.update({"ms/image": median_latency_ms(run, one, repeats), "max |diff|": parity.worst,
                        "boxes agree": parity.boxes_agree})
        rows.append(row)
    return rows
