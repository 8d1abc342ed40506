import numpy as np
import pytest

from mlbasics.export.report import ExportRow
from mlbasics.geometry.camera import nv12_to_rgb, rotate
from mlbasics.geometry.colour import yuv_to_rgb
from mlbasics.workbook.exercises import check
from mlbasics.workbook.widgets.export_formats import format_summary, formats_figure, formats_panel

ROWS = [
    ExportRow("keras (float32 weights)", 0.9, 2.0, 0.0, 1.0),
    ExportRow("tflite-int8", 0.2, 0.3, 1e-3, 1.0),
    ExportRow("coreml", 0.4),
]


def test_format_summary_and_figure():
    assert format_summary(ROWS, "tflite-int8") == ("tflite-int8: 0.20 MB, 0.30 ms per image, max |diff| 1.0e-03, "
                                                   "same detections on 100% of images")
    assert "Apple devices only" in format_summary(ROWS, "coreml")
    with pytest.raises(KeyError, match="no format"):
        format_summary(ROWS, "onnx")
    fig = formats_figure(ROWS, "coreml")
    assert len(fig.axes[0].patches) == 3 and len(fig.axes[1].patches) == 2
    assert formats_panel(ROWS).children


def _full_int8(converter, frames):
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([f[None].astype(np.float32) / 255] for f in frames)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]


def _calibrated_on_pixels(converter, frames):
    """Right settings, wrong data: 0-255 pixels where the model is fed [0, 1]."""
    _full_int8(converter, frames)
    converter.representative_dataset = lambda: ([f[None].astype(np.float32)] for f in frames)


def _dynamic_range_only(converter, frames):
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]


def test_lesson12_1_full_int8_checks_what_calibration_recorded():
    right = check("12.1", _full_int8)
    assert right.correct and "input range [0.00, 1.00]" in right.message
    pixels = check("12.1", _calibrated_on_pixels)
    assert not pixels.correct and "[0, 255]" in pixels.message
    dynamic = check("12.1", _dynamic_range_only)
    assert not dynamic.correct and "still float32" in dynamic.message


def _nv12(full_range=True, turn=90, stride=True):
    def read(y, uv, width, height, row_stride):
        strides = {"y_row_stride": row_stride, "uv_row_stride": row_stride} if stride else {}
        return rotate(nv12_to_rgb(y, uv, width, height, full_range=full_range, **strides), turn)

    return read


@pytest.mark.parametrize(("answer", "hint"), [
    (_nv12(), None),
    (_nv12(turn=0), "swapped"),
    (_nv12(turn=270), "upside down"),
    (_nv12(full_range=False), "which range"),
    (_nv12(stride=False), "row stride"),
])
def test_lesson12_3_nv12_buffer_read_against_the_truth(answer, hint):
    feedback = check("12.3", answer)
    assert feedback.correct == (hint is None), feedback
    assert hint is None or hint in feedback.message


def test_lesson12_2_yuv_fix():
    assert check("12.2", yuv_to_rgb).correct
    assert not check("12.2", lambda frame: frame).correct
