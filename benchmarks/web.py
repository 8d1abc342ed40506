"""In-browser inference (ONNX Runtime Web, WebAssembly, headless Chromium) vs onnxruntime in Python,
on the same model.onnx, one image at a time on one thread, measured side by side in one run.

    python -m benchmarks web [--frames 150]

The lesson's tiny-YOLOv3 (160x160 input, width 0.25, 4 classes) with seeded random weights (speed
does not depend on training), exported with ``--formats web``, fed by a fake camera of synthetic
scenes. Prints both medians and their ratio; the page's frames per second include the camera,
the letterbox resize in JavaScript, decoding and drawing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks web")
    parser.add_argument("--frames", type=int, default=150)
    options = parser.parse_args()

    from mlbasics.data.synthetic import SHAPE_CLASSES
    from mlbasics.export.onnx import OnnxRunner
    from mlbasics.export.web import to_web
    from mlbasics.export.web.check import run_page, untrained_detector
    from mlbasics.export.web.server import serving
    from mlbasics.export.web.y4m import read_y4m, scene_video
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.vision.yolo.spec import YoloSpec
    from mlbasics.workbook.lessons import INPUT_SIZE, WIDTH

    anchors = np.array([[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119]], dtype=np.float32)
    spec = YoloSpec(anchors * INPUT_SIZE / 416 * 2, SHAPE_CLASSES, input_size=INPUT_SIZE, width=WIDTH)
    with tempfile.TemporaryDirectory() as tmp:
        video, _ = scene_video(Path(tmp, "scenes.y4m"), 30, 640, 480, fps=30)
        frames = read_y4m(video)
        squares = np.stack([letterbox(f, INPUT_SIZE)[0] for f in frames]).astype(np.float32) / 255
        folder = to_web(untrained_detector(spec, squares[:8]), spec, Path(tmp, "det-web"))
        with serving(folder, port=0) as server:
            page = run_page(server.url, video, frames=options.frames, threads=1, timeout_s=600)
        runner = OnnxRunner(folder / "model.onnx", num_threads=1)
        python_ms = []
        for i in range(options.frames):
            x = squares[i % len(squares)][None]
            start = time.perf_counter()
            runner(x)
            python_ms.append((time.perf_counter() - start) * 1000)
    browser = float(np.median(page.infer_ms[10:]))  # the first frames warm the WebAssembly code up
    python = float(np.median(python_ms[10:]))
    print(f"model: tiny-YOLOv3 {INPUT_SIZE}x{INPUT_SIZE}, width {WIDTH}; camera 640x480; one thread each")
    print(f"onnxruntime (Python):          {python:7.2f} ms/frame (median)")
    print(f"ONNX Runtime Web (WebAssembly): {browser:7.2f} ms/frame (median)")
    print(f"browser / Python:              {browser / python:7.2f}x")
    print(f"page frame rate:               {page.fps:7.1f} fps (camera, letterbox, inference, decode, drawing)")


if __name__ == "__main__":
    main()
