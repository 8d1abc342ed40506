"""The published tiny-YOLOv3 (COCO) from the offline mirror, checked against OpenCV's own Darknet reader.

OpenCV 4.x's ``cv2.dnn.readNetFromDarknet`` is an independent implementation of Darknet's cfg, weights,
batch norm and ``[yolo]`` decoding. Both read the same published files (the cfg with the masks the
weights were trained with, ``1,2,3`` on the finer scale) and the same letterboxed photos; the raw
prediction-layer outputs must agree within 1e-3 and at least 99% of the boxes at IoU >= 0.9.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("keras")
cv2 = pytest.importorskip("cv2")
if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):  # OpenCV 5 dropped the reader
    pytest.skip(f"OpenCV {cv2.__version__} has no Darknet reader (the dev extra pins 4.x)", allow_module_level=True)

from mlbasics.geometry.boxes import box_iou  # noqa: E402
from mlbasics.geometry.letterbox import letterbox  # noqa: E402
from mlbasics.io.images import load_image  # noqa: E402
from mlbasics.vision.yolo.decode import detect_from_outputs  # noqa: E402

SCORE, NMS = 0.2, 0.45
#: Boxes whose score lies this close to the threshold may fall on either side in the other reader.
MARGIN = 0.005


def _photos(mirror: Path) -> list[Path]:
    """Real photos of people (VOC, with dlib's face labels) and of raccoons, 24 in all."""
    people = sorted((mirror / "faces" / "voc_faces").glob("2*.jpg"))
    raccoons = sorted((mirror / "raccoon" / "images").glob("raccoon-*.jpg"))[:24 - len(people)]
    return people + raccoons


@pytest.fixture(scope="module")
def coco():
    """The converted detector (fetched from the mirror, converted once) and the published files."""
    if not os.environ.get("MLBASICS_DATA_MIRROR"):
        pytest.skip("no offline data mirror: set MLBASICS_DATA_MIRROR (see README)")
    from mlbasics.vision.yolo.coco import coco_files, coco_weights
    from mlbasics.vision.yolo.detect import Detector

    return Detector.load(coco_weights()), coco_files()


@pytest.fixture(scope="module")
def opencv_net(coco, tmp_path_factory):
    """OpenCV's network of the published files, the finer scale's mask set to what the weights were trained with."""
    _, files = coco
    text = files.cfg.read_text()
    assert text.count("mask = 0,1,2") == 1
    cfg = tmp_path_factory.mktemp("cfg") / "yolov3-tiny-trained-masks.cfg"
    cfg.write_text(text.replace("mask = 0,1,2", "mask = 1,2,3"))
    return cv2.dnn.readNetFromDarknet(str(cfg), str(files.weights))


def _opencv(net, square: np.ndarray, layers: list[str]) -> list[np.ndarray]:
    net.setInput(cv2.dnn.blobFromImage(square, 1 / 255.0, square.shape[:2][::-1], swapRB=False, crop=False))
    return net.forward(layers)


def _opencv_boxes(rows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The test's own decoding of OpenCV's ``[yolo]`` rows (centre x, y, w, h as fractions, objectness,
    objectness x class probability), per-class NMS by OpenCV: corner boxes in pixels, scores, classes."""
    boxes, scores, classes = [], [], []
    for cls in range(rows.shape[1] - 5):
        score = rows[:, 5 + cls]
        picked = np.nonzero(score >= SCORE)[0]
        if not picked.size:
            continue
        xywh = [[float(x - w / 2), float(y - h / 2), float(w), float(h)] for x, y, w, h in rows[picked, :4] * size]
        for i in np.asarray(cv2.dnn.NMSBoxes(xywh, score[picked].tolist(), SCORE, NMS)).reshape(-1):
            x, y, w, h = xywh[i]
            boxes.append([x, y, x + w, y + h])
            scores.append(score[picked[i]])
            classes.append(cls)
    return np.array(boxes).reshape(-1, 4), np.array(scores), np.array(classes)


def _matched(boxes, scores, classes, other_boxes, other_classes) -> tuple[int, int]:
    """``(matched, counted)``: boxes away from the threshold with a box of the same class at IoU >= 0.9."""
    matched = counted = 0
    for box, score, cls in zip(boxes, scores, classes):
        if score < SCORE + MARGIN:
            continue
        counted += 1
        same = other_boxes[other_classes == cls]
        matched += bool(len(same) and box_iou(np.asarray(box, float), same).max() >= 0.9)
    return matched, counted


def test_coco_detector_matches_opencv(coco, opencv_net, mirror):
    detector, _ = coco
    spec = detector.spec
    assert spec.input_size == 416 and spec.num_classes == 80 and spec.class_names[0] == "person"
    largest = 0.0
    ours_matched = ours_counted = theirs_matched = theirs_counted = 0
    for path in _photos(mirror):
        square, _ = letterbox(load_image(path), spec.input_size)
        ours = detector.raw_outputs(square[None])
        theirs = _opencv(opencv_net, square, ["conv_15", "conv_22", "yolo_16", "yolo_23"])
        for mine, raw in zip(ours, theirs[:2]):  # the prediction layers, (1, C, g, g) in OpenCV
            largest = max(largest, float(np.abs(mine[0] - raw[0].transpose(1, 2, 0)).max()))
        found = detect_from_outputs(ours, spec, SCORE, NMS)[0]
        boxes, scores, classes = _opencv_boxes(np.concatenate(theirs[2:]), spec.input_size)
        m, c = _matched(found.boxes, found.scores, found.classes, boxes, classes)
        ours_matched, ours_counted = ours_matched + m, ours_counted + c
        m, c = _matched(boxes, scores, classes, found.boxes, found.classes)
        theirs_matched, theirs_counted = theirs_matched + m, theirs_counted + c
    print(f"largest raw difference {largest:.2e}; boxes matched: ours {ours_matched}/{ours_counted}, "
          f"OpenCV's {theirs_matched}/{theirs_counted}")
    assert largest <= 1e-3
    assert ours_counted >= 40 and theirs_counted >= 40  # enough boxes for the share to mean something
    assert ours_matched >= 0.99 * ours_counted and theirs_matched >= 0.99 * theirs_counted


def test_keras_epsilon_gives_other_outputs(coco, mirror):
    """Why the spec carries Darknet's epsilon: the same numbers with Keras's 1e-3 give other logits."""
    from dataclasses import replace

    from mlbasics.vision.yolo.model import build_detector
    from mlbasics.vision.yolo.spec import KERAS_BATCH_NORM_EPSILON

    detector, _ = coco
    keras_spec = replace(detector.spec, batch_norm_epsilon=KERAS_BATCH_NORM_EPSILON)
    plain = build_detector(keras_spec)
    plain.set_weights(detector.model.get_weights())
    square, _ = letterbox(load_image(_photos(mirror)[0]), 416)
    differences = [np.abs(a - b).max() for a, b in zip(detector.raw_outputs(square[None]),
                                                          plain.predict(square[None] / 255.0, verbose=0))]
    assert max(differences) > 0.01


def test_published_cfg_gets_the_trained_masks(coco):
    from mlbasics.vision.yolo.darknet import read_cfg
    from mlbasics.vision.yolo.pretrained import PUBLISHED_TINY_TRAINED_MASKS, cfg_masks, darknet_anchors

    _, files = coco
    cfg = read_cfg(files.cfg)
    assert [tuple(layer.values["mask"]) for layer in cfg.yolo_layers] == [(3, 4, 5), (0, 1, 2)]  # as written
    assert cfg_masks(cfg) == list(PUBLISHED_TINY_TRAINED_MASKS)
    assert darknet_anchors(cfg).tolist() == [[23, 27], [37, 58], [81, 82], [81, 82], [135, 169], [344, 319]]
    assert darknet_anchors(cfg, [(3, 4, 5), (0, 1, 2)]).tolist()[:3] == [[10, 14], [23, 27], [37, 58]]


def test_converted_once_into_the_cache(coco):
    from mlbasics.vision.yolo.coco import coco_weights
    from mlbasics.vision.yolo.spec import YoloSpec, config_path_for

    path = coco_weights()
    stamp = path.stat().st_mtime_ns
    assert coco_weights() == path and path.stat().st_mtime_ns == stamp
    record = json.loads(config_path_for(path).read_text())
    assert record["batch_norm_epsilon"] == 1e-6 and len(record["classes"]) == 80
    assert YoloSpec.read(config_path_for(path)) == coco[0].spec


def test_export_darknet_opens_in_opencv(tmp_path, mirror):
    """A detector the workbook trained (Keras's epsilon, 3 classes, width 0.25) written as Darknet files:
    OpenCV reads them and computes the same outputs and boxes."""
    from mlbasics.vision.yolo.model import build_detector
    from mlbasics.vision.yolo.pretrained import export_darknet
    from mlbasics.vision.yolo.spec import YoloSpec

    spec = YoloSpec(np.array([[10, 13], [30, 40], [60, 50], [90, 120], [150, 140], [200, 180]], np.float32),
                    ("cat", "dog", "raccoon"), 160, 0.25)
    model = build_detector(spec)
    rng = np.random.default_rng(0)
    for variable in model.weights:
        values = rng.standard_normal(tuple(variable.shape)).astype(np.float32) * 0.2
        if "variance" in variable.path:
            values = np.abs(values) + 0.01
        variable.assign(values)
    export_darknet(model, spec, tmp_path / "mine.cfg", tmp_path / "mine.weights")
    net = cv2.dnn.readNetFromDarknet(str(tmp_path / "mine.cfg"), str(tmp_path / "mine.weights"))
    square, _ = letterbox(load_image(_photos(mirror)[0]), spec.input_size)
    ours = model.predict(square[None] / 255.0, verbose=0)
    theirs = _opencv(net, square, ["conv_15", "conv_22"])  # OpenCV names layers by cfg index: the predictions
    for mine, raw in zip(ours, theirs):
        scale = max(1.0, float(np.abs(mine).max()))
        assert np.abs(mine[0] - raw[0].transpose(1, 2, 0)).max() <= 1e-4 * scale


def test_cli_detect_coco_on_a_folder(tmp_path, mirror):
    photos = tmp_path / "photos" / "holiday"
    photos.mkdir(parents=True)
    for name in ("2008_001009.jpg", "2008_002079.jpg"):
        (photos / name).write_bytes((mirror / "faces" / "voc_faces" / name).read_bytes())
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path / "found"
    done = subprocess.run([sys.executable, "-m", "mlbasics.cli", "yolo", "detect", str(tmp_path / "photos"),
                           "--weights", "coco", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "detections.json").read_text())
    # named relative to the folder that holds them all, as for files given one by one
    assert [entry["image"] for entry in report["images"]] == ["2008_001009.jpg", "2008_002079.jpg"]
    classes = {d["class"] for entry in report["images"] for d in entry["detections"]}
    assert "person" in classes and all(set(d) == {"class", "score", "box"}
                                       for entry in report["images"] for d in entry["detections"])
    assert (out / "2008_001009.jpg").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-m", "mlbasics.cli", "yolo", "detect", str(empty), "--weights", "coco",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no photos" in done.stderr and str(empty) in done.stderr
