import numpy as np
import pytest

from mlbasics.export.report import ExportRow
from mlbasics.geometry.camera import rotate
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


@pytest.fixture
def stand_in(monkeypatch, detector, spec):
    """12.2 and 12.3 run lesson 07's exported detector; here the session's small random one stands in (its
    mAP means nothing, the checks' verdicts and hints do not depend on it)."""
    from mlbasics.export.parity import keras_outputs
    from mlbasics.workbook.exercises import lesson12

    monkeypatch.setattr(lesson12, "lesson_detector",
                        lambda: lesson12.ExerciseDetector(lambda x: keras_outputs(detector, x), spec))
    return spec.input_size


def _prepare(size, colour=True, place=None, scale=True, channels=slice(None)):
    """12.2's prepare: right by default, one mistake per argument."""
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.workbook.exercises.lesson12 import _at_top, _stretched

    def prepare(frame):
        rgb = yuv_to_rgb(frame) if colour else frame
        square = (place or (lambda image: letterbox(image, size)[0]))(rgb)
        return (square.astype(np.float32) / (255 if scale else 1))[..., channels]

    mistakes = {"stretched": lambda image: _stretched(image, size), "top": lambda image: _at_top(image, size)}
    return prepare, mistakes


@pytest.mark.parametrize(("mistake", "hint"), [
    (None, None),
    ("colour", "still YUV"),
    ("scale", "reach"),
    ("stretched", "keep the aspect ratio"),
    ("top", "training centred it"),
    ("channels", "(BGR)"),
    ("no letterbox", "letterbox"),
    ("starter", "reach"),
])
def test_lesson12_2_prepare_measured_on_the_detector(stand_in, mistake, hint):
    from mlbasics.geometry.letterbox import letterbox

    size = stand_in
    right, places = _prepare(size)
    answers = {
        None: right, "colour": _prepare(size, colour=False)[0], "scale": _prepare(size, scale=False)[0],
        "stretched": _prepare(size, place=places["stretched"])[0], "top": _prepare(size, place=places["top"])[0],
        "channels": _prepare(size, channels=slice(None, None, -1))[0],
        "no letterbox": lambda frame: yuv_to_rgb(frame) / 255,
        "starter": lambda frame: letterbox(frame, size)[0],  # the lesson's starting point
    }
    feedback = check("12.2", answers[mistake])
    assert feedback.correct == (mistake is None), feedback
    assert hint is None or hint in feedback.message, feedback
    if mistake != "no letterbox":  # a square of the wrong shape cannot be run
        assert "through the right one" in feedback.message and "mAP@0.5" in feedback.message


def _read(full_range=False, swap=False, pixel_stride=None, turn=None):
    """12.3's read of a CameraX image: right by default, one mistake per argument."""
    from mlbasics.geometry.camera import yuv420_to_rgb

    def read(image):
        y, u, v = image.planes
        u, v = (v, u) if swap else (u, v)
        rgb = yuv420_to_rgb(y.buffer, u.buffer, v.buffer, image.width, image.height, y_row_stride=y.row_stride,
                            uv_row_stride=u.row_stride, uv_pixel_stride=pixel_stride or u.pixel_stride,
                            full_range=full_range)
        return turn(rgb) if turn else rotate(rgb, image.rotation_degrees)

    return read


@pytest.mark.parametrize(("answer", "hint"), [
    (_read(), None),
    (_read(turn=lambda rgb: rgb), "sideways"),
    (_read(turn=lambda rgb: np.rot90(rgb).copy()), "upside down"),
    (_read(full_range=True), "which range"),
    (_read(swap=True), "which plane is U"),
    (_read(pixel_stride=1), "pixel_stride"),
    (_read(pixel_stride=1, turn=lambda rgb: rgb), "sideways"),  # the lesson's starting point
])
def test_lesson12_3_camerax_read_measured_on_the_detector(stand_in, answer, hint):
    feedback = check("12.3", answer)
    assert feedback.correct == (hint is None), feedback
    assert hint is None or hint in feedback.message, feedback
    assert "with the right reading" in feedback.message and "mAP@0.5" in feedback.message


def test_camerax_image_reads_back_upright():
    """The simulated CameraX image: NV21 in memory (V first, pixel stride 2), padded rows, sideways."""
    from mlbasics.export.camera import camerax_image

    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (8, 6, 3), dtype=np.uint8).repeat(2, 0).repeat(2, 1)  # flat 2x2 blocks
    image = camerax_image(frame, row_padding=4, rotation_degrees=90)
    y, u, v = image.planes
    assert (image.width, image.height) == (16, 12) and y.row_stride == 20
    assert (u.pixel_stride, v.pixel_stride) == (2, 2) and np.array_equal(u.buffer[:-1], v.buffer[1:])
    assert np.abs(_read()(image).astype(int) - frame).max() <= 2
