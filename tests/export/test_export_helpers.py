import numpy as np

from mlbasics.cli import main
from mlbasics.export.camera import PIPELINES, compare_pipelines, detection_quality
from mlbasics.export.measure import format_table, median_latency_ms
from mlbasics.export.mps import mps_plan
from mlbasics.vision.yolo.decode import Detections


def test_mps_plan_skips_constants_and_counts():
    plan = mps_plan(["const", "conv", "relu", "const", "conv", "relu", "max_pool", "erf", "cast"])
    assert plan == [("conv", "MPSCNNConvolution (MPSGraph convolution2D)", 2), ("relu", "MPSCNNNeuronReLU", 2),
                    ("max_pool", "MPSCNNPoolingMax", 1), ("erf", "CPU / no MPS kernel", 1)]


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


def test_latency_and_table():
    assert median_latency_ms(lambda x: x.sum(), np.ones(10), repeats=3, warmup=1) >= 0
    table = format_table([{"format": "onnx", "ms": 1.23456}, {"format": "tflite-int8", "ms": 0.5}])
    assert table.splitlines()[1].split() == ["onnx", "1.23"]


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
