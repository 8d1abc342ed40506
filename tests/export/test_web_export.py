"""``--formats web``: the folder, its settings (the spec's, exactly), refusals, and the page's
JavaScript decode + NMS + letterbox against Python's on the same numbers (run with Node)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from mlbasics.export.formats import ExportError
from mlbasics.export.web import PAGE_FILES, to_web, web_settings
from mlbasics.export.web.npm import RUNTIME_FILES

NODE = shutil.which("node")


@pytest.fixture(scope="session")
def web_folder(detector, spec, tmp_path_factory):
    from mlbasics.export.web.npm import install_runtime

    try:
        install_runtime()
    except ExportError as exc:
        pytest.skip(f"ONNX Runtime Web cannot be installed here: {exc}")
    return to_web(detector, spec, tmp_path_factory.mktemp("web") / "det-web")


def test_settings_are_the_spec(spec):
    settings = web_settings(spec, "image", ["coarse", "fine"], score_threshold=0.4)
    assert settings["anchors"] == spec.anchors.tolist() and settings["classes"] == list(spec.class_names)
    assert settings["masks"] == [[3, 4, 5], [0, 1, 2]] and settings["grids"] == list(spec.grids) == [2, 4]
    assert settings["input_size"] == spec.input_size and settings["strides"] == [32, 16]
    assert (settings["score_threshold"], settings["nms_iou"], settings["fill"]) == (0.4, 0.45, 128)
    json.dumps(settings)  # plain JSON types only


def test_folder_holds_page_model_settings_and_runtime(web_folder, spec, detector):
    from mlbasics.export.onnx import OnnxRunner
    from mlbasics.export.parity import keras_outputs

    names = {p.relative_to(web_folder).as_posix() for p in web_folder.rglob("*") if p.is_file()}
    assert names == {*PAGE_FILES, "model.onnx", "detector.json", *(f"runtime/{n}" for n in RUNTIME_FILES),
                     "runtime/NOTICE.txt"}
    settings = json.loads((web_folder / "detector.json").read_text())
    runner = OnnxRunner(web_folder / "model.onnx")
    assert settings == web_settings(spec, runner.input_name, settings["output_names"])
    x = np.random.default_rng(0).random((1, spec.input_size, spec.input_size, 3), dtype=np.float32)
    got = runner(x)
    assert [got[name].shape[1] for name in settings["output_names"]] == list(spec.grids)  # coarsest first
    expected = sorted(keras_outputs(detector, x).values(), key=lambda a: a.shape[1])
    for name, reference in zip(settings["output_names"], expected):
        np.testing.assert_allclose(got[name], reference, atol=1e-4)
    html = (web_folder / "index.html").read_text()
    assert "https://" not in html and "http://" not in html  # nothing from a CDN


def test_refuses_a_model_that_is_not_the_detector(spec, tmp_path):
    import keras

    classifier = keras.Sequential([keras.Input((spec.input_size, spec.input_size, 3)), keras.layers.Flatten(),
                                   keras.layers.Dense(3)])
    with pytest.raises(ExportError, match="web: the page runs YOLO detectors"):
        to_web(classifier, spec, tmp_path / "page")
    assert not (tmp_path / "page").exists()


def test_the_command_refuses_a_keras_file_for_web(tmp_path, capsys):
    from mlbasics.cli import main

    model = tmp_path / "classifier.keras"
    model.write_bytes(b"not read")
    assert main(["export", str(model), "--formats", "web", "--out", str(tmp_path / "out")]) == 2
    assert "web: the camera page runs YOLO detectors; give a detector's .weights.h5" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


NODE_RUNNER = """
import { readFileSync } from "node:fs";
import { detect, letterbox, letterboxInput } from "./yolo.mjs";
const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {
  detections: job.images.map((grids) => detect(grids.map((g) => Float32Array.from(g)), job.settings)),
  letterboxes: job.sizes.map(([w, h, s]) => letterbox(w, h, s)),
  inputs: job.frames.map(({ rgba, width, height, size }) => Array.from(letterboxInput(rgba, width, height, size, 128))),
};
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (it runs the page's yolo.js here)")
def test_javascript_decode_and_letterbox_equal_python(spec, tmp_path):
    """Random raw grids with a spread of logits: the page's detect() gives Python's boxes, scores and
    classes; its letterbox() places frames of many sizes exactly as geometry/letterbox.py does, and its
    letterboxInput() (Pillow's bicubic in JavaScript) gives the very same pixels."""
    from mlbasics.export.web import STATIC
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.vision.yolo.decode import detect_from_outputs

    rng = np.random.default_rng(7)
    images = [[rng.normal(0, 2, (1, *shape)).astype(np.float32) for shape in spec.output_shapes] for _ in range(6)]
    sizes = [(640, 480, 416), (480, 640, 160), (1920, 1080, 160), (333, 101, 64), (101, 333, 96), (5, 3, 32)]
    settings = web_settings(spec, "image", ["a", "b"])
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for w, h in ((37, 23), (200, 90), (64, 64), (50, 130))]
    rgba = [{"rgba": np.concatenate([f, np.full((*f.shape[:2], 1), 255, np.uint8)], -1).ravel().tolist(),
             "width": f.shape[1], "height": f.shape[0], "size": 64} for f in frames]
    shutil.copyfile(STATIC / "yolo.js", tmp_path / "yolo.mjs")
    (tmp_path / "run.mjs").write_text(NODE_RUNNER)
    job = {"settings": settings, "sizes": sizes, "frames": rgba,
           "images": [[g.ravel().tolist() for g in grids] for grids in images]}
    (tmp_path / "job.json").write_text(json.dumps(job))
    done = subprocess.run([NODE, "run.mjs", "job.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    total = 0
    for grids, found in zip(images, result["detections"]):
        expected = detect_from_outputs(grids, spec, settings["score_threshold"], settings["nms_iou"])[0]
        assert [d["cls"] for d in found] == expected.classes.tolist()
        np.testing.assert_allclose([d["score"] for d in found], expected.scores, rtol=1e-9)
        np.testing.assert_allclose(np.reshape([d["box"] for d in found], (-1, 4)), expected.boxes, atol=1e-6)
        total += len(found)
    assert total > 10  # the comparison saw boxes
    for (width, height, size), placed in zip(sizes, result["letterboxes"]):
        square, box_map = letterbox(np.zeros((height, width, 3), dtype=np.uint8), size)
        assert (placed["padX"], placed["padY"]) == (box_map.pad_x, box_map.pad_y)
        assert placed["scale"] == box_map.scale
        assert (square[placed["padY"], placed["padX"]] != 128).all()  # the frame starts where the JS puts it
    for frame, got in zip(frames, result["inputs"]):
        square, _ = letterbox(frame, 64)
        assert np.array_equal(np.rint(np.reshape(got, (64, 64, 3)) * 255).astype(np.uint8), square)
