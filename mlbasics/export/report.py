"""The lesson's table: every exported format's size, CPU latency and difference from Keras.

One row type, :class:`ExportRow`, for every table of formats: the lesson's comparison
(:func:`compare_formats`), ``mlbasics export``, the widget and the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbasics.export.api import runner
from mlbasics.export.camera import detection_quality
from mlbasics.export.formats import ExportResult
from mlbasics.export.measure import keras_single_image, median_latency_ms
from mlbasics.export.parity import Parity, align, compare, detector_decoder, keras_outputs

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec

#: The row of the Keras model the exports are compared with.
KERAS_FORMAT = "keras (float32 weights)"


@dataclass(frozen=True)
class ExportRow:
    """One format in a table of exports. ``None`` means not measured: Core ML runs only on Apple
    systems, so it has no latency or difference here; ``boxes_agree`` needs a decoder.

    ``size_mb``: file size in MB (10^6 bytes); ``latency_ms``: median milliseconds per image on
    one CPU thread; ``max_abs_diff``: the largest absolute difference from Keras in any output;
    ``boxes_agree``: the share (0..1) of images whose decoded boxes are the same as Keras's;
    ``file``: the exported file's name; ``map50``: mAP@0.5 of its detections on the compared
    images (:func:`detector_map`).
    """

    format: str
    size_mb: float
    latency_ms: float | None = None
    max_abs_diff: float | None = None
    boxes_agree: float | None = None
    file: str | None = None
    map50: float | None = None

    @classmethod
    def of(cls, result: ExportResult, parity: Parity | None = None, latency_ms: float | None = None,
           *, file: str | None = None, map50: float | None = None) -> ExportRow:
        """The row of an exported ``result`` with what was measured of it."""
        return cls(result.format, result.size_bytes / 1e6, latency_ms,
                   None if parity is None else parity.worst, None if parity is None else parity.boxes_agree, file,
                   map50)


#: Column headings of :class:`ExportRow`'s fields, in table order.
HEADINGS = {"format": "format", "file": "file", "size_mb": "MB", "latency_ms": "ms/image",
            "max_abs_diff": "max |diff|", "boxes_agree": "boxes agree", "map50": "mAP@0.5"}


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def format_table(rows: Sequence[ExportRow], extra: Mapping[str, Sequence[object]] | None = None) -> str:
    """A plain-text table of ``rows``, numbers rounded for reading, ``-`` where not measured.

    It has a column for each field that some row has (not ``None``), then one per ``extra``
    item (heading -> one value per row).
    """
    shown = [name for name in HEADINGS if any(getattr(row, name) is not None for row in rows)]
    columns = {HEADINGS[name]: [getattr(r, name) for r in rows] for name in shown}
    for heading, values in (extra or {}).items():
        if len(values) != len(rows):
            raise ValueError(f"extra column {heading!r} has {len(values)} values for {len(rows)} rows")
        columns[heading] = list(values)
    cells = {heading: [_cell(v) for v in values] for heading, values in columns.items()}
    widths = {heading: max(len(heading), *map(len, column)) for heading, column in cells.items()}
    lines = ["  ".join(h.ljust(widths[h]) for h in cells)]
    lines += ["  ".join(cells[h][i].ljust(widths[h]) for h in cells) for i in range(len(rows))]
    return "\n".join(line.rstrip() for line in lines)


Score = Callable[[dict[str, np.ndarray]], float]


def detector_map(spec: YoloSpec, truths: Sequence[np.ndarray]) -> Score:
    """Raw grids ``{name: (n, g, g, 3 * (5 + C))}`` for ``n`` images -> their mAP@0.5 against
    ``truths`` (one ``(m, 5)`` array per image: x1, y1, x2, y2 in pixels, class), decoded with the
    YOLO track's decode at score >= 0.01 and measured as lesson 08 does."""
    decode = detector_decoder(spec, score_threshold=0.01)
    return lambda outputs: detection_quality(decode(outputs), truths, len(spec.class_names))["mAP@0.5"]


def compare_formats(model: Any, results: list[ExportResult], x: np.ndarray, repeats: int = 30,
                    decode: Callable[[dict[str, np.ndarray]], list[Any]] | None = None,
                    score: Score | None = None) -> list[ExportRow]:
    """One :class:`ExportRow` for Keras, then one per exported format: size, median latency of one
    image ``x[:1]`` (one CPU thread for the exported models, ``repeats`` runs), largest difference
    from Keras on ``x`` ``(n, height, width, 3)``, with ``decode`` the share of images whose
    boxes agree, and with ``score`` (e.g. :func:`detector_map` for ``x``'s truths) its ``map50``.
    Core ML rows have no latency, difference or score (it runs only on Apple systems)."""
    one = x[:1]
    keras_mb = sum(np.asarray(w).nbytes for w in model.get_weights()) / 1e6
    reference = keras_outputs(model, x)
    rows = [ExportRow(KERAS_FORMAT, keras_mb, median_latency_ms(keras_single_image(model), one, repeats), 0.0,
                      1.0 if decode else None, map50=None if score is None else score(reference))]
    for result in results:
        run = runner(result)
        if run is None:
            rows.append(ExportRow.of(result))
            continue
        outputs = run(x)
        rows.append(ExportRow.of(result, compare(reference, outputs, decode=decode),
                                 median_latency_ms(run, one, repeats),
                                 map50=None if score is None else score(align(reference, outputs))))
    return rows
