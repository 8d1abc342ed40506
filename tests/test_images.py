import io

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.io.images import load_image, load_image_bytes, save_image


def _write(path, mode, size=(6, 4), fmt="PNG", **save):
    Image.new(mode, size, color=None if mode == "P" else 1).save(path, fmt, **save)
    return path


@pytest.mark.parametrize(("mode", "fmt"),
                         [("L", "PNG"), ("RGBA", "PNG"), ("CMYK", "JPEG"), ("P", "PNG"), ("I;16", "PNG")])
def test_any_mode_becomes_rgb_uint8(tmp_path, mode, fmt):
    path = _write(tmp_path / f"img.{fmt.lower()}", mode, fmt=fmt)
    image = load_image(path)
    assert image.shape == (4, 6, 3) and image.dtype == np.uint8


def test_transparent_pixels_become_white(tmp_path):
    Image.new("RGBA", (2, 2), (255, 0, 0, 0)).save(tmp_path / "clear.png")
    assert load_image(tmp_path / "clear.png")[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (6, 4), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    image.save(tmp_path / "phone.jpg", exif=exif)
    assert load_image(tmp_path / "phone.jpg").shape == (6, 4, 3)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="nope.jpg: no such image file"):
        load_image(tmp_path / "nope.jpg")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.jpg").write_text("hello")
    with pytest.raises(DataFileError, match="notes.jpg: not an image file"):
        load_image(tmp_path / "notes.jpg")


def test_truncated_image(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(DataFileError, match="cut.jpg: cannot decode image"):
        load_image(tmp_path / "cut.jpg")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = _write(tmp_path / "big.png", "L", size=(3000, 3000))
    with pytest.raises(DataFileError, match="9,000,000 pixels, more than the limit of 1,000,000"):
        load_image(path, max_pixels=1_000_000)


def test_bytes_and_save_round_trip(tmp_path):
    data = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    save_image(data, tmp_path / "out.png")
    np.testing.assert_array_equal(load_image_bytes((tmp_path / "out.png").read_bytes(), "out.png"), data)
    with pytest.raises(DataFileError, match="unsupported image suffix"):
        save_image(data, tmp_path / "out.gif")
    with pytest.raises(DataFileError, match="bucket/x.png: not an image"):
        load_image_bytes(b"garbage", "bucket/x.png")
