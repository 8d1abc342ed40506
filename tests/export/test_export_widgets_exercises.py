import pytest

from mlbasics.export.report import ExportRow
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


def test_lesson12_exercises():
    assert check("12.1", "int8").correct
    assert not check("12.1", "float32").correct
    assert check("12.2", yuv_to_rgb).correct
    assert not check("12.2", lambda frame: frame).correct
    assert check("12.3", "MLComputePlan").correct
    assert not check("12.3", "MPSCNNPoolingMax").correct
