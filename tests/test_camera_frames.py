"""Camera buffers -> RGB, checked against implementations that share no code with mlbasics:
OpenCV's ``cvtColor`` (its NV12 / NV21 / I420 conversions are BT.601 video range) and, for full
range and BT.709, a float formula written out here from the standards' published coefficients."""

import numpy as np
import pytest

from mlbasics.core.errors import InputError
from mlbasics.geometry.camera import (
    bgra_to_rgb,
    i420_to_rgb,
    nv12_to_rgb,
    pad_rows,
    rgb_to_ycbcr,
    rotate,
    yuv420_to_rgb,
)

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the dev extra) is the independent reference")

SIZES = [(64, 48), (96, 64), (160, 120), (34, 18)]  # (width, height), even (OpenCV's 4:2:0 needs even sides)


def random_planes(rng, width, height, legal=True):
    """Random Y, Cb, Cr planes: within video range's legal codes (Y 16-235, chroma 16-240) when ``legal``
    (OpenCV clamps luma below 16 before scaling, a choice the standard leaves open), else every byte value."""
    cw, ch = (width + 1) // 2, (height + 1) // 2
    (y_low, y_high), (c_low, c_high) = ((16, 236), (16, 241)) if legal else ((0, 256), (0, 256))
    return (rng.integers(y_low, y_high, (height, width), dtype=np.uint8),
            rng.integers(c_low, c_high, (ch, cw), dtype=np.uint8),
            rng.integers(c_low, c_high, (ch, cw), dtype=np.uint8))


def reference(y, cb, cr, full_range, matrix):
    """Float YCbCr -> RGB from the textbook coefficients, chroma repeated over each 2x2 block."""
    h, w = y.shape
    up = lambda c: np.repeat(np.repeat(c.astype(np.float64), 2, 0), 2, 1)[:h, :w] - 128  # noqa: E731
    cb, cr, y = up(cb), up(cr), y.astype(np.float64)
    if full_range:
        coeff = {"bt601": (1.402, 0.344136, 0.714136, 1.772), "bt709": (1.5748, 0.187324, 0.468124, 1.8556)}[matrix]
        yy = y
    else:  # video range: the 8-bit studio-swing formulas
        coeff = {"bt601": (1.596027, 0.391762, 0.812968, 2.017232),
                 "bt709": (1.792741, 0.213249, 0.532909, 2.112402)}[matrix]
        yy = 1.164384 * (y - 16)
    r = yy + coeff[0] * cr
    g = yy - coeff[1] * cb - coeff[2] * cr
    b = yy + coeff[3] * cb
    return np.clip(np.rint(np.stack([r, g, b], -1)), 0, 255).astype(np.uint8)


def assert_close(a, b, tolerance):
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= tolerance, f"max difference {diff.max()} levels"


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("padding", [0, 13, 64])  # odd and aligned row paddings
def test_nv12_video_range_matches_opencv(width, height, padding):
    rng = np.random.default_rng(width + padding)
    y, cb, cr = random_planes(rng, width, height)
    uv = np.stack([cb, cr], -1).reshape(cb.shape[0], -1)
    expected = cv2.cvtColor(np.concatenate([y, uv]), cv2.COLOR_YUV2RGB_NV12)
    got = nv12_to_rgb(pad_rows(y, width + padding), pad_rows(uv, width + padding), width, height,
                      y_row_stride=width + padding, uv_row_stride=width + padding, full_range=False)
    assert_close(got, expected, 2)
    nv21 = np.stack([cr, cb], -1).reshape(cb.shape[0], -1)
    assert_close(nv12_to_rgb(y, nv21, width, height, full_range=False, order="crcb"),
                 cv2.cvtColor(np.concatenate([y, nv21]), cv2.COLOR_YUV2RGB_NV21), 2)


@pytest.mark.parametrize("width,height", SIZES)
def test_i420_matches_opencv(width, height):
    y, cb, cr = random_planes(np.random.default_rng(width), width, height)
    buffer = np.concatenate([y.ravel(), cb.ravel(), cr.ravel()])
    expected = cv2.cvtColor(buffer.reshape(height * 3 // 2, width), cv2.COLOR_YUV2RGB_I420)
    assert_close(i420_to_rgb(buffer, width, height), expected, 2)


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("pixel_stride", [1, 2])
def test_camerax_yuv_420_888_matches_opencv(width, height, pixel_stride):
    """CameraX planes: rowStride padded to 32 bytes plus 8; pixel stride 2 = U and V views into one
    interleaved buffer, each ending at its last sample as Android's do."""
    y, cb, cr = random_planes(np.random.default_rng(height), width, height)
    y_stride = (width + 31) // 32 * 32 + 8
    if pixel_stride == 1:
        uv_stride = y_stride // 2
        u, v = pad_rows(cb, uv_stride), pad_rows(cr, uv_stride)
    else:
        uv_stride = y_stride
        interleaved = pad_rows(np.stack([cb, cr], -1).reshape(cb.shape[0], -1), uv_stride)
        end = uv_stride * (cb.shape[0] - 1) + 2 * (cb.shape[1] - 1) + 1
        u, v = interleaved[:end], interleaved[1 : end + 1]
    expected = cv2.cvtColor(np.concatenate([y.ravel(), cb.ravel(), cr.ravel()]).reshape(-1, width),
                            cv2.COLOR_YUV2RGB_I420)
    got = yuv420_to_rgb(pad_rows(y, y_stride), u, v, width, height, y_row_stride=y_stride, uv_row_stride=uv_stride,
                        uv_pixel_stride=pixel_stride)
    assert_close(got, expected, 2)


@pytest.mark.parametrize("width,height", [*SIZES, (33, 17), (1, 1)])  # odd sides too: chroma is ceil(side / 2)
@pytest.mark.parametrize("full_range", [True, False])
@pytest.mark.parametrize("matrix", ["bt601", "bt709"])
def test_full_and_video_range_both_matrices_match_the_float_formula(width, height, full_range, matrix):
    y, cb, cr = random_planes(np.random.default_rng(width * height), width, height, legal=False)
    uv = np.stack([cb, cr], -1).reshape(cb.shape[0], -1)
    got = nv12_to_rgb(y, uv, width, height, full_range=full_range, matrix=matrix)
    assert got.shape == (height, width, 3) and got.dtype == np.uint8
    assert_close(got, reference(y, cb, cr, full_range, matrix), 1)


def test_the_wrong_range_or_matrix_changes_the_colours():
    """The settings matter: a mid-saturation colour moves by many levels under the wrong one."""
    rgb = np.full((4, 4, 3), (200, 60, 40), dtype=np.uint8)
    y, cb, cr = rgb_to_ycbcr(rgb, full_range=True, matrix="bt709")
    uv = np.stack([cb, cr], -1).reshape(2, -1)
    right = nv12_to_rgb(y, uv, 4, 4, full_range=True, matrix="bt709")
    assert_close(right, rgb, 2)
    for wrong in ({"full_range": False, "matrix": "bt709"}, {"full_range": True, "matrix": "bt601"}):
        assert np.abs(nv12_to_rgb(y, uv, 4, 4, **wrong).astype(int) - rgb).max() > 10


@pytest.mark.parametrize("padding", [0, 12])
def test_bgra_matches_opencv(padding):
    rng = np.random.default_rng(padding)
    bgra = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    buffer = pad_rows(bgra.reshape(30, -1), 160 + padding)
    assert np.array_equal(bgra_to_rgb(buffer, 40, 30, row_stride=160 + padding),
                          cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB))


@pytest.mark.parametrize("degrees,code", [(0, None), (90, cv2.ROTATE_90_CLOCKWISE), (180, cv2.ROTATE_180),
                                          (270, cv2.ROTATE_90_COUNTERCLOCKWISE)])
def test_rotation_matches_opencv(degrees, code):
    image = np.random.default_rng(1).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    expected = image if code is None else cv2.rotate(image, code)
    assert np.array_equal(rotate(image, degrees), expected)
    with pytest.raises(InputError, match="rotation must be one of"):
        rotate(image, 45)


def test_round_trip_of_a_picture():
    rgb = np.random.default_rng(2).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    rgb = np.repeat(np.repeat(rgb[::2, ::2], 2, 0), 2, 1)  # flat 2x2 blocks: nothing lost to 4:2:0
    for full_range in (True, False):
        y, cb, cr = rgb_to_ycbcr(rgb, full_range=full_range)
        assert_close(yuv420_to_rgb(y, cb, cr, 8, 8, full_range=full_range), rgb, 3)


def test_wrong_buffer_sizes_name_the_plane_and_the_sizes():
    y = np.zeros(64 * 48 + 64 * 10, dtype=np.uint8)  # a padded plane whose stride was not passed
    with pytest.raises(InputError, match=r"Y plane: a 64x48 plane with row stride 64 .* takes 3072..3072 bytes, "
                                         r"got 3712 \(is the row stride"):
        nv12_to_rgb(y, np.zeros(64 * 24, dtype=np.uint8), 64, 48)
    with pytest.raises(InputError, match="UV plane"):
        nv12_to_rgb(np.zeros(64 * 48, dtype=np.uint8), np.zeros(10, dtype=np.uint8), 64, 48)
    with pytest.raises(InputError, match=r"I420 buffer: a 4x4 frame takes 24 bytes \(1.5 per pixel\), got 48"):
        i420_to_rgb(bytes(48), 4, 4)
    with pytest.raises(InputError, match="dtype float"):
        i420_to_rgb(np.zeros(24), 4, 4)
    with pytest.raises(InputError, match="matrix must be one of"):
        i420_to_rgb(bytes(24), 4, 4, matrix="bt2020")
    with pytest.raises(InputError, match="pixel stride must be 1"):
        yuv420_to_rgb(bytes(16), bytes(4), bytes(4), 4, 4, uv_pixel_stride=3)
    with pytest.raises(InputError, match="width must be a positive integer"):
        i420_to_rgb(bytes(24), 0, 4)


def test_buffer_pipelines_read_right_and_each_mistake_shows():
    from mlbasics.export.camera import BUFFER_PIPELINES, camera_buffer

    frames = np.random.default_rng(3).integers(0, 256, (2, 12, 12, 3), dtype=np.uint8)
    frames = np.repeat(np.repeat(frames, 4, 1), 4, 2)  # 48x48 of flat 4x4 blocks: 4:2:0 loses nothing
    y, uv, width, height, stride = camera_buffer(frames[0])
    assert (width, height, stride) == (48, 48, 112) and y.size == 112 * 48 and uv.size == 112 * 24
    errors = {name: np.abs(step(frames).astype(int) - frames).mean() for name, step in BUFFER_PIPELINES.items()}
    assert errors.pop("NV12 read right (fix)") < 1.5
    assert all(error > 3 for error in errors.values()), errors
