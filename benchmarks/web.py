"""The camera page's speed (ONNX Runtime Web in headless Chromium) against onnxruntime in Python, on the
same model.onnx, the same thread count and the same frames, measured side by side in one run.

    python -m benchmarks web [--frames 90] [--models small coco] [--threads 1 2] [--query proxy=0]

Two tiny-YOLOv3 detectors with seeded random weights (speed does not depend on training), exported
with ``--formats web``'s code, fed by a 30 fps fake camera (640x480 synthetic scenes):

* ``small``: the lesson's (160x160 input, width 0.25, 4 classes);
* ``coco``: the COCO-sized one (416x416 input, width 1.0, 80 classes): the arithmetic of the
  published yolov3-tiny, whatever its weights.

For each model and thread count (default: half the cores, all of them): the page's median
inference milliseconds, its processed and camera frames per second, Python's median, and the
ratio Python ms / page ms (1: as fast as Python; the issue's target is >= 0.5).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec

#: yolov3-tiny.cfg's anchors (input pixels at 416).
COCO_ANCHORS = [[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]]
#: Frames skipped before timing: the first runs warm the WebAssembly code and the caches up.
WARM_UP = 10


def _spec(name: str) -> YoloSpec:
    from mlbasics.data.synthetic import SHAPE_CLASSES
    from mlbasics.vision.yolo.spec import YoloSpec
    from mlbasics.workbook.lessons import INPUT_SIZE, WIDTH

    if name == "small":
        anchors = np.array(COCO_ANCHORS, dtype=np.float32) * INPUT_SIZE / 416 * 2
        return YoloSpec(anchors, SHAPE_CLASSES, input_size=INPUT_SIZE, width=WIDTH)
    return YoloSpec(np.array(COCO_ANCHORS, dtype=np.float32), tuple(f"class{i}" for i in range(80)),
                    input_size=416, width=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks web")
    parser.add_argument("--frames", type=int, default=90, help="frames the page processes per run")
    parser.add_argument("--models", nargs="+", choices=("small", "coco"), default=["small", "coco"])
    cores = os.cpu_count() or 1
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({max(1, cores // 2), cores}),
                        help="thread counts to compare (default: half the cores, all of them)")
    parser.add_argument("--query", default="", help="more URL options for the page, e.g. proxy=0 (inference on the "
                                                     "page's thread instead of a worker)")
    options = parser.parse_args()

    from mlbasics.export.onnx import OnnxRunner
    from mlbasics.export.web import to_web
    from mlbasics.export.web.check import run_page
    from mlbasics.export.web.server import serving
    from mlbasics.export.web.y4m import read_y4m, scene_video
    from mlbasics.geometry.letterbox import letterbox
    from tests.detectors import stand_in_detector

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        video, _ = scene_video(Path(tmp, "scenes.y4m"), 30, 640, 480, fps=30)
        frames = read_y4m(video)
        for name in options.models:
            spec = _spec(name)
            squares = np.stack([letterbox(f, spec.input_size)[0] for f in frames]).astype(np.float32) / 255
            folder = to_web(stand_in_detector(spec, squares[:8]), spec, Path(tmp, f"{name}-web"))
            for threads in options.threads:
                with serving(folder, port=0) as server:
                    page = run_page(server.url, video, frames=options.frames, threads=threads, timeout_s=600,
                                    query=options.query)
                runner = OnnxRunner(folder / "model.onnx", num_threads=threads)
                python_ms = []
                for i in range(options.frames):
                    x = squares[i % len(squares)][None]
                    start = time.perf_counter()
                    runner(x)
                    python_ms.append((time.perf_counter() - start) * 1000)
                browser = float(np.median(page.infer_ms[WARM_UP:]))
                python = float(np.median(python_ms[WARM_UP:]))
                rows.append((name, spec, threads, page, browser, python))

    print(f"camera: 640x480 at 30 fps (fake); {os.cpu_count()} cores; {options.frames} frames per run; "
          f"medians after {WARM_UP} warm-up frames")
    print("model                           threads  page ms  Python ms  Python/page  processed fps  camera fps  "
          "letterbox ms  backend")
    for name, spec, threads, page, browser, python in rows:
        label = f"{name}: {spec.input_size}x{spec.input_size}, width {spec.width:g}, {spec.num_classes} cl."
        print(f"{label:31s} {threads:7d} {browser:8.1f} {python:10.1f} {python / browser:12.2f} "
              f"{page.fps:14.1f} {page.camera_fps:11.1f} {np.median(page.letterbox_ms[WARM_UP:]):13.1f}  "
              f"{page.backend}, {page.threads} thread(s)")
    for name in options.models:
        best = min((r for r in rows if r[0] == name), key=lambda r: r[4])
        print(f"{name}: fastest in the page with {best[2]} thread(s), {best[4]:.1f} ms")


if __name__ == "__main__":
    main()
