"""Camera frames versus training images: the pre-processing an app must repeat exactly.

Phone cameras deliver 4:2:0 YUV buffers (ARKit's ``capturedImage``: NV12 "420f"; CameraX:
``YUV_420_888``; see :mod:`mlbasics.geometry.camera`) with padded rows, from a sensor mounted
sideways, and photos stored sideways with an orientation tag. A detector trained on RGB,
letterboxed, upright images finds far less if the app skips a step; these functions measure how
much, with the YOLO track's metrics (mAP@0.5 and the share of true boxes found).

:data:`PIPELINES` are the classic mistakes on whole frames; :data:`BUFFER_PIPELINES` start from
a real camera buffer (NV12, full range, BT.601, rows padded to 64 bytes, sensor turned 90°, as
an iPhone delivers it) and show what each wrong reading of it gives the network. :func:`camerax_image`
makes the Android counterpart: a CameraX ``ImageProxy`` in ``YUV_420_888``, as plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbasics.geometry.camera import nv12_to_rgb, pad_rows, plane, rgb_to_ycbcr, rotate, ycbcr_to_rgb
from mlbasics.geometry.colour import rgb_to_yuv, yuv_to_rgb
from mlbasics.vision.yolo.decode import SCORE_THRESHOLD, Detections
from mlbasics.vision.yolo.metrics import evaluate_detections, match_counts

#: What the app does to a camera frame before the model sees it.
PIPELINES = {
    "RGB (as trained)": lambda frames: frames,
    "YUV fed as RGB (bug)": lambda frames: rgb_to_yuv(frames),
    "YUV converted to RGB (fix)": lambda frames: yuv_to_rgb(rgb_to_yuv(frames)),
    "rotated 90° (EXIF ignored)": lambda frames: np.rot90(frames, k=1, axes=(1, 2)).copy(),
    "0-255, not scaled (bug)": lambda frames: frames.astype(np.float32) * 255,  # the model divides by 255
}


#: How the simulated camera buffer of :data:`BUFFER_PIPELINES` is made: ARKit-like NV12.
BUFFER_FORMAT: dict[str, Any] = {"full_range": True, "matrix": "bt601", "row_padding": 64, "sensor_rotation": 90}


def camera_buffer(frame: np.ndarray, full_range: bool = True, matrix: str = "bt601", row_padding: int = 64,
                  sensor_rotation: int = 90) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """The NV12 buffer a camera would deliver for the upright RGB ``frame`` ``(H, W, 3)`` uint8: the
    sensor sees it turned ``sensor_rotation`` degrees anticlockwise (so the app must turn it that
    many degrees clockwise), rows padded by ``row_padding`` bytes. Returns ``(y, uv, width, height,
    row_stride)``: flat uint8 planes as ``CVPixelBufferGetBaseAddressOfPlane`` gives them."""
    sensor = rotate(frame, (360 - sensor_rotation) % 360)
    height, width = sensor.shape[:2]
    y, cb, cr = rgb_to_ycbcr(sensor, full_range=full_range, matrix=matrix)
    stride = width + row_padding
    uv = np.stack([cb, cr], axis=-1).reshape(cb.shape[0], -1)
    return pad_rows(y, stride), pad_rows(uv, stride), width, height, stride


@dataclass(frozen=True)
class PlaneProxy:
    """One plane of a CameraX ``ImageProxy``: ``buffer`` (flat uint8, as ``plane.buffer`` holds it),
    ``row_stride`` and ``pixel_stride`` in bytes (``plane.rowStride``, ``plane.pixelStride``)."""

    buffer: np.ndarray
    row_stride: int
    pixel_stride: int


@dataclass(frozen=True)
class ImageProxy:
    """What CameraX's ``ImageAnalysis`` hands an analyzer, as plain data: ``width`` x ``height`` pixels as
    the sensor sees them, ``planes`` Y, U, V in ``YUV_420_888``, and ``rotation_degrees``
    (``imageInfo.rotationDegrees``: how far to turn the frame clockwise to make it upright)."""

    width: int
    height: int
    planes: tuple[PlaneProxy, PlaneProxy, PlaneProxy]
    rotation_degrees: int


def camerax_image(frame: np.ndarray, full_range: bool = False, matrix: str = "bt601", row_padding: int = 32,
                  rotation_degrees: int = 90) -> ImageProxy:
    """The ``YUV_420_888`` image an Android phone's CameraX would hand over for the upright RGB ``frame``
    ``(H, W, 3)`` uint8 (even sides): the sensor sees it turned ``rotation_degrees`` anticlockwise; rows
    are padded by ``row_padding`` bytes; U and V are interleaved in one buffer with V first (NV21 in
    memory, as most devices store it), so both have pixel stride 2 and the U plane's buffer starts one
    byte after the V plane's."""
    sensor = rotate(frame, (360 - rotation_degrees) % 360)
    height, width = sensor.shape[:2]
    y, cb, cr = rgb_to_ycbcr(sensor, full_range=full_range, matrix=matrix)
    stride = width + row_padding
    interleaved = pad_rows(np.stack([cr, cb], axis=-1).reshape(cb.shape[0], -1), stride)
    length = stride * (cb.shape[0] - 1) + 2 * (cb.shape[1] - 1) + 1  # a plane ends at its last sample
    planes = (PlaneProxy(pad_rows(y, stride), stride, 1), PlaneProxy(interleaved[1 : 1 + length], stride, 2),
              PlaneProxy(interleaved[:length], stride, 2))
    return ImageProxy(width, height, planes, rotation_degrees)


def _buffer_pipeline(mistake: str) -> Callable[[np.ndarray], np.ndarray]:
    fmt = BUFFER_FORMAT

    def one(frame: np.ndarray) -> np.ndarray:
        y, uv, width, height, stride = camera_buffer(frame, **fmt)
        settings = {"y_row_stride": stride, "uv_row_stride": stride, "full_range": fmt["full_range"],
                    "matrix": fmt["matrix"]}
        if mistake == "video range assumed":
            settings["full_range"] = False
        if mistake == "BT.709 assumed":
            settings["matrix"] = "bt709"
        if mistake == "row padding ignored":  # rows read back to back, as if bytesPerRow == width
            luma = y[: width * height].reshape(height, width)
            pairs = uv[: width * ((height + 1) // 2)].reshape(-1, width)
            rgb = ycbcr_to_rgb(luma, pairs[:, 0::2], pairs[:, 1::2], full_range=True)
        elif mistake == "planes fed as R, G, B":  # Y, Cb, Cr stacked as if they were colour channels
            luma = plane("Y", y, width, height, stride)
            pairs = plane("UV", uv, width, (height + 1) // 2, stride)
            up = [np.repeat(np.repeat(c, 2, 0), 2, 1)[:height, :width] for c in (pairs[:, 0::2], pairs[:, 1::2])]
            rgb = np.stack([luma, *up], axis=-1)
        else:
            rgb = nv12_to_rgb(y, uv, width, height, **settings)
        return rgb if mistake == "sensor rotation ignored" else rotate(rgb, int(fmt["sensor_rotation"]))

    return lambda frames: np.stack([one(f) for f in frames])


#: From an ARKit-like NV12 buffer to what the model gets: read right, and one mistake at a time.
BUFFER_PIPELINES = {
    "NV12 read right (fix)": _buffer_pipeline("none"),
    "video range assumed (bug)": _buffer_pipeline("video range assumed"),
    "BT.709 assumed (bug)": _buffer_pipeline("BT.709 assumed"),
    "row padding ignored (bug)": _buffer_pipeline("row padding ignored"),
    "sensor rotation ignored (bug)": _buffer_pipeline("sensor rotation ignored"),
    "planes fed as R, G, B (bug)": _buffer_pipeline("planes fed as R, G, B"),
}


def detection_quality(detections: Sequence, truths: Sequence[np.ndarray], num_classes: int,
                      score_threshold: float = SCORE_THRESHOLD.default) -> dict[str, float]:
    """``{"mAP@0.5": ..., "boxes found": ...}``: mAP over all detections, and the share of true boxes
    ``(m, 5)`` per image matched (same class, IoU >= 0.5) by a detection scoring >= ``score_threshold``."""
    confident = [Detections(d.boxes[d.scores >= score_threshold], d.scores[d.scores >= score_threshold],
                            d.classes[d.scores >= score_threshold]) for d in detections]
    return {"mAP@0.5": evaluate_detections(detections, truths, num_classes).map,
            "boxes found": match_counts(confident, truths).recall}


def compare_pipelines(detect: Callable[[np.ndarray], Sequence], frames: np.ndarray, truths: Sequence[np.ndarray],
                      num_classes: int, pipelines: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
                      ) -> dict[str, dict[str, float]]:
    """:func:`detection_quality` of ``detect`` (frames in 0-255 -> detections per frame; it scales by
    1/255 as training did) on ``frames`` (``(n, s, s, 3)`` ``uint8`` RGB, letterboxed) after each of
    ``pipelines`` (default :data:`PIPELINES`; :data:`BUFFER_PIPELINES` for real buffer formats);
    ``truths`` are the upright frames' boxes."""
    steps = PIPELINES if pipelines is None else pipelines
    return {name: detection_quality(detect(step(frames)), truths, num_classes) for name, step in steps.items()}
