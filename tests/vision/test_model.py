"""Model builders: output grids and channels for any multiple-of-32 input and class count."""

from __future__ import annotations

import pytest

from mlbasics.core.errors import InputError
from mlbasics.vision.yolo.model import backbone_layer_names, output_shapes, tiny_yolo3, yolo3


def test_tiny_yolo3_shapes_at_416():
    model = tiny_yolo3(416, num_classes=3)
    assert output_shapes(model) == [(None, 13, 13, 24), (None, 26, 26, 24)]
    assert 8.6e6 < model.count_params() < 8.8e6  # the published tiny-YOLOv3 at 3 classes
    assert len(backbone_layer_names(model)) == 14  # 7 convolutions + 7 batch norms


@pytest.mark.parametrize("size, classes", [(160, 4), (96, 1)])
def test_any_size_and_class_count(size, classes):
    model = tiny_yolo3(size, classes, width=0.25)
    assert output_shapes(model) == [(None, size // 32, size // 32, 3 * (5 + classes)),
                                    (None, size // 16, size // 16, 3 * (5 + classes))]


def test_full_yolo3_has_three_scales():
    model = yolo3(416, num_classes=80, width=0.25)
    assert output_shapes(model) == [(None, 13, 13, 255), (None, 26, 26, 255), (None, 52, 52, 255)]


@pytest.mark.parametrize("size", [100, 0, 416.0, True])
def test_size_must_be_multiple_of_32(size):
    with pytest.raises(InputError, match="multiple of 32"):
        tiny_yolo3(size, 3)


def test_class_count_must_be_positive():
    with pytest.raises(InputError, match="num_classes"):
        tiny_yolo3(416, 0)


def test_conv_flops_by_hand():
    import keras

    from mlbasics.vision.yolo.model import conv_flops

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same")(inputs))
    assert conv_flops(model) == 2 * 8 * 8 * 3 * 3 * 3 * 4
    assert 5.0e9 < conv_flops(tiny_yolo3(416, 80)) < 6.0e9  # Darknet reports 5.56 BFLOPs for yolov3-tiny
