import numpy as np

from mlbasics.cli import main
from mlbasics.cloud.model import Detection
from mlbasics.export.camera import PIPELINES, compare_pipelines, detection_quality
from mlbasics.export.measure import format_table, median_latency_ms
from mlbasics.export.mps import mps_plan


def test_mps_plan_skips_constants_and_counts():
    plan = mps_plan(["const", "conv", "relu", "const", "conv", "relu", "max_pool", "erf", "cast"])
    assert plan == [("conv", "MPSCNNConvolution (MPSGraph convolution2D)", 2), ("relu", "MPSCNNNeuronReLU", 2),
                    ("max_pool", "MPSCNNPoolingMax", 1), ("erf", "CPU / no MPS kernel", 1)]


def test_detection_quality_and_pipelines():
    boxes = np.array([[0, 0, 10, 10, 1], [5, 5, 15, 15, 2]], dtype=np.float32)
    perfect = [Detection((0, 0, 10, 10), 1, 0.9), Detection((5, 5, 15, 15), 0, 0.9)]
    assert detection_quality(perfect, boxes) == {"accuracy": 0.5, "mean_iou": 1.0}
    frames = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    seen = {}

    def detect(x):
        seen[len(seen)] = x
        return perfect

    result = compare_pipelines(detect, frames, boxes)
    assert list(result) == list(PIPELINES)
    np.testing.assert_array_equal(seen[0], frames)
    assert np.abs(seen[2].astype(int) - frames).max() <= 2  # YUV -> RGB round trip is nearly exact
    assert np.abs(seen[1].astype(int) - frames).max() > 20


def test_latency_and_table():
    assert median_latency_ms(lambda x: x.sum(), np.ones(10), repeats=3, warmup=1) >= 0
    table = format_table([{"format": "onnx", "ms": 1.23456}, {"format": "tflite-int8", "ms": 0.5}])
    assert table.splitlines()[1].split() == ["onnx", "1.23"]


def test_cli_export(detector, tmp_path, capsys):
    detector.save(tmp_path / "det.keras")
    code = main(["export", str(tmp_path / "det.keras"), "--to", "tflite-float32", "onnx", "--out-dir",
                 str(tmp_path / "out"), "--check", "2"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["det-onnx.onnx", "det-tflite-float32.tflite"]
    assert "tflite-float32" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "missing.keras")]) == 2
