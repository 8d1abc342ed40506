"""Every colour mode decodes to the right 8-bit RGB values, and paths that would hang are refused.

Each image is a ramp with a known mean built with Pillow, saved, and decoded with ``load_image``;
a mode decoded wrongly (16-bit clipped to white, float to black) is off by far more than the tolerance.
"""

from __future__ import annotations

import os
import socket
import struct

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.io.images import load_image, to_rgb
from tests.nonblocking import raises_without_blocking

WIDTH = 256


def _ramp(top: float, dtype: type, bottom: float = 0.0, rows: int = 4) -> np.ndarray:
    """``(rows, 256)`` values rising evenly from ``bottom`` to ``top``: its 8-bit version has mean 127.5."""
    return np.tile(np.linspace(bottom, top, WIDTH), (rows, 1)).astype(dtype)


def _decode(tmp_path, image: Image.Image, fmt: str, expect_mode: str | None = None, **save) -> np.ndarray:
    path = tmp_path / f"image.{fmt.lower()}"
    image.save(path, fmt, **save)
    if expect_mode is not None:
        with Image.open(path) as reopened:
            assert reopened.mode == expect_mode  # the file really holds the mode under test
    rgb = load_image(path)
    assert rgb.shape == (*image.size[::-1], 3) and rgb.dtype == np.uint8
    return rgb


def _assert_grey_ramp(rgb: np.ndarray, tolerance: float = 0.0) -> None:
    """Grey (R = G = B), mean 127.5, first column black, last column white."""
    assert np.abs(rgb.astype(int) - rgb[..., :1]).max() <= tolerance
    assert rgb.mean() == pytest.approx(127.5, abs=tolerance)
    assert rgb[:, 0].max() <= tolerance and rgb[:, -1].min() >= 255 - tolerance


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path, fmt):
    # Pillow's convert("RGB") clips 0..65535 at 255: mean 254 instead of 127.5.
    rgb = _decode(tmp_path, Image.fromarray(_ramp(65535, np.uint16)), fmt, expect_mode="I;16")
    _assert_grey_ramp(rgb)
    assert rgb[0, WIDTH // 2, 0] == 128


def test_16_bit_big_endian_tiff(tmp_path):
    data = _ramp(65535, ">u2")
    image = Image.frombytes("I;16B", (WIDTH, data.shape[0]), data.tobytes())
    _assert_grey_ramp(_decode(tmp_path, image, "TIFF", expect_mode="I;16B"))


@pytest.mark.parametrize(("mode", "dtype"), [("I;16L", "<u2"), ("I;16B", ">u2"), ("I;16N", "=u2")])
def test_16_bit_modes_in_memory(mode, dtype):
    data = _ramp(65535, dtype)
    _assert_grey_ramp(np.asarray(to_rgb(Image.frombytes(mode, (WIDTH, data.shape[0]), data.tobytes()))))


def test_32_bit_int_holding_16_bit_data_is_scaled_like_16_bit(tmp_path):
    rgb = _decode(tmp_path, Image.fromarray(_ramp(65535, np.int32)), "TIFF", expect_mode="I")
    _assert_grey_ramp(rgb)


def test_32_bit_int_beyond_16_bits_is_scaled_by_the_int32_range(tmp_path):
    values = np.array([[-(2**31), -(2**30), 0, 70_000, 2**30, 2**31 - 1]], dtype=np.int32)
    rgb = _decode(tmp_path, Image.fromarray(values), "TIFF", expect_mode="I")
    assert rgb[0, :, 0].tolist() == [0, 64, 128, 128, 191, 255]


def test_float_in_unit_range_is_multiplied_by_255(tmp_path):
    _assert_grey_ramp(_decode(tmp_path, Image.fromarray(_ramp(1.0, np.float32)), "TIFF", expect_mode="F"))


def test_float_outside_unit_range_is_stretched_from_min_to_max(tmp_path):
    image = Image.fromarray(_ramp(3000.0, np.float32, bottom=-1000.0))
    _assert_grey_ramp(_decode(tmp_path, image, "TIFF", expect_mode="F"))


def test_float_not_a_number_becomes_black():
    values = np.array([[np.nan, 0.0, 0.5, 1.0]], dtype=np.float32)
    assert np.asarray(to_rgb(Image.fromarray(values)))[0, :, 0].tolist() == [0, 0, 128, 255]


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_8_bit_greyscale(tmp_path, fmt):
    _assert_grey_ramp(_decode(tmp_path, Image.fromarray(_ramp(255, np.uint8)), fmt, expect_mode="L"))


def test_8_bit_greyscale_jpeg(tmp_path):
    _assert_grey_ramp(_decode(tmp_path, Image.fromarray(_ramp(255, np.uint8, rows=16)), "JPEG", quality=95), 3.0)


def test_1_bit(tmp_path):
    bits = np.zeros((4, WIDTH), dtype=bool)
    bits[:, WIDTH // 2:] = True
    rgb = _decode(tmp_path, Image.fromarray(bits), "PNG", expect_mode="1")
    assert rgb.mean() == 127.5 and set(np.unique(rgb)) == {0, 255}


def test_palette_colours_are_looked_up(tmp_path):
    index = _ramp(255, np.uint8)
    image = Image.fromarray(index).convert("P")
    image.putpalette([v for i in range(256) for v in (i, 0, 255 - i)])  # index i -> (i, 0, 255 - i)
    image.putdata(index.ravel().tolist())
    rgb = _decode(tmp_path, image, "PNG", expect_mode="P")
    assert np.array_equal(rgb[..., 0], index) and np.array_equal(rgb[..., 2], 255 - index)
    assert rgb[..., 1].max() == 0


def _alpha_ramp(mode: str) -> Image.Image:
    """Black, opaque at the left and transparent at the right: on white the grey is ``255 - alpha``, a ramp."""
    alpha = Image.fromarray(_ramp(255, np.uint8)[:, ::-1].copy())
    image = Image.new(mode, alpha.size, 0 if mode.startswith(("L", "P")) else (0, 0, 0, 0))
    if mode == "PA":
        image.putpalette([0, 0, 0] * 256)
    image.putalpha(alpha)
    return image


@pytest.mark.parametrize(("mode", "fmt"), [("LA", "PNG"), ("PA", "TIFF"), ("RGBA", "PNG")])
def test_alpha_is_composited_on_white(tmp_path, mode, fmt):
    _assert_grey_ramp(_decode(tmp_path, _alpha_ramp(mode), fmt, expect_mode=mode))


def test_transparent_palette_entry_is_white(tmp_path):
    image = Image.new("P", (4, 1), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.putpixel((0, 0), 0)
    image.save(tmp_path / "t.png", transparency=0)
    assert load_image(tmp_path / "t.png")[0, :2].tolist() == [[255, 255, 255], [255, 0, 0]]


def _cmyk_ramp() -> Image.Image:
    """Rows 0..3: black ink falling 255..0 (a grey ramp, mean 127.5); rows 4..7: full cyan, no black."""
    cmyk = np.zeros((8, WIDTH, 4), dtype=np.uint8)
    cmyk[:4, :, 3] = 255 - _ramp(255, np.uint8)
    cmyk[4:, :, 0] = 255
    return Image.fromarray(cmyk, "CMYK")


@pytest.mark.parametrize(("fmt", "tolerance"), [("TIFF", 0), ("JPEG", 3)])
def test_cmyk_without_profile_uses_pillows_conversion(tmp_path, fmt, tolerance):
    rgb = _decode(tmp_path, _cmyk_ramp(), fmt, expect_mode="CMYK")
    _assert_grey_ramp(rgb[:4], tolerance)
    assert np.abs(rgb[4:].mean(axis=(0, 1)) - [0, 255, 255]).max() <= tolerance


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _cmyk_icc_profile(lab_of_corner) -> bytes:
    """A minimal ICC v2 CMYK output profile: ``A2B0`` is a lut8 with 2 grid points per ink.

    ``lab_of_corner(c, m, y, k)`` (each 0 or 1) gives ``(L*, a*, b*)``; values in between interpolate.
    """
    desc_text = b"mlbasics test CMYK\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(desc_text)) + desc_text + bytes(8 + 3 + 67)
    d50 = _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    clut = bytes(
        v
        for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)
        for lab in [lab_of_corner(c, m, y, k)]
        for v in (round(lab[0] * 255 / 100), round(lab[1] + 128), round(lab[2] + 128))
    )
    identity = b"".join(_s15(float(i == j)) for i in range(3) for j in range(3))
    ramp = bytes(range(256))
    a2b0 = b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + identity + ramp * 4 + clut + ramp * 3
    tags = [(b"desc", desc), (b"wtpt", b"XYZ " + bytes(4) + d50), (b"A2B0", a2b0)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + bytes(4) + struct.pack(">I", 0x02100000) + b"prtrCMYKLab "
              + bytes(12) + b"acsp" + bytes(28) + d50 + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + body


@pytest.mark.parametrize(("fmt", "tolerance"), [("TIFF", 1), ("JPEG", 4)])
def test_cmyk_with_profile_is_converted_through_it(tmp_path, fmt, tolerance):
    # This press prints cyan as a neutral grey of L* = 50 (sRGB 119); the naive conversion would show (0, 255, 255).
    profile = _cmyk_icc_profile(lambda c, m, y, k: (100 * (1 - k) * (1 - 0.5 * c), 0, 0))
    rgb = _decode(tmp_path, _cmyk_ramp(), fmt, expect_mode="CMYK", icc_profile=profile).astype(int)
    assert np.abs(rgb[4:] - 119).max() <= tolerance
    grey = rgb[:4, :, 0]  # L* rises linearly from 0 to 100 along the row; sRGB is not linear in L*
    assert grey[0, 0] <= tolerance and abs(grey[0, 127] - 118) <= tolerance and grey[0, -1] >= 255 - tolerance
    assert np.all(np.diff(grey[0]) >= -tolerance)


def test_cmyk_with_unusable_profile_warns_and_converts_without_it(tmp_path):
    path = tmp_path / "bad.tiff"
    _cmyk_ramp().save(path, "TIFF", icc_profile=b"not a profile")
    with pytest.warns(UserWarning, match="bad.tiff: the image's CMYK ICC profile cannot be used"):
        rgb = load_image(path)
    _assert_grey_ramp(rgb[:4])


# Paths that are not regular files: refused by type, before anything opens them.


def _raises_quickly(path, match: str) -> None:
    raises_without_blocking(load_image, path, DataFileError, match)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_fifo_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    _raises_quickly(fifo, f"{fifo}: not a regular file (a FIFO)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_symlink_to_a_fifo_is_judged_by_its_target(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "x.jpg").symlink_to(tmp_path / "pipe")
    _raises_quickly(tmp_path / "x.jpg", "x.jpg: not a regular file (a FIFO)")


def test_socket_is_refused(tmp_path):
    if not hasattr(socket, "AF_UNIX") or len(str(tmp_path / "s.jpg")) > 100:
        pytest.skip("no Unix sockets here, or the temporary path is too long for one")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.jpg"))
        _raises_quickly(tmp_path / "s.jpg", "s.jpg: not a regular file (a socket)")


def test_folder_is_refused(tmp_path):
    (tmp_path / "photos.jpg").mkdir()
    with pytest.raises(DataFileError, match="photos.jpg: is a folder, expected a file"):
        load_image(tmp_path / "photos.jpg")


def test_symlink_to_an_image_is_followed(tmp_path):
    Image.new("RGB", (3, 2), (10, 20, 30)).save(tmp_path / "real.png")
    (tmp_path / "link.png").symlink_to(tmp_path / "real.png")
    assert load_image(tmp_path / "link.png")[0, 0].tolist() == [10, 20, 30]


def test_broken_symlink_says_so(tmp_path):
    (tmp_path / "link.jpg").symlink_to(tmp_path / "gone.jpg")
    with pytest.raises(DataFileError, match="link.jpg: no such image file \\(broken symbolic link to"):
        load_image(tmp_path / "link.jpg")
