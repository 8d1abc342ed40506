import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.export.api import export_model, load_model, runner
from mlbasics.export.coreml import describe, match_outputs
from mlbasics.export.formats import FORMATS, ExportError
from mlbasics.export.mps import OPERATIONS
from mlbasics.export.parity import FLOAT32_TOLERANCE, align, check_parity, same_detections
from mlbasics.export.tflite import tensor_types
from mlbasics.vision.yolo.decode import Detections

GRIDS = {"output_stride32": (1, 2, 2, 24), "output_stride16": (1, 4, 4, 24)}


def test_every_format_is_written(exported):
    assert set(exported) == set(FORMATS)
    sizes = {name: r.size_bytes for name, r in exported.items()}
    assert sizes["tflite-float16"] < 0.6 * sizes["tflite-float32"]
    assert sizes["tflite-int8"] < 0.35 * sizes["tflite-float32"]
    assert sizes["tflite-int8-full"] < 0.35 * sizes["tflite-float32"]
    assert exported["coreml"].path.is_dir() and exported["coreml"].path.suffix == ".mlpackage"


@pytest.mark.parametrize("name", ["tflite-float32", "onnx"])
def test_float32_exports_match_keras_grids_and_boxes(detector, exported, images, decode, name):
    parity = check_parity(detector, runner(exported[name]), images, decode=decode)
    assert set(parity.max_abs_diff) == set(GRIDS)
    assert parity.worst <= FLOAT32_TOLERANCE, parity
    assert parity.boxes_agree == 1.0
    assert sum(len(d) for d in decode({k: v for k, v in zip(GRIDS, detector.predict(images, verbose=0))})) > 0


@pytest.mark.parametrize(("name", "least_agreement"), [("tflite-float16", 0.75), ("tflite-int8", 0.0)])
def test_reduced_precision_stays_close(detector, exported, images, decode, name, least_agreement):
    parity = check_parity(detector, runner(exported[name]), images, decode=decode)
    assert 0 < parity.worst < 0.5, parity
    # float16 keeps most images' boxes (7 of 8 here); int8 weights move this random detector's
    # borderline scores across the 0.5 threshold on every image (0 of 8), so only the range is checked.
    assert least_agreement <= parity.boxes_agree <= 1.0, parity


def test_full_integer_int8_computes_in_int8_between_float32_ends(detector, exported, images, decode):
    """As documented in :mod:`mlbasics.export.tflite`: float32 input and outputs, one QUANTIZE after the
    input and DEQUANTIZE before the outputs, every other tensor int8 (int32 only for biases and shapes)."""
    path = exported["tflite-int8-full"].path
    types = tensor_types(path)
    assert types["input"] == "float32" and types["outputs"] == ["float32", "float32"]
    assert {"QUANTIZE", "DEQUANTIZE", "CONV_2D"} <= set(types["ops"])
    assert set(types["tensors"]) == {"int8", "int32"}, types
    assert "float32" in tensor_types(exported["tflite-int8"].path)["tensors"]  # dynamic range: float activations
    parity = check_parity(detector, runner(exported["tflite-int8-full"]), images, decode=decode)
    assert set(parity.max_abs_diff) == set(GRIDS)
    assert 0 < parity.worst < 1.5, parity  # logits spread about 2: int8 steps move them, calibration keeps the scale
    assert 0.0 <= parity.boxes_agree <= 1.0


def test_full_integer_int8_refuses_without_fitting_representative_images(detector, representative, images,
                                                                         tmp_path):
    with pytest.raises(InputError, match="representative is None.*calibrate activation ranges"):
        export_model(detector, tmp_path, ["tflite-float32", "tflite-int8-full"])
    with pytest.raises(InputError, match="255 times too wide"):
        export_model(detector, tmp_path, ["tflite-int8-full"], representative=representative * 255)
    with pytest.raises(InputError, match=r"n >= 16"):
        export_model(detector, tmp_path, ["tflite-int8-full"], representative=images)
    with pytest.raises(InputError, match=r"got \(32, 32, 32, 3\)"):
        export_model(detector, tmp_path, ["tflite-int8-full"], representative=representative[:, ::2, ::2])
    assert not list(tmp_path.iterdir())  # refused before any file was written, float32 included


def test_boxes_disagree_when_an_export_moves_the_boxes(detector, exported, images, decode):
    """A runner whose boxes are shifted by about a third of a cell (``tx`` logits + 2) must not pass as
    the same detections: only images where neither finds anything still agree."""
    run = runner(exported["tflite-float32"])
    stride = 5 + 3  # per anchor: tx, ty, tw, th, objectness, 3 class scores

    def shifted(x):
        outputs = {name: grid.copy() for name, grid in run(x).items()}
        for grid in outputs.values():
            grid[..., 0::stride] += 2.0
        return outputs

    found = decode({k: v for k, v in zip(GRIDS, detector.predict(images, verbose=0))})
    parity = check_parity(detector, shifted, images, decode=decode)
    nothing_found = float(np.mean([len(d) == 0 for d in found]))
    assert nothing_found < 1.0
    assert parity.boxes_agree == pytest.approx(nothing_found)


def test_coreml_spec_has_image_input_and_the_grids(exported):
    spec = describe(exported["coreml"].path)
    assert spec["inputs"] == {"image": {"kind": "image", "width": 64, "height": 64, "color": "RGB"}}
    assert spec["outputs"] == GRIDS
    assert spec["operations"].count("conv") == 13
    assert {"max_pool", "leaky_relu", "tile", "concat"} <= set(spec["operations"])
    assert set(spec["operations"]) - {"const", "cast"} <= set(OPERATIONS)  # the lesson describes every one
    assert runner(exported["coreml"]) is None


def test_same_detections_pairs_boxes_by_class_and_iou():
    a = Detections(np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float), np.array([0.9, 0.8]), np.array([0, 1]))
    shifted = Detections(a.boxes[::-1] + [0.2, 0, 0.2, 0], a.scores, a.classes[::-1])
    assert same_detections(a, shifted)
    assert not same_detections(a, Detections(a.boxes, a.scores, np.array([1, 0])))
    assert not same_detections(a, Detections(a.boxes + 3, a.scores, a.classes))
    assert not same_detections(a, Detections(a.boxes[:1], a.scores[:1], a.classes[:1]))


def test_output_matching_by_shape():
    assert match_outputs({"Identity": (1, 4, 4, 24), "Identity_1": (1, 2, 2, 24)}, GRIDS) == {
        "Identity": "output_stride16", "Identity_1": "output_stride32"}
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
        load_model(tmp_path / "m.h5")
    detector.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(DataFileError, match="m.config.json: no detector config"):
        load_model(tmp_path / "m.weights.h5")
    with pytest.raises(DataFileError, match=r"none\.keras: no such file"):
        load_model(tmp_path / "none.keras")
    (tmp_path / "cut.keras").write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataFileError, match=r"cut\.keras: not a Keras model archive"):
        load_model(tmp_path / "cut.keras")


def test_compare_formats_scores_every_runnable_format(detector, exported, images, decode, spec):
    """``detector_map`` scores Keras and each runnable export on the same truths: here Keras's own
    confident boxes, so Keras scores 1 and a float32 export (same grids) scores the same."""
    from mlbasics.export.report import compare_formats, detector_map

    found = decode({k: v for k, v in zip(GRIDS, detector.predict(images, verbose=0))})
    truths = [np.column_stack([d.boxes, d.classes]).astype(np.float32) for d in found]
    chosen = [exported[name] for name in ("tflite-float32", "tflite-int8-full", "coreml")]
    rows = compare_formats(detector, chosen, images, repeats=1, decode=decode, score=detector_map(spec, truths))
    keras_row, float32, full, coreml = rows
    assert keras_row.map50 == pytest.approx(1.0) and float32.map50 == pytest.approx(keras_row.map50)
    assert 0.0 <= full.map50 <= 1.0 and coreml.map50 is None
