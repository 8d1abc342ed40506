"""Camera frames as phones deliver them -> the network's RGB ``(height, width, 3) uint8``.

A camera frame is not an ``(H, W, 3)`` array. The usual formats:

* **NV12** (iOS: ARKit's ``ARFrame.capturedImage`` and AVCaptureSession's default,
  ``kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`` "420f" or ``...VideoRange`` "420v"): a
  full-size luma plane Y ``(H, W)`` and a half-size plane of interleaved chroma ``Cb Cr Cb Cr ...``
  ``(H/2, W/2, 2)``. Each plane's rows may be padded: ``bytesPerRowOfPlane`` is the *row stride*.
* **YUV_420_888** (Android: CameraX ``ImageAnalysis`` / ``ImageProxy``): three planes Y, U, V,
  each with a ``rowStride`` and a ``pixelStride``. Pixel stride 1 is planar I420; pixel stride 2
  means U and V are views into one interleaved buffer (NV12 or NV21 in memory).
* **BGRA** (AVCaptureSession with ``kCVPixelFormatType_32BGRA``): 4 bytes per pixel, blue first,
  rows padded to ``bytesPerRow``.

4:2:0 means one chroma sample (Cb, Cr) per 2x2 block of pixels: a ``W x H`` frame holds
``W*H + 2 * ceil(W/2) * ceil(H/2)`` bytes, about 1.5 per pixel, not 3. Two more choices decide
the colours: the **range** (*full*: Y and chroma use 0-255; *video*: Y uses 16-235 and chroma
16-240) and the **matrix** (BT.601 for SD and most phone preview streams, BT.709 for HD video).
Finally the sensor is mounted sideways: CameraX reports ``imageInfo.rotationDegrees`` and iOS an
orientation; :func:`rotate` turns the frame upright.

Every buffer is a 1-D ``uint8`` array (or ``bytes``) exactly as the platform hands it over;
strides are in bytes. Wrong buffer sizes raise :class:`~mlbasics.core.errors.InputError` naming
the plane, the size it has and the sizes that would fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.core.errors import InputError

#: ``(Kr, Kb)`` luma weights of red and blue for each matrix (ITU-R BT.601 and BT.709).
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}
#: Device orientations a frame can be rotated by, in degrees clockwise.
ROTATIONS = (0, 90, 180, 270)


def _check_matrix(matrix: str) -> tuple[float, float]:
    if matrix not in MATRICES:
        raise InputError(f"matrix must be one of {sorted(MATRICES)}, got {matrix!r}")
    return MATRICES[matrix]


def _check_size(width: Any, height: Any) -> tuple[int, int]:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{name} must be a positive integer (pixels), got {value!r}")
    return int(width), int(height)


def _as_bytes(name: str, buffer: Any) -> np.ndarray:
    """``buffer`` (bytes, bytearray, memoryview or a uint8 array) as a flat uint8 array, no copy."""
    if isinstance(buffer, (bytes, bytearray, memoryview)):
        return np.frombuffer(buffer, dtype=np.uint8)
    array = np.asarray(buffer)
    if array.dtype != np.uint8:
        raise InputError(f"{name} must be uint8 bytes as the camera delivers them, got dtype {array.dtype}")
    return array.reshape(-1)


def plane(name: str, buffer: Any, cols: int, rows: int, row_stride: int | None = None,
          pixel_stride: int = 1) -> np.ndarray:
    """A ``(rows, cols)`` uint8 view of one image plane inside a padded ``buffer``.

    ``row_stride``: bytes from one row's start to the next (``cols * pixel_stride`` when None,
    i.e. no padding); ``pixel_stride``: bytes from one sample to the next in a row (2 for the
    interleaved chroma of NV12 / NV21). The buffer may end right after the last sample, as
    Android's do: it must hold between ``row_stride * (rows - 1) + pixel_stride * (cols - 1) + 1``
    and ``row_stride * rows`` bytes; anything else is an :class:`InputError` (the usual cause: a
    row stride that was not passed).
    """
    data = _as_bytes(name, buffer)
    if pixel_stride not in (1, 2):
        raise InputError(f"{name}: pixel stride must be 1 (planar) or 2 (interleaved), got {pixel_stride!r}")
    row_stride = cols * pixel_stride if row_stride is None else int(row_stride)
    if row_stride < cols * pixel_stride - (pixel_stride - 1):
        raise InputError(f"{name}: row stride {row_stride} is shorter than a row of {cols} samples "
                         f"with pixel stride {pixel_stride}")
    smallest = row_stride * (rows - 1) + pixel_stride * (cols - 1) + 1
    largest = max(row_stride * rows, smallest)
    if not smallest <= data.size <= largest:
        raise InputError(f"{name}: a {cols}x{rows} plane with row stride {row_stride} and pixel stride "
                         f"{pixel_stride} takes {smallest}..{largest} bytes, got {data.size} "
                         f"(is the row stride - bytesPerRow / rowStride - right?)")
    padded = np.zeros(row_stride * rows, dtype=np.uint8)
    padded[: data.size] = data
    return padded.reshape(rows, row_stride)[:, : cols * pixel_stride : pixel_stride]


def ycbcr_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, *, full_range: bool,
                 matrix: str = "bt601") -> np.ndarray:
    """Luma ``(H, W)`` and chroma planes ``(ceil(H/2), ceil(W/2))`` (uint8) -> RGB ``(H, W, 3)`` uint8.

    Each chroma sample covers its 2x2 block of pixels (nearest neighbour, as OpenCV and most
    camera pipelines do). ``full_range``: Y and chroma use 0-255 (iOS "420f", JPEG); otherwise
    video range, Y 16-235 and chroma 16-240 ("420v", most Android and video streams).
    """
    kr, kb = _check_matrix(matrix)
    height, width = y.shape
    cb = np.repeat(np.repeat(cb, 2, axis=0), 2, axis=1)[:height, :width].astype(np.float32) - 128
    cr = np.repeat(np.repeat(cr, 2, axis=0), 2, axis=1)[:height, :width].astype(np.float32) - 128
    luma = y.astype(np.float32)
    if not full_range:
        luma = (luma - 16) * (255 / 219)
        cb, cr = cb * (255 / 224), cr * (255 / 224)
    kg = 1 - kr - kb
    red = luma + 2 * (1 - kr) * cr
    blue = luma + 2 * (1 - kb) * cb
    green = (luma - kr * red - kb * blue) / kg
    rgb = np.stack([red, green, blue], axis=-1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def yuv420_to_rgb(y: Any, u: Any, v: Any, width: int, height: int, *, y_row_stride: int | None = None,
                  uv_row_stride: int | None = None, uv_pixel_stride: int = 1, full_range: bool = False,
                  matrix: str = "bt601") -> np.ndarray:
    """Android's ``YUV_420_888`` (CameraX ``ImageProxy.planes``: Y, U, V) -> RGB ``(height, width, 3)`` uint8.

    ``y``, ``u``, ``v``: each plane's bytes (``plane.buffer``); ``y_row_stride`` and
    ``uv_row_stride``: ``plane.rowStride`` in bytes (None: unpadded); ``uv_pixel_stride``:
    ``plane.pixelStride`` of U and V (1: planar I420; 2: U and V interleaved, NV12 or NV21 in memory).
    CameraX frames are usually video range, BT.601.
    """
    width, height = _check_size(width, height)
    cw, ch = (width + 1) // 2, (height + 1) // 2
    luma = plane("Y plane", y, width, height, y_row_stride)
    cb = plane("U plane", u, cw, ch, uv_row_stride, uv_pixel_stride)
    cr = plane("V plane", v, cw, ch, uv_row_stride, uv_pixel_stride)
    return ycbcr_to_rgb(luma, cb, cr, full_range=full_range, matrix=matrix)


def i420_to_rgb(buffer: Any, width: int, height: int, *, full_range: bool = False,
                matrix: str = "bt601") -> np.ndarray:
    """One contiguous I420 buffer (Y ``W*H`` bytes, then U, then V, ``ceil(W/2)*ceil(H/2)`` each,
    no padding: the layout of ``.y4m`` video and many decoders) -> RGB ``(H, W, 3)`` uint8."""
    width, height = _check_size(width, height)
    data = _as_bytes("I420 buffer", buffer)
    luma_size, chroma_size = width * height, ((width + 1) // 2) * ((height + 1) // 2)
    if data.size != luma_size + 2 * chroma_size:
        raise InputError(f"I420 buffer: a {width}x{height} frame takes {luma_size + 2 * chroma_size} bytes "
                         f"(1.5 per pixel), got {data.size}")
    return yuv420_to_rgb(data[:luma_size], data[luma_size : luma_size + chroma_size], data[luma_size + chroma_size :],
                         width, height, full_range=full_range, matrix=matrix)


def nv12_to_rgb(y: Any, uv: Any, width: int, height: int, *, y_row_stride: int | None = None,
                uv_row_stride: int | None = None, full_range: bool = True, matrix: str = "bt601",
                order: str = "cbcr") -> np.ndarray:
    """A bi-planar 4:2:0 frame -> RGB ``(height, width, 3)`` uint8.

    iOS (ARKit ``ARFrame.capturedImage``, AVCaptureSession): ``CVPixelBufferGetBaseAddressOfPlane``
    0 and 1 give ``y`` and ``uv``, ``CVPixelBufferGetBytesPerRowOfPlane`` the row strides;
    ``kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`` is ``full_range=True`` (ARKit's),
    ``...VideoRange`` is ``full_range=False``. ``order="crcb"`` reads NV21 (Android's legacy
    camera API). ``uv``: ``ceil(H/2)`` rows of ``ceil(W/2)`` interleaved chroma pairs.
    """
    if order not in ("cbcr", "crcb"):
        raise InputError(f"order must be 'cbcr' (NV12) or 'crcb' (NV21), got {order!r}")
    width, height = _check_size(width, height)
    cw, ch = (width + 1) // 2, (height + 1) // 2
    luma = plane("Y plane", y, width, height, y_row_stride)
    stride = 2 * cw if uv_row_stride is None else int(uv_row_stride)
    pairs = plane("UV plane", uv, 2 * cw, ch, stride)
    first, second = pairs[:, 0::2], pairs[:, 1::2]
    cb, cr = (first, second) if order == "cbcr" else (second, first)
    return ycbcr_to_rgb(luma, cb, cr, full_range=full_range, matrix=matrix)


def bgra_to_rgb(buffer: Any, width: int, height: int, *, row_stride: int | None = None) -> np.ndarray:
    """AVCaptureSession's ``kCVPixelFormatType_32BGRA`` (blue, green, red, alpha; rows of
    ``bytesPerRow`` bytes) -> RGB ``(height, width, 3)`` uint8 (alpha dropped)."""
    width, height = _check_size(width, height)
    pixels = plane("BGRA buffer", buffer, 4 * width, height, row_stride).reshape(height, width, 4)
    return np.ascontiguousarray(pixels[..., 2::-1])


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` ``(H, W, ...)`` turned ``degrees`` clockwise (0, 90, 180, 270): pass CameraX's
    ``imageInfo.rotationDegrees`` (or the angle iOS's orientation implies) to get the upright frame.
    90 and 270 swap height and width."""
    if degrees not in ROTATIONS:
        raise InputError(f"rotation must be one of {ROTATIONS} degrees clockwise, got {degrees!r}")
    return np.ascontiguousarray(np.rot90(image, k=-degrees // 90, axes=(0, 1)))


def rgb_to_ycbcr(rgb: np.ndarray, *, full_range: bool, matrix: str = "bt601") -> tuple[np.ndarray, ...]:
    """The encoder's side, to make test frames: RGB ``(H, W, 3)`` uint8 -> ``(Y (H, W), Cb, Cr
    (ceil(H/2), ceil(W/2)))`` uint8, chroma averaged over each 2x2 block."""
    kr, kb = _check_matrix(matrix)
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"rgb must be (height, width, 3) uint8, got {rgb.shape} {rgb.dtype}")
    red, green, blue = (rgb[..., i].astype(np.float64) for i in range(3))
    luma = kr * red + (1 - kr - kb) * green + kb * blue
    cb, cr = (blue - luma) / (2 * (1 - kb)), (red - luma) / (2 * (1 - kr))
    height, width = luma.shape
    padded = [np.pad(c, ((0, height % 2), (0, width % 2)), mode="edge") for c in (cb, cr)]
    cb, cr = (p.reshape(p.shape[0] // 2, 2, p.shape[1] // 2, 2).mean(axis=(1, 3)) for p in padded)
    if not full_range:
        luma, cb, cr = 16 + luma * (219 / 255), cb * (224 / 255), cr * (224 / 255)
    return tuple(np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (luma, cb + 128, cr + 128))


def pad_rows(plane_: np.ndarray, row_stride: int) -> np.ndarray:
    """A ``(rows, cols)`` plane as the flat bytes of a buffer whose rows are ``row_stride`` bytes
    (the padding the camera adds for alignment, here zeros)."""
    rows, cols = plane_.shape
    if row_stride < cols:
        raise InputError(f"row stride {row_stride} is shorter than a row of {cols} bytes")
    out = np.zeros((rows, row_stride), dtype=np.uint8)
    out[:, :cols] = plane_
    return out.reshape(-1)
