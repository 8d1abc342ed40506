"""Exercises of lesson 05 (convolutional networks)."""

from __future__ import annotations

from typing import Any

from mlbasics.vision.cnn import conv_output_size, conv_params
from mlbasics.workbook.exercises import exercise


@exercise("05.1", "A 64x64x3 image goes through Conv2D(16, 3, padding='same') then MaxPooling2D(2). "
                  "Give the output shape (height, width, channels).")
def shape_after_conv_pool(answer: Any) -> tuple[bool, str]:
    side = conv_output_size(conv_output_size(64, 3, 1, "same"), 2, 2, "valid")
    truth = (side, side, 16)
    given = tuple(int(v) for v in answer)
    if given == truth:
        return True, "'same' keeps 64x64, pooling halves it, and there is one channel per filter."
    if len(given) != 3:
        return False, "give three numbers: height, width, channels."
    if given[2] != 16:
        return False, "the number of channels out of a convolution is its number of filters."
    return False, "'same' padding keeps the size; a 2x2 pooling with stride 2 halves it."


@exercise("05.2", "How many parameters (weights and biases) has Conv2D(32, 3) on an input with 16 channels?")
def conv_parameter_count(answer: Any) -> tuple[bool, str]:
    truth = conv_params(16, 32, 3)
    if int(answer) == truth:
        return True, "each of the 32 filters is 3x3x16, plus one bias each. The image size does not matter."
    if int(answer) == conv_params(16, 32, 3, bias=False):
        return False, "close: every filter also has a bias."
    return False, "a filter spans all input channels: count kernel x kernel x input channels per filter."
