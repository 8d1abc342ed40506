import numpy as np
import pytest

from mlbasics.core.errors import InputError
from mlbasics.geometry.colour import rgb_to_yuv, yuv_to_rgb
from mlbasics.geometry.letterbox import letterbox
from mlbasics.workbook.tensors import (
    InputSpec,
    add_batch_axis,
    check_input,
    describe,
    four_pixel_image,
    rank_table,
    remove_batch_axis,
    to_channels_first,
    to_channels_last,
    to_float,
    to_uint8,
    yuv_misread,
)


def test_four_pixel_image():
    image = four_pixel_image()
    assert image.shape == (2, 2, 3) and image.dtype == np.uint8
    assert image[0, 0].tolist() == [0, 255, 0]  # green
    assert image[0, 1].tolist() == [0, 0, 0]  # black
    assert image[1, 0].tolist() == [0, 0, 255]  # blue
    assert image[1, 1].tolist() == [255, 0, 0]  # red


def test_describe_and_rank_table():
    info = describe(np.zeros((8, 416, 416, 3)), "NHWC")
    assert (info.rank, info.rank_name, info.axes) == (4, "4-tensor", ("batch", "height", "width", "channels"))
    assert describe(3.0).rank_name == "scalar" and describe(3.0).shape == ()
    assert rank_table(2) == [(0, "scalar", "[]"), (1, "vector", "[D0]"), (2, "matrix", "[D0, D1]")]
    with pytest.raises(InputError, match="names 3 axes but the array has rank 2"):
        describe(np.zeros((2, 2)), "HWC")


def test_batch_axis_and_layouts():
    image = four_pixel_image()
    batch = add_batch_axis(image)
    assert batch.shape == (1, 2, 2, 3)
    chw = to_channels_first(batch)
    assert chw.shape == (1, 3, 2, 2)
    np.testing.assert_array_equal(chw[0, 0], image[..., 0])  # red plane
    np.testing.assert_array_equal(remove_batch_axis(to_channels_last(chw)), image)
    np.testing.assert_array_equal(to_channels_first(image)[2], image[..., 2])
    with pytest.raises(InputError, match="batch axis of length 1"):
        remove_batch_axis(np.zeros((2, 4, 4, 3)))


def test_rgb_yuv_round_trip_within_one_level():
    levels = np.arange(0, 256, 3, dtype=np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    back = yuv_to_rgb(rgb_to_yuv(grid))
    assert np.abs(back.astype(int) - grid.astype(int)).max() <= 1


def test_yuv_known_values():
    grey = np.full((1, 1, 3), 100, np.uint8)
    assert rgb_to_yuv(grey)[0, 0].tolist() == [100, 128, 128]
    green = np.array([[[0, 255, 0]]], np.uint8)
    assert rgb_to_yuv(green)[0, 0, 0] == 150  # 0.587 * 255
    assert not np.array_equal(yuv_misread(green), green)


def test_letterbox_keeps_aspect_and_maps_boxes():
    image = np.zeros((100, 200, 3), np.uint8)
    square, placement = letterbox(image, 416)
    assert square.shape == (416, 416, 3)
    assert placement.scale == pytest.approx(416 / 200)
    assert (placement.pad_x, placement.pad_y) == (0, 104)
    assert square[0, 0].tolist() == [128, 128, 128]  # padding is grey
    boxes = np.array([[10, 20, 50, 80]])
    np.testing.assert_allclose(placement.boxes_to_original(placement.boxes_to_input(boxes)), boxes)


def test_float_conversions():
    image = four_pixel_image()
    as_float = to_float(image)
    assert as_float.dtype == np.float32 and as_float.max() == 1.0
    np.testing.assert_array_equal(to_uint8(as_float), image)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.zeros((416, 416, 3), np.float32), r"expected shape \(any, 416, 416, 3\), got \(416, 416, 3\)"),
        (np.zeros((1, 416, 416, 3), np.uint8), "expected dtype float32, got uint8"),
        (np.full((1, 416, 416, 3), 255.0, np.float32), "did you forget to divide by 255"),
        (np.full((1, 416, 416, 3), np.nan, np.float32), "NaN"),
        (np.zeros((1, 416, 416, 4), np.float32), "expected shape"),
    ],
)
def test_check_input_names_expected_and_actual(value, match):
    spec = InputSpec((None, 416, 416, 3))
    with pytest.raises(InputError, match=match):
        check_input(value, spec)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: letterbox(np.zeros((10, 10)), 416), r"image must have shape \(any, any, 3\)"),
        (lambda: letterbox(np.zeros((10, 10, 3), np.float32), 416), "dtype of kind 'u'"),
        (lambda: letterbox(np.zeros((10, 10, 3), np.uint8), 0), "size must be a positive integer"),
        (lambda: rgb_to_yuv(np.zeros((2, 2, 4), np.uint8)), "3 channels"),
        (lambda: to_channels_first(np.zeros((2, 2))), "3 or 4 dimension"),
        (lambda: to_float(np.zeros((0, 2, 3), np.uint8)), "image is empty"),
    ],
)
def test_bad_shapes(call, match):
    with pytest.raises(InputError, match=match):
        call()
