from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from mlbasics.cli import main
from mlbasics.core.errors import InputError
from mlbasics.export.camera import PIPELINES, compare_pipelines, detection_quality
from mlbasics.export.formats import ExportResult
from mlbasics.export.measure import keras_calls, median_latency_ms
from mlbasics.export.mps import operation_counts
from mlbasics.export.report import HEADINGS, ExportRow, format_table
from mlbasics.vision.yolo.decode import Detections


def test_operation_counts_skip_constants_and_make_no_device_claim():
    counts = operation_counts(["const", "conv", "relu", "const", "conv", "relu", "max_pool", "erf", "cast"])
    assert [(op, n) for op, n, _ in counts] == [("conv", 2), ("relu", 2), ("max_pool", 1), ("erf", 1)]
    assert counts[-1][2] == "(not described here)"
    assert not any(word in text for _, _, text in counts for word in ("GPU", "MPS", "Neural Engine"))


def _found(boxes, scores, classes):
    return Detections(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(classes, int))


def test_detection_quality_counts_confident_matches():
    truths = [np.array([[0, 0, 10, 10, 1], [20, 20, 30, 30, 0]], np.float32)]
    exact = [_found([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8], [1, 0])]
    assert detection_quality(exact, truths, 2) == {"mAP@0.5": 1.0, "boxes found": 1.0}
    faint = [_found([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.1], [1, 0])]
    assert detection_quality(faint, truths, 2)["boxes found"] == 0.5
    wrong_class = [_found([[0, 0, 10, 10]], [0.9], [0])]
    assert detection_quality(wrong_class, truths, 2) == {"mAP@0.5": 0.0, "boxes found": 0.0}


def test_compare_pipelines_feeds_each_variant():
    frames = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    truths = [np.array([[0, 0, 4, 4, 0]], np.float32)] * 2
    seen = []

    def detect(x):
        seen.append(x)
        return [_found([[0, 0, 4, 4]], [0.9], [0])] * len(x)

    result = compare_pipelines(detect, frames, truths, 1)
    assert list(result) == list(PIPELINES)
    np.testing.assert_array_equal(seen[0], frames)
    assert np.abs(seen[2].astype(int) - frames).max() <= 2  # YUV -> RGB round trip is nearly exact
    assert np.abs(seen[1].astype(int) - frames).max() > 20
    np.testing.assert_array_equal(seen[3][0], np.rot90(frames[0]))
    assert seen[4].max() > 255  # not scaled: the detector divides by 255 and still sees 0-255


def test_latency_is_the_median_of_the_timed_runs_after_warmup():
    calls = []
    ticks = iter([0.0, 0.004, 1.0, 1.001, 2.0, 2.002])  # runs of 4, 1 and 2 ms: the median is 2 ms

    latency = median_latency_ms(calls.append, np.ones(3), repeats=3, warmup=2, clock=lambda: next(ticks))
    assert latency == pytest.approx(2.0)
    assert len(calls) == 5  # the warm-up runs are not timed
    real = median_latency_ms(lambda x: np.sort(x), np.random.default_rng(0).random(10_000), repeats=3, warmup=1)
    assert 0 < real < float("inf")
    with pytest.raises(InputError, match="repeats"):
        median_latency_ms(calls.append, np.ones(3), repeats=0)


def test_every_keras_call_computes_the_same_grids(detector, images):
    """The lesson times four ways of calling Keras as one model's overhead: they must compute the same thing."""
    calls = keras_calls(detector)
    assert list(calls) == ["model.predict(x)", "model(x), eager", "model.predict_on_batch(x)",
                           "tf.function(jit_compile=True)"]
    reference = [np.asarray(grid) for grid in detector.predict(images[:1], verbose=0)]
    for name, call in calls.items():
        grids = [np.asarray(grid) for grid in call(images[:1])]
        assert len(grids) == len(reference), name
        for got, want in zip(grids, reference):
            np.testing.assert_allclose(got, want, atol=1e-4, err_msg=name)


def test_table_shows_measured_columns_and_marks_the_rest():
    result = ExportResult("coreml", Path("m-coreml.mlpackage"), 1_500_000)
    rows = [ExportRow("onnx", 2.0, 1.23456, 3e-5, 1.0), ExportRow.of(result)]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["format", "MB", "ms/image", "max", "|diff|", "boxes", "agree"]
    assert lines[1].split() == ["onnx", "2", "1.23", "3e-05", "1"]
    assert lines[2].split() == ["coreml", "1.5", "-", "-", "-"]
    assert format_table(rows[1:]).splitlines()[0].split() == ["format", "MB"]  # nothing measured, no column
    extra = format_table(rows, extra={"size vs onnx": [1.0, 0.75]}).splitlines()
    assert extra[0].endswith("size vs onnx") and extra[2].endswith("0.75")
    with pytest.raises(ValueError, match="'size vs onnx' has 1 values for 2 rows"):
        format_table(rows, extra={"size vs onnx": [1.0]})
    assert set(HEADINGS) == {field.name for field in fields(ExportRow)}


def test_cli_exports_a_trained_detector_from_its_weights(detector, spec, tmp_path, capsys):
    detector.save_weights(tmp_path / "det.weights.h5")
    spec.write(tmp_path / "det.config.json")
    code = main(["export", str(tmp_path / "det.weights.h5"), "--formats", "tflite-float32", "onnx", "--out",
                 str(tmp_path / "out"), "--check", "2"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["det-onnx.onnx", "det-tflite-float32.tflite"]
    out = capsys.readouterr().out
    assert "tflite-float32" in out and "boxes agree" in out
    assert main(["export", str(tmp_path / "missing.keras")]) == 2


def test_a_converters_warnings_pass_its_progress_bars_do_not(capsys):
    """coremltools' stderr used to go into a buffer that was thrown away, warnings and all."""
    import sys

    from mlbasics.export.formats import quiet_converter

    with quiet_converter("coremltools", hide_stderr=True):
        sys.stderr.write("Running MIL passes:  40%|####      | 4/10 [00:01<00:02, 3.1 passes/s]\r"
                         "Running MIL passes: 100%|##########| 10/10 [00:02<00:00, 4.0 passes/s]\n")
        sys.stderr.write("UserWarning: the model's output 'x' was renamed\n")
    err = capsys.readouterr().err
    assert err == "UserWarning: the model's output 'x' was renamed\n", err
