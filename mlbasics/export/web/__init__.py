"""The detector in a web page: camera -> letterbox -> ONNX Runtime Web -> YOLO decode + NMS -> boxes.

``to_web(model, spec, out_dir)`` writes a self-contained static folder::

    index.html, app.js, yolo.js      the page (templates in ``static/``)
    sw.js, manifest.webmanifest,     the service worker (offline after one visit) and the web app
    icon-192.png, icon-512.png       manifest with its icons (Add to Home Screen)
    model.onnx                       the network (the ONNX exporter's file)
    detector.json                    the decode settings: the spec's anchors, masks, grids, classes ...
    runtime/                         ONNX Runtime Web's WebAssembly build and a licence notice, copied from
                                     the npm install in the cache (:mod:`mlbasics.export.web.npm`)

Serve it with ``mlbasics serve DIR`` (:mod:`mlbasics.export.web.server`): browsers open the
camera only in a secure context (https://, or http://localhost).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbasics.export.formats import ExportError
from mlbasics.export.onnx import to_onnx
from mlbasics.export.web.npm import RUNTIME_FILES, install_runtime, runtime_version
from mlbasics.io.files import atomic_path, write_json
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec

STATIC = Path(__file__).with_name("static")
#: The page's files, copied from :data:`STATIC`.
PAGE_FILES = ("index.html", "app.js", "yolo.js", "sw.js", "manifest.webmanifest", "icon-192.png", "icon-512.png")
#: Grey of the letterbox padding (:func:`mlbasics.geometry.letterbox.letterbox`'s ``fill``).
FILL = 128


def web_settings(spec: YoloSpec, input_name: str, output_names: list[str],
                 score_threshold: float = SCORE_THRESHOLD.default, nms_iou: float = NMS_IOU.default,
                 max_detections: int = 100) -> dict[str, Any]:
    """``detector.json``: what the page's decode needs, from the spec (``anchors`` ``(k, 2)`` input
    pixels; ``masks`` and ``grids`` coarsest first) and the ONNX graph's input and output names
    (outputs ordered like the grids)."""
    SCORE_THRESHOLD.check(score_threshold)
    NMS_IOU.check(nms_iou)
    return {"model": spec.model, "input_size": spec.input_size, "classes": list(spec.class_names),
            "anchors": spec.anchors.tolist(), "masks": [list(m) for m in spec.masks], "grids": list(spec.grids),
            "strides": list(spec.strides), "input_name": input_name, "output_names": output_names,
            "score_threshold": score_threshold, "nms_iou": nms_iou, "max_detections": max_detections,
            "fill": FILL, "scale": "pixels / 255, RGB, NHWC (1, size, size, 3) float32"}


def onnx_names(path: str | os.PathLike[str], spec: YoloSpec) -> tuple[str, list[str]]:
    """The ONNX graph's input name and its output names ordered like ``spec.grids`` (coarsest first);
    an :class:`ExportError` when the outputs are not the spec's grids (not this detector)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1 or list(inputs[0].shape[1:]) != [spec.input_size, spec.input_size, 3]:
        raise ExportError(f"web: the model must take one (batch, {spec.input_size}, {spec.input_size}, 3) image, "
                          f"got {[(i.name, i.shape) for i in inputs]}")
    by_grid = {}
    for output in session.get_outputs():
        shape = list(output.shape[1:])
        for grid in spec.grids:
            if shape == [grid, grid, spec.channels]:
                by_grid[grid] = output.name
    if len(by_grid) != len(spec.grids) or len(session.get_outputs()) != len(spec.grids):
        raise ExportError(f"web: the page runs YOLO detectors; expected outputs {spec.output_shapes}, got "
                          f"{[(o.name, o.shape) for o in session.get_outputs()]}")
    return inputs[0].name, [by_grid[grid] for grid in spec.grids]


def to_web(model: Any, spec: YoloSpec, out_dir: str | os.PathLike[str],
           score_threshold: float = SCORE_THRESHOLD.default, nms_iou: float = NMS_IOU.default) -> Path:
    """Write the camera page for detector ``model`` (a Keras tiny-YOLOv3 / YOLOv3 that ``spec``
    describes) into the folder ``out_dir``, atomically (all of it or nothing). Installs ONNX
    Runtime Web into the cache first if needed (npm). Returns ``out_dir``."""
    outputs = [tuple(t.shape[1:]) for t in model.outputs]
    if sorted(outputs) != sorted(spec.output_shapes):
        raise ExportError(f"web: the page runs YOLO detectors (a .weights.h5 with its .config.json); this model's "
                          f"outputs {outputs} are not the spec's grids {spec.output_shapes}")
    dist = install_runtime()
    with atomic_path(out_dir) as staged:
        staged.mkdir()
        to_onnx(model, staged / "model.onnx")
        input_name, output_names = onnx_names(staged / "model.onnx", spec)
        write_json(staged / "detector.json", web_settings(spec, input_name, output_names, score_threshold, nms_iou))
        for name in PAGE_FILES:
            shutil.copyfile(STATIC / name, staged / name)
        (staged / "runtime").mkdir()
        for name in RUNTIME_FILES:
            shutil.copyfile(dist / name, staged / "runtime" / name)
        (staged / "runtime" / "NOTICE.txt").write_text(
            f"onnxruntime-web {runtime_version()}: Copyright (c) Microsoft Corporation, MIT License.\n"
            "Installed by `npm ci` from mlbasics/export/web/runtime/package-lock.json, which pins its sha512.\n",
            encoding="utf-8")
    return Path(out_dir)
