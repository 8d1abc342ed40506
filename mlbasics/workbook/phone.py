"""Lessons 12 and 13's web page in one call: export the detector as a camera page, play test frames (or
real photos) to it as the camera of a headless Chromium, and report what the page found next to what
Python finds (and, for labelled photos, next to the labelled boxes)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbasics.core.errors import MlbasicsError
from mlbasics.export.web import to_web
from mlbasics.export.web.check import agreement, browser_missing, python_truth_hits, run_page, truth_hits
from mlbasics.export.web.server import serving
from mlbasics.export.web.y4m import TAG_BLOCK, read_y4m, tag_frame, write_y4m

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
    Playwright, Chromium or npm is missing the page is still written and ``skipped`` says why in one
    sentence.
    """
    size = spec.input_size
    # A 4:3 camera frame, the scene in the middle (letterboxed back to the input size, it shrinks to 3/4).
    width, height = (size * 4 // 3 + 1) // 2 * 2, size + TAG_BLOCK
    video_frames = []
    for frame in frames:
        canvas = np.full((height, width, 3), 90, dtype=np.uint8)
        left = (width - size) // 2
        canvas[:size, left : left + size] = frame
        video_frames.append(canvas)
    return _camera_page(model, spec, video_frames, Path(folder), page_frames, phone)


def photo_frames(photos: list[np.ndarray], boxes: list[np.ndarray], size: tuple[int, int] = (640, 480)
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Photos ``(H, W, 3)`` uint8 as a camera of ``size = (width, height)`` would show them: each scaled
    to fit above the frame-number tag's rows, centred on grey; and their boxes ``(n, 4+)`` (pixels
    of the photo) in the frame's pixels. Returns ``(frames, boxes)``."""
    from PIL import Image


    width, height = size
    room = height - TAG_BLOCK
    frames, placed = [], []
    for photo, photo_boxes in zip(photos, boxes):
        scale = min(width / photo.shape[1], room / photo.shape[0])
        w, h = max(1, round(photo.shape[1] * scale)), max(1, round(photo.shape[0] * scale))
        left, top = (width - w) // 2, (room - h) // 2
        canvas = np.full((height, width, 3), 90, dtype=np.uint8)
        canvas[top:top + h, left:left + w] = np.asarray(Image.fromarray(photo).resize((w, h), Image.Resampling.BICUBIC))
        frames.append(canvas)
        corners = np.asarray(photo_boxes, dtype=np.float64).reshape(-1, np.shape(photo_boxes)[-1] or 4)[:, :4]
        placed.append(corners * scale + [left, top, left, top])
    return frames, placed


def camera_page_on_photos(model: Any, spec: YoloSpec, photos: list[np.ndarray], boxes: list[np.ndarray],
                          folder: str | os.PathLike[str] = "web", page_frames: int = 40,
                          phone: bool = True) -> dict[str, Any]:
    """:func:`try_camera_page` with photos as the camera's pictures (:func:`photo_frames`, 640x480) and
    their labelled ``boxes`` (photo pixels): the result also has ``"truth_hits"``, the share of processed
    frames on which every labelled box has a page box at IoU >= 0.5, ``"truth_frames"``, and
    ``"python_truth_hits"``, the same share for Python's boxes on the same frames (which frames the page
    processes depends on its timing; on those frames it should find what Python finds)."""
    frames, placed = photo_frames(photos, boxes)
    result = _camera_page(model, spec, frames, Path(folder), page_frames, phone)
    result["python_truth_hits"] = None
    if result["records"] is not None:
        result["truth_hits"], result["truth_frames"] = truth_hits(result["records"], placed)
        settings = json.loads((result["page"] / "detector.json").read_text(encoding="utf-8"))
        result["python_truth_hits"] = python_truth_hits(result["records"], read_y4m(Path(folder) / "camera.y4m"),
                                                        placed, result["page"] / "model.onnx", spec, settings)
    return result


def _camera_page(model: Any, spec: YoloSpec, frames: list[np.ndarray], root: Path, page_frames: int,
                 phone: bool) -> dict[str, Any]:
    """Export, tag ``frames`` into a ``.y4m``, run the page on it and compare with Python (see above)."""

    result: dict[str, Any] = {"page": root / "tiny_yolo3-web", "screenshot": None, "fps": None, "camera_fps": None,
                              "infer_ms": None, "backend": None, "threads": None, "agreement": None, "boxes": 0,
                              "skipped": None, "records": None, "truth_hits": None, "truth_frames": 0}
    try:
        to_web(model, spec, result["page"])
    except MlbasicsError as exc:
        result["skipped"] = str(exc)
        return result
    result["skipped"] = browser_missing()
    if result["skipped"] is not None:
        return result
    video = write_y4m(root / "camera.y4m", [tag_frame(frame, number) for number, frame in enumerate(frames)],
                      fps=15)
    with serving(result["page"], port=0) as server:
        run = run_page(server.url, video, frames=page_frames, screenshot=root / "page.png", phone=phone)
    settings = json.loads((result["page"] / "detector.json").read_text(encoding="utf-8"))
    share, boxes = agreement(run.detections, read_y4m(video), result["page"] / "model.onnx", spec, settings)
    result.update(screenshot=run.screenshot, fps=run.fps, camera_fps=run.camera_fps,
                  infer_ms=float(np.median(run.infer_ms)), backend=run.backend, threads=run.threads, agreement=share,
                  boxes=boxes, records=run.detections)
    return result

