"""YoloSpec: derived grids, strides and masks; the config file round trip; bad configs named by file and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.vision.yolo.spec import YoloSpec, config_path_for

TINY_ANCHORS = np.array([[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]], dtype=np.float32)
FULL_ANCHORS = np.array([[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198],
                         [373, 326]], dtype=np.float32)
CLASSES = ("circle", "square", "triangle", "cross")


def _tiny(**changes):
    return YoloSpec(**{"anchors": TINY_ANCHORS, "class_names": CLASSES, "input_size": 160, "width": 0.25,
                       "model": "tiny", **changes})


@pytest.mark.parametrize("model, anchors, size, grids, strides", [
    ("tiny", TINY_ANCHORS, 416, (13, 26), (32, 16)),
    ("tiny", TINY_ANCHORS, 160, (5, 10), (32, 16)),
    ("full", FULL_ANCHORS, 416, (13, 26, 52), (32, 16, 8)),
    ("full", FULL_ANCHORS, 320, (10, 20, 40), (32, 16, 8)),
])
def test_grids_and_strides(model, anchors, size, grids, strides):
    spec = YoloSpec(anchors, CLASSES, input_size=size, model=model)
    assert spec.grids == grids and spec.strides == strides
    assert all(grid * stride == size for grid, stride in zip(spec.grids, spec.strides))
    assert spec.output_shapes == [(g, g, 3 * (5 + 4)) for g in grids] and spec.num_classes == 4


def test_masks_pick_the_largest_anchors_for_the_coarsest_grid():
    tiny, full = _tiny(), YoloSpec(FULL_ANCHORS, CLASSES, model="full")
    assert tiny.masks == ((3, 4, 5), (0, 1, 2))
    assert full.masks == ((6, 7, 8), (3, 4, 5), (0, 1, 2))
    np.testing.assert_array_equal(tiny.scale_anchors(0), TINY_ANCHORS[3:])
    np.testing.assert_array_equal(full.scale_anchors(2), FULL_ANCHORS[:3])
    offsets = tiny.cell_offsets(0)
    assert offsets.shape == (5, 5, 1, 2) and offsets[2, 4, 0].tolist() == [4, 2]  # [row, col] holds (col, row)


def test_anchors_are_float32_and_read_only():
    spec = _tiny(anchors=TINY_ANCHORS.astype(int).tolist())
    assert spec.anchors.dtype == np.float32 and spec.anchors.shape == (6, 2)
    with pytest.raises(ValueError):
        spec.anchors[0, 0] = 1.0


def test_write_then_read_gives_the_same_spec(tmp_path):
    spec = _tiny()
    path = config_path_for(tmp_path / "final.weights.h5")
    spec.write(path)
    assert path.name == "final.config.json"
    assert set(json.loads(path.read_text())) == {"model", "input_size", "width", "classes", "anchors"}
    assert YoloSpec.read(path) == spec
    assert YoloSpec.read(path) != _tiny(width=0.5)


def test_config_path_for_paths_and_urls(tmp_path):
    assert config_path_for(tmp_path / "a.weights.h5") == tmp_path / "a.config.json"
    assert config_path_for(tmp_path / "b.h5") == tmp_path / "b.config.json"
    assert config_path_for("gs://bucket/job/model/trained_final.weights.h5") == \
        "gs://bucket/job/model/trained_final.config.json"
    assert config_path_for("trained_final.weights.h5") == "trained_final.config.json"


@pytest.mark.parametrize("change, message", [
    ({"anchors": TINY_ANCHORS[:5]}, "anchors: the tiny model needs 6, got 5"),
    ({"anchors": FULL_ANCHORS}, "anchors: the tiny model needs 6, got 9"),
    ({"anchors": -TINY_ANCHORS}, "anchors must be finite and positive"),
    ({"anchors": TINY_ANCHORS.ravel()}, r"anchors must have shape \(k, 2\)"),
    ({"input_size": 100}, "input size must be a multiple of 32"),
    ({"input_size": 0}, "input size must be a multiple of 32"),
    ({"input_size": -64}, "input size must be a multiple of 32"),
    ({"width": 0}, "width must be a finite number > 0"),
    ({"model": "huge"}, "model must be 'tiny' or 'full'"),
    ({"class_names": ()}, "num_classes must be an integer >= 1"),
    ({"class_names": ("a", "a")}, "class_names must be distinct"),
    ({"class_names": "abc"}, "class_names must be a list of names"),
])
def test_bad_values_name_the_field(change, message):
    with pytest.raises(InputError, match=message):
        _tiny(**change)


def _write(path, record):
    path.write_text(json.dumps(record) if not isinstance(record, str) else record)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda r: "{not json", "not valid JSON"),
    (lambda r: [1, 2], "expected a JSON object"),
    (lambda r: {k: v for k, v in r.items() if k != "anchors"}, "missing key 'anchors'"),
    (lambda r: {k: v for k, v in r.items() if k != "classes"}, "missing key 'classes'"),
    (lambda r: {**r, "anchors": r["anchors"][:4]}, "anchors: the tiny model needs 6, got 4"),
    (lambda r: {**r, "input_size": -32}, "input size must be a multiple of 32"),
    (lambda r: {**r, "model": "full"}, "anchors: the full model needs 9, got 6"),
])
def test_bad_config_files_name_the_file_and_the_problem(tmp_path, edit, message):
    path = _write(tmp_path / "bad.config.json", edit(_tiny().to_json()))
    with pytest.raises(DataFileError, match=f"bad.config.json(:1)?: .*{message}") as caught:
        YoloSpec.read(path)
    assert caught.value.path == str(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(DataFileError, match="none.config.json: no detector config"):
        YoloSpec.read(tmp_path / "none.config.json")


def test_from_files_names_the_anchors_file(tmp_path):
    from mlbasics.vision.yolo.anchors import write_anchors

    (tmp_path / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    write_anchors(tmp_path / "anchors.txt", TINY_ANCHORS)
    spec = YoloSpec.from_files(tmp_path / "anchors.txt", tmp_path / "classes.txt", input_size=160, width=0.25)
    assert spec == _tiny()
    with pytest.raises(DataFileError, match="anchors.txt: anchors: the full model needs 9, got 6"):
        YoloSpec.from_files(tmp_path / "anchors.txt", tmp_path / "classes.txt", model="full")
    with pytest.raises(InputError, match="model must be 'tiny' or 'full'"):
        YoloSpec.from_files(tmp_path / "anchors.txt", tmp_path / "classes.txt", model="huge")
