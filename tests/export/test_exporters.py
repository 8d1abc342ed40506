import numpy as np
import pytest

from mlbasics.cloud.model import decode
from mlbasics.export.api import load_model, runner
from mlbasics.export.coreml import describe, match_outputs
from mlbasics.export.formats import FORMATS, ExportError
from mlbasics.export.parity import FLOAT32_TOLERANCE, align, check_parity


@pytest.fixture(scope="module")
def images():
    from mlbasics.cloud.shapes import make_scenes

    frames, _ = make_scenes(6, 64, seed=5)
    return frames.astype(np.float32) / 255


def test_every_format_is_written(exported):
    assert set(exported) == set(FORMATS)
    sizes = {name: r.size_bytes for name, r in exported.items()}
    assert sizes["tflite-float16"] < 0.6 * sizes["tflite-float32"]
    assert sizes["tflite-int8"] < 0.35 * sizes["tflite-float32"]
    assert exported["coreml"].path.is_dir() and exported["coreml"].path.suffix == ".mlpackage"


@pytest.mark.parametrize("name", ["tflite-float32", "onnx"])
def test_float32_exports_match_keras(detector, exported, images, name):
    parity = check_parity(detector, runner(exported[name]), images, decode=lambda out: decode(out, 64))
    assert parity.worst <= FLOAT32_TOLERANCE, parity
    assert parity.boxes_agree == 1.0


@pytest.mark.parametrize("name", ["tflite-float16", "tflite-int8"])
def test_reduced_precision_stays_close(detector, exported, images, name):
    parity = check_parity(detector, runner(exported[name]), images, decode=lambda out: decode(out, 64))
    assert 0 < parity.worst < 0.05, parity
    assert parity.boxes_agree >= 5 / 6


def test_coreml_spec_has_image_input_and_named_outputs(exported):
    spec = describe(exported["coreml"].path)
    assert spec["inputs"] == {"image": {"kind": "image", "width": 64, "height": 64, "color": "RGB"}}
    assert spec["outputs"] == {"box": (1, 4), "class": (1, 3)}
    assert spec["operations"].count("conv") == 3 and "softmax" in spec["operations"]
    assert runner(exported["coreml"]) is None


def test_output_matching_by_shape():
    assert match_outputs({"Identity": (1, 3), "Identity_1": (1, 4)}, {"box": (1, 4), "class": (1, 3)}) == {
        "Identity": "class", "Identity_1": "box"}
    reference = {"box": np.zeros((2, 4)), "class": np.zeros((2, 3))}
    renamed = align(reference, {"output_0": np.ones((2, 3)), "output_1": np.ones((2, 4))})
    assert renamed["class"].shape == (2, 3)
    with pytest.raises(ValueError, match="cannot match output"):
        align(reference, {"a": np.ones((2, 3)), "b": np.ones((2, 3))})


def test_load_model_is_safe_and_checks_the_file(detector, tmp_path):
    path = tmp_path / "m.keras"
    detector.save(path)
    assert load_model(path).count_params() == detector.count_params()
    with pytest.raises(ExportError, match="expected a .keras"):
        load_model(tmp_path / "m.weights.h5")
    with pytest.raises(ExportError, match="no such model file"):
        load_model(tmp_path / "none.keras")
