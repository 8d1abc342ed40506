"""A fake camera for the browser: synthetic scenes as a ``.y4m`` video, and the frames read back.

Chromium plays a ``.y4m`` file as its camera with ``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=FILE.y4m``. YUV4MPEG2 is a text header line, then per frame
the line ``FRAME`` and the frame's I420 bytes (Y, then U, then V; 4:2:0, no padding).

Each frame carries its number in its bottom-left corner (:data:`TAG_BITS` blocks of
:data:`TAG_BLOCK` pixels, white = 1), which the page reads with ``?tag=1``: a test can then
compare the page's boxes with Python's on exactly the same frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.seed import SEED
from mlbasics.geometry.camera import i420_to_rgb, rgb_to_ycbcr
from mlbasics.io.files import atomic_write

#: Bits and block size (pixels) of the frame-number tag; the page (app.js) uses the same numbers.
TAG_BITS, TAG_BLOCK = 12, 8


def tag_frame(rgb: np.ndarray, number: int) -> np.ndarray:
    """A copy of ``rgb`` ``(H, W, 3)`` uint8 with ``number`` drawn as black/white blocks, bit 0 at the left
    of the bottom :data:`TAG_BLOCK` rows."""
    height, width = rgb.shape[:2]
    if width < TAG_BITS * TAG_BLOCK or height < TAG_BLOCK or not 0 <= number < 2**TAG_BITS:
        raise InputError(f"cannot tag frame {number} of {width}x{height}: needs {TAG_BITS * TAG_BLOCK} pixels "
                         f"of width and a number below {2**TAG_BITS}")
    out = rgb.copy()
    for bit in range(TAG_BITS):
        out[height - TAG_BLOCK :, bit * TAG_BLOCK : (bit + 1) * TAG_BLOCK] = 255 if number >> bit & 1 else 0
    return out


def write_y4m(path: str | os.PathLike[str], frames: Sequence[np.ndarray], fps: int = 10) -> Path:
    """Write RGB frames ``(H, W, 3)`` uint8 (even sides) as a ``.y4m`` video: I420, BT.601 video range
    (what Chromium assumes for y4m), ``fps`` frames per second. Returns ``path``."""
    height, width = frames[0].shape[:2]
    if width % 2 or height % 2:
        raise InputError(f"y4m 4:2:0 frames need even sides, got {width}x{height}")
    with atomic_write(path) as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames:
            if frame.shape != (height, width, 3):
                raise InputError(f"every frame must be {(height, width, 3)}, got {frame.shape}")
            handle.write(b"FRAME\n")
            for plane in rgb_to_ycbcr(frame, full_range=False, matrix="bt601"):
                handle.write(plane.tobytes())
    return Path(path)


def read_y4m(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The frames of a ``.y4m`` (4:2:0) video as RGB ``(H, W, 3)`` uint8, BT.601 video range."""
    data = Path(path).read_bytes()
    header, _, body = data.partition(b"\n")
    fields = header.decode("ascii", "replace").split()
    if not fields or fields[0] != "YUV4MPEG2":
        raise DataFileError(path, "not a YUV4MPEG2 (.y4m) file")
    size = {f[0]: f[1:] for f in fields[1:]}
    if not size.get("C", "420").startswith("420"):
        raise DataFileError(path, f"only 4:2:0 video is read here, got C{size['C']}")
    width, height = int(size["W"]), int(size["H"])
    frame_bytes = width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    frames, offset = [], 0
    while offset < len(body):
        end = body.index(b"\n", offset)
        if not body[offset:end].startswith(b"FRAME"):
            raise DataFileError(path, f"expected FRAME at byte {len(header) + 1 + offset}")
        pixels = np.frombuffer(body, dtype=np.uint8, count=frame_bytes, offset=end + 1)
        frames.append(i420_to_rgb(pixels, width, height, full_range=False, matrix="bt601"))
        offset = end + 1 + frame_bytes
    return frames


def scene_video(path: str | os.PathLike[str], count: int, width: int = 320, height: int = 240, seed: int = SEED.default,
                fps: int = 10) -> tuple[Path, list[np.ndarray]]:
    """``count`` tagged synthetic scenes (:func:`mlbasics.data.synthetic.render_scene`) as a ``.y4m``;
    returns the path and each frame's true boxes ``(n, 5)`` (pixels, class id)."""
    from mlbasics.data.synthetic import SceneStyle, render_scene

    rng = np.random.default_rng(seed)
    style = SceneStyle(width, height - TAG_BLOCK)  # shapes stay clear of the tag rows
    frames, truths = [], []
    for number in range(count):
        image, boxes = render_scene(rng, style)
        canvas = np.zeros((height, width, 3), dtype=np.uint8)
        canvas[: height - TAG_BLOCK] = image
        frames.append(tag_frame(canvas, number))
        truths.append(boxes)
    return write_y4m(path, frames, fps), truths
