"""Latency and size of each export format relative to Keras, measured side by side in one run.

    python -m benchmarks export_formats

One image at a time on one CPU thread (as an app calls a model per camera frame), on the
lesson's tiny-YOLOv3 (160x160 input, width 0.25, 4 classes) with seeded random weights (speed
does not depend on training). The exported models' raw grids are compared with Keras's.
``tflite-int8-full`` is calibrated on 64 other random inputs: they stand in for real frames, since
speed does not depend on them (lesson 12 calibrates on real ones and measures mAP).
"""

from __future__ import annotations

import tempfile

import numpy as np


def main() -> None:
    import keras

    from mlbasics.export.api import export_model
    from mlbasics.export.report import compare_formats, format_table
    from mlbasics.vision.yolo.model import tiny_yolo3
    from mlbasics.workbook.lessons import INPUT_SIZE, WIDTH

    keras.utils.set_random_seed(0)
    model = tiny_yolo3(INPUT_SIZE, 4, WIDTH)
    x = np.random.default_rng(0).random((16, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        representative = np.random.default_rng(1).random((64, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.float32)
        results = export_model(model, tmp, ["tflite-float32", "tflite-float16", "tflite-int8", "tflite-int8-full",
                                            "onnx"], representative=representative)
        rows = compare_formats(model, results, x, repeats=200)
    base = rows[0]  # Keras; every format here runs on this machine, so each row has a latency
    print(format_table(rows, extra={"size vs keras": [row.size_mb / base.size_mb for row in rows],
                                    "speed-up vs keras": [base.latency_ms / row.latency_ms for row in rows]}))


if __name__ == "__main__":
    main()
