"""Does the page find what Python finds? Run it in headless Chromium on a fake camera and compare.

:func:`run_page` opens an exported page in Chromium (Playwright) with a ``.y4m`` video as the
camera and returns the page's per-frame detections and speed; :func:`agreement` decodes the same
frames in Python (letterbox -> onnxruntime -> :func:`~mlbasics.export.parity.detector_decoder`)
and counts the boxes that have a partner of the same class at IoU >= 0.9 on the other side.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.export.onnx import OnnxRunner
from mlbasics.export.parity import detector_decoder
from mlbasics.geometry.boxes import box_iou

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec

#: Chromium flags for a headless run with no outside network and a video file as the camera.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


#: Why the page cannot be tried here, one sentence each (shown by lessons 12 and 13 instead of a traceback).
NO_PLAYWRIGHT = ("Playwright is not installed: `pip install -e \".[export]\"` in the project folder (the README's "
                 "`.[all]` includes it) to try the page here")
NO_CHROMIUM = "Chromium not found: install it (Debian: apt-get install chromium) or set MLBASICS_CHROMIUM"


def chromium() -> str | None:
    """Path of a Chromium to drive (``MLBASICS_CHROMIUM``, else ``chromium`` on the PATH), or None."""
    return os.environ.get("MLBASICS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def browser_missing() -> str | None:
    """Why :func:`camera_browser` cannot start here (:data:`NO_PLAYWRIGHT` or :data:`NO_CHROMIUM`), or None."""
    try:
        import playwright.sync_api  # noqa: F401 - the export extra's Playwright drives the browser
    except ImportError:
        return NO_PLAYWRIGHT
    return NO_CHROMIUM if chromium() is None else None


@dataclass
class PageRun:
    """What the page reported: ``detections`` (one record per processed frame: ``tag`` = the video's
    frame number, ``cameraFrame`` = the camera frame it was (counted from 1), ``boxes`` ``(n, 4)``
    frame pixels, ``scores``, ``classes``), its rate of processed frames (per second, over the last
    second), in-browser inference milliseconds per frame, the camera's own frame rate, how many
    frames it processed out of how many the camera gave, the backend and threads it ran on, and the
    milliseconds per frame of its letterbox (JavaScript bicubic resize)."""

    detections: list[dict[str, Any]]
    fps: float
    infer_ms: list[float]
    screenshot: Path | None = None
    camera_fps: float = 0.0
    frames: int = 0
    camera_frames: int = 0
    backend: str | None = None
    threads: int | None = None
    letterbox_ms: list[float] = field(default_factory=list)


#: A phone held upright: an iPhone 12-15's CSS viewport, at its device pixel ratio, with touch.
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "has_touch": True,
                         "is_mobile": True}


@contextlib.contextmanager
def camera_browser(video: str | os.PathLike[str], args: Sequence[str] = (), **context: Any) -> Iterator[Any]:
    """A Playwright browser context of headless Chromium whose camera plays ``video`` (``.y4m``);
    ``args``: more Chromium flags; ``context``: Playwright's ``new_context`` options (``**PHONE`` for a phone).
    Without Playwright or Chromium: an :class:`~mlbasics.core.errors.InputError` saying which
    (:func:`browser_missing`)."""
    missing = browser_missing()
    if missing is not None:
        raise InputError(missing)
    from playwright.sync_api import sync_playwright

    executable = chromium()
    flags = [*CHROMIUM_ARGS, *args, f"--use-file-for-fake-video-capture={Path(video).resolve()}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=flags)
        try:
            yield browser.new_context(**{"viewport": {"width": 700, "height": 560}, **context})
        finally:
            browser.close()


def run_page(url: str, video: str | os.PathLike[str], frames: int = 60, threads: int = 1,
             screenshot: str | os.PathLike[str] | None = None, timeout_s: float = 120,
             attempts: int = 2, query: str = "", phone: bool = False) -> PageRun:
    """Open the page at ``url`` in headless Chromium with ``video`` (``.y4m``) as the camera, let it
    process ``frames`` frames with ``threads`` WebAssembly threads, and return what it reported.

    Inside a running asyncio loop (a Jupyter kernel) it runs from a worker thread, since
    Playwright's synchronous API refuses to run inside one. ``query``: more URL options of the page
    (``"proxy=0&sw=0"``, see ``static/app.js``); ``phone``: a phone's viewport (:data:`PHONE`), the
    screenshot in CSS pixels (390x844). A browser that fails to start or to
    finish in ``timeout_s`` (a busy machine running another Chromium) is tried again, up to
    ``attempts`` times in all; an error the page itself reports is raised at once."""
    import asyncio
    import concurrent.futures

    for attempt in range(1, attempts + 1):
        try:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return _run_page(url, video, frames, threads, screenshot, timeout_s, query, phone)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(_run_page, url, video, frames, threads, screenshot, timeout_s, query,
                                   phone).result()
        except PageError:
            raise
        except Exception as exc:  # noqa: BLE001 - Playwright's launch and timeout errors have several types
            if attempt == attempts:
                raise
            print(f"the camera page did not run ({type(exc).__name__}: {exc}); trying once more", file=sys.stderr)
    raise AssertionError("unreachable")


class PageError(RuntimeError):
    """The page ran and reported an error of its own (``window.stats.error``)."""


def _run_page(url: str, video: str | os.PathLike[str], frames: int, threads: int,
              screenshot: str | os.PathLike[str] | None, timeout_s: float, query: str = "",
              phone: bool = False) -> PageRun:
    with camera_browser(video, **(PHONE if phone else {})) as context:
        page = context.new_page()
        page.goto(f"{url}?tag=1&threads={threads}&frames={frames}" + (f"&{query}" if query else ""))
        page.wait_for_function(f"window.stats.frames >= {frames} || window.stats.error", timeout=timeout_s * 1000)
        stats = page.evaluate("window.stats")
        if stats["error"]:
            raise PageError(f"the page failed: {stats['error']}")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), scale="css")
        return PageRun(page.evaluate("window.detections"), float(stats["fps"]), list(stats["inferMs"]),
                       Path(screenshot) if screenshot else None, float(stats["cameraFps"]), int(stats["frames"]),
                       int(stats["cameraFrames"]), stats["backend"], stats["threads"], list(stats["letterboxMs"]))


def _visible(boxes: np.ndarray) -> np.ndarray:
    """Boxes with at least a pixel of area: a box wholly in the letterbox padding is clipped to a
    line and draws nothing (and has IoU 0 even with itself)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) >= 1


def _partnered(boxes: np.ndarray, classes: np.ndarray, other: np.ndarray, other_classes: np.ndarray,
               iou_threshold: float) -> int:
    return sum(bool(np.any(other_classes == c)) and box_iou(b, other[other_classes == c]).max() >= iou_threshold
               for b, c in zip(boxes, classes))


#: Scores this close to the threshold count on neither side: Chromium turns the camera's YUV frames into RGB
#: with its own arithmetic, and a level or two of colour moves a score of 0.302 below a threshold of 0.3.
SCORE_MARGIN = 0.02


def agreement(records: list[dict[str, Any]], frames: list[np.ndarray], model_path: str | os.PathLike[str],
              spec: YoloSpec, settings: dict[str, Any], iou_threshold: float = 0.9,
              score_margin: float = SCORE_MARGIN) -> tuple[float, int]:
    """``(share, boxes)``: for each record's frame ``frames[tag]``, the page's visible boxes and Python's
    visible boxes scoring at least the threshold + ``score_margin``; the share of them with a partner of
    the same class at IoU >= ``iou_threshold`` on the other side (Python's side scoring at least the
    threshold - ``score_margin``), and how many boxes were compared. A box that Python scores within
    ``score_margin`` of the threshold may be drawn or not by the page: it is not compared."""
    threshold = float(settings["score_threshold"])
    found = _python_boxes(records, frames, model_path, spec, max(threshold - score_margin, 0.0), settings["nms_iou"])
    matched = total = 0
    for record in records:
        py_boxes, py_classes, py_scores = found[int(record["tag"])]
        sure = py_scores >= threshold + score_margin
        page_boxes = np.asarray(record["boxes"], dtype=np.float64).reshape(-1, 4)
        page_classes = np.asarray(record["classes"], dtype=np.int64)
        keep = _visible(page_boxes)
        page_boxes, page_classes = page_boxes[keep], page_classes[keep]
        matched += _partnered(py_boxes[sure], py_classes[sure], page_boxes, page_classes, iou_threshold)
        matched += _partnered(page_boxes, page_classes, py_boxes, py_classes, iou_threshold)
        total += int(sure.sum()) + len(page_boxes)
    return (matched / total if total else 1.0), total


def _python_boxes(records: list[dict[str, Any]], frames: list[np.ndarray], model_path: str | os.PathLike[str],
                  spec: YoloSpec, score_threshold: float, nms_iou: float
                  ) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each frame ``frames[tag]`` a record names: Python's visible boxes ``(n, 4)`` (frame pixels), classes
    and scores, from onnxruntime on the page's ``model.onnx``, letterboxed as the page does."""
    from mlbasics.geometry.letterbox import letterbox

    run = OnnxRunner(model_path)
    decode = detector_decoder(spec, score_threshold, nms_iou)
    found: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for tag in sorted({int(record["tag"]) for record in records}):
        frame = frames[tag]
        square, placement = letterbox(frame, spec.input_size)
        detections = decode(run(square[None].astype(np.float32) / 255))[0]
        height, width = frame.shape[:2]
        boxes = np.clip(placement.boxes_to_original(detections.boxes), 0, [width, height, width, height]) \
            if len(detections) else np.zeros((0, 4))
        visible = _visible(boxes)
        found[tag] = boxes[visible], detections.classes[visible], detections.scores[visible]
    return found


def python_truth_hits(records: list[dict[str, Any]], frames: list[np.ndarray], truths: Sequence[np.ndarray],
                      model_path: str | os.PathLike[str], spec: YoloSpec, settings: dict[str, Any],
                      iou_threshold: float = 0.5) -> float:
    """:func:`truth_hits` of Python's boxes (onnxruntime, the page's threshold) on the same processed frames:
    what the page should find there, whichever frames its timing let it process."""
    found = _python_boxes(records, frames, model_path, spec, float(settings["score_threshold"]), settings["nms_iou"])
    as_page = [{"tag": record["tag"], "boxes": found[int(record["tag"])][0]} for record in records]
    return truth_hits(as_page, truths, iou_threshold)[0]


def truth_hits(records: list[dict[str, Any]], truths: Sequence[np.ndarray], iou_threshold: float = 0.5
               ) -> tuple[float, int]:
    """``(share, frames)``: of the page's processed frames (``records``, each with its video ``tag``), the
    share on which every labelled box ``truths[tag]`` ``(n, 4)`` (frame pixels) has a page box at IoU >=
    ``iou_threshold``, whatever its class (a one-class detector's test), and how many frames were processed."""
    hits = 0
    for record in records:
        page = np.asarray(record["boxes"], dtype=np.float64).reshape(-1, 4)
        truth = np.asarray(truths[int(record["tag"])], dtype=np.float64).reshape(-1, 4)
        hits += all(len(page) and box_iou(box, page).max() >= iou_threshold for box in truth)
    return (hits / len(records) if records else 0.0), len(records)

