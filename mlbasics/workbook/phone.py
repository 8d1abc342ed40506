"""Lesson 12's web page in one call: export the detector as a camera page, play test frames to it as
the camera of a headless Chromium, and report what the page found next to what Python finds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec


def try_camera_page(model: Any, spec: YoloSpec, frames: np.ndarray, folder: str | os.PathLike[str] = "web",
                    page_frames: int = 40, phone: bool = True) -> dict[str, Any]:
    """Write ``folder/tiny_yolo3-web`` (:func:`mlbasics.export.web.to_web`), make a 4:3 ``.y4m`` of
    ``frames`` (``(n, S, S, 3)`` uint8, on grey, as a camera would frame them), open the page on
    it in headless Chromium (at a phone's size, 390x844 with touch, unless ``phone=False``) and
    compare its boxes with Python's on the same frames.

    Returns ``{"page": folder, "screenshot": png path or None, "fps": processed frames per second,
    "camera_fps": ..., "infer_ms": median, "backend": ..., "threads": ..., "agreement": share of
    boxes with a partner at IoU >= 0.9, "boxes": compared, "skipped": reason or None}``; where
    Chromium or npm is missing the page is still written and ``skipped`` says why.
    """
    import json

    from mlbasics.core.errors import MlbasicsError
    from mlbasics.export.web import to_web
    from mlbasics.export.web.check import agreement, chromium, run_page
    from mlbasics.export.web.server import serving
    from mlbasics.export.web.y4m import TAG_BLOCK, read_y4m, tag_frame, write_y4m

    root = Path(folder)
    result: dict[str, Any] = {"page": root / "tiny_yolo3-web", "screenshot": None, "fps": None, "camera_fps": None,
                              "infer_ms": None, "backend": None, "threads": None, "agreement": None, "boxes": 0,
                              "skipped": None}
    try:
        to_web(model, spec, result["page"])
    except MlbasicsError as exc:
        result["skipped"] = str(exc)
        return result
    if chromium() is None:
        result["skipped"] = "Chromium not found: install it (Debian: apt-get install chromium) to try the page here"
        return result
    size = spec.input_size
    # A 4:3 camera frame, the scene in the middle (letterboxed back to the input size, it shrinks to 3/4).
    width, height = (size * 4 // 3 + 1) // 2 * 2, size + TAG_BLOCK
    video_frames = []
    for number, frame in enumerate(frames):
        canvas = np.full((height, width, 3), 90, dtype=np.uint8)
        left = (width - size) // 2
        canvas[:size, left : left + size] = frame
        video_frames.append(tag_frame(canvas, number))
    video = write_y4m(root / "camera.y4m", video_frames, fps=15)
    with serving(result["page"], port=0) as server:
        run = run_page(server.url, video, frames=page_frames, screenshot=root / "page.png", phone=phone)
    settings = json.loads((result["page"] / "detector.json").read_text(encoding="utf-8"))
    share, boxes = agreement(run.detections, read_y4m(video), result["page"] / "model.onnx", spec, settings)
    result.update(screenshot=run.screenshot, fps=run.fps, camera_fps=run.camera_fps,
                  infer_ms=float(np.median(run.infer_ms)), backend=run.backend, threads=run.threads, agreement=share,
                  boxes=boxes)
    return result


#: Where to get Graphviz's ``dot``, which ``keras.utils.plot_model`` needs.
GRAPHVIZ_HINT = ("Graphviz is not installed, so here is the text summary instead. To draw the graph: Debian/Ubuntu "
                 "`sudo apt-get install graphviz`, macOS `brew install graphviz`, Windows `winget install graphviz` "
                 "(or `choco install graphviz`), conda `conda install graphviz python-graphviz`; then run the cell "
                 "again.")


def show_graph(model: Any, path: str | os.PathLike[str]) -> bool:
    """Display ``model``'s layer graph (``keras.utils.plot_model`` via
    :func:`~mlbasics.vision.yolo.model.draw_graph`, saved at ``path``); where Graphviz or pydot is
    missing, print :data:`GRAPHVIZ_HINT` and the text summary. Returns whether the graph was drawn."""
    from mlbasics.vision.yolo.model import draw_graph

    if draw_graph(model, path):
        from IPython.display import Image, display

        display(Image(filename=str(path), width=420))
        return True
    print(GRAPHVIZ_HINT + "\n")
    model.summary(line_length=110)
    return False
