"""``yolo fit`` end to end on a tiny VOC folder with a truncated and a fake photo: report, resume,
and detect / evaluate / export taking what it writes; the photo augmentation keeps boxes on their objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from mlbasics.cli import main
from mlbasics.core.errors import InputError
from mlbasics.data.voc_xml import voc_objects, write_voc
from mlbasics.vision.yolo.augment import PhotoAugmentation, PhotoBatches, augment_one, mosaic_canvas
from mlbasics.vision.yolo.data import LoadedSet
from mlbasics.vision.yolo.fit import choose_settings, fit
from mlbasics.vision.yolo.spec import YoloSpec

#: ``yolo fit`` on the photos fixture, from scratch and tiny (the fitted fixture and its rerun).
FIT_OPTIONS = ["--from-scratch", "--epochs", "2", "--input-size", "64", "--width", "0.125", "--val-fraction", "0.25"]
#: report.json's "settings": TrainConfig's own settings (TrainSettings), the ones fit chooses.
SETTINGS_KEYS = {"input_size", "width", "batch_size", "epochs_frozen", "epochs", "learning_rate_frozen",
                 "learning_rate", "jitter", "seed", "mosaic", "translate", "decode_scale", "ema_momentum",
                 "warmup_epochs", "objectness_prior", "anchor_threshold", "box_loss"}
REPORT_KEYS = {"map", "ap", "map_flip", "train_images", "val_images", "settings", "train_seconds", "split",
               "weights", "config", "skipped", "warnings", "seconds_per_epoch", "pretrained", "map_curve"}


def _scene(rng: np.random.Generator, size=(96, 72)) -> tuple[np.ndarray, list[list[float]]]:
    image = np.full((size[1], size[0], 3), 200, np.uint8)
    x0, y0 = int(rng.integers(0, 40)), int(rng.integers(0, 30))
    w, h = int(rng.integers(20, 50)), int(rng.integers(20, 40))
    image[y0:y0 + h, x0:x0 + w] = (30, 60, 160)
    return image, [[x0, y0, x0 + w, y0 + h, 0]]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """A LabelImg folder of 14 photos (one blue box each), one truncated JPEG and one text file named .jpg."""
    root = tmp_path_factory.mktemp("photos")
    (root / "annotations").mkdir()
    (root / "images").mkdir()
    rng = np.random.default_rng(0)
    for index in range(16):
        image, boxes = _scene(rng)
        name = f"photo {index:02d}.jpg" if index == 3 else f"photo{index:02d}.jpg"  # one path with a space
        Image.fromarray(image).save(root / "images" / name, quality=95)
        write_voc(root / "annotations" / f"{Path(name).stem}.xml", name, (96, 72, 3),
                  voc_objects(np.array(boxes, float), ["box"]))
    data = (root / "images" / "photo14.jpg").read_bytes()
    (root / "images" / "photo14.jpg").write_bytes(data[: len(data) - 200])  # cut short, as a failed copy
    (root / "images" / "photo15.jpg").write_text("this is not a picture")
    return root


@pytest.fixture(scope="module")
def fitted(photos, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fit")
    assert main(["yolo", "fit", str(photos), "--out", str(out), *FIT_OPTIONS]) == 0
    return out


def test_fit_writes_report_weights_and_names_broken_photos(fitted, photos):
    report = json.loads((fitted / "report.json").read_text())
    assert set(report) == REPORT_KEYS
    assert 0.0 <= report["map"] <= 1.0 and set(report["ap"]) == {"box"}
    assert report["train_images"] + report["val_images"] == 14  # 16 photos, 2 broken
    assert report["settings"]["epochs"] == 2 and report["settings"]["input_size"] == 64
    assert set(report["settings"]) == SETTINGS_KEYS
    trained_with = json.loads((fitted / "job" / "config.json").read_text())  # the TrainConfig training got
    assert {name: trained_with[name] for name in SETTINGS_KEYS} == report["settings"]
    assert trained_with["augment"] == "photos" and trained_with["annotations"] == str(fitted / "data" / "train.txt")
    broken = {Path(p["file"]).name: p["reason"] for p in report["skipped"]}
    assert set(broken) == {"photo14.jpg", "photo15.jpg"}, report["skipped"]
    assert "truncated" in broken["photo14.jpg"] and broken["photo15.jpg"]
    assert any("white space" in w["reason"] for w in report["warnings"])
    assert Path(report["weights"]).is_file() and Path(report["config"]).is_file()
    assert "seeded split" in report["split"]
    lines = (fitted / "data" / "val.txt").read_text().splitlines()
    assert len(lines) == report["val_images"] and all(len(line.split()) == 2 for line in lines)


def test_detect_evaluate_and_export_take_what_fit_writes(fitted, photos, tmp_path, capsys):
    weights = str(fitted / "detector.weights.h5")
    images = [str(photos / "images" / "photo00.jpg"), str(photos / "images" / "photo14.jpg")]
    assert main(["yolo", "detect", *images, "--weights", weights, "--out", str(tmp_path / "found")]) == 0
    entries = json.loads((tmp_path / "found" / "detections.json").read_text())["images"]
    assert "detections" in entries[0] and "truncated" in entries[1]["error"]
    capsys.readouterr()
    assert main(["yolo", "evaluate", str(fitted / "data" / "val.txt"), "--weights", weights]) == 0
    measured = json.loads(capsys.readouterr().out)
    report = json.loads((fitted / "report.json").read_text())
    assert measured["map"] == pytest.approx(report["map"], abs=1e-3)
    assert main(["yolo", "evaluate", str(fitted / "data" / "val.txt"), "--weights", weights, "--flip"]) == 0
    assert json.loads(capsys.readouterr().out)["map"] == pytest.approx(report["map_flip"], abs=1e-3)
    assert main(["yolo", "detect", images[0], "--weights", weights, "--out", str(tmp_path / "flip"), "--flip"]) == 0


def test_export_takes_the_fitted_detector(fitted, tmp_path):
    out = tmp_path / "exported"
    assert main(["export", str(fitted / "detector.weights.h5"), "--formats", "tflite-float32", "--out", str(out),
                 "--check", "2"]) == 0
    assert any(out.rglob("*.tflite"))


class _StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated Ctrl-C")


def _not_read_back(*args, **kwargs):
    raise AssertionError("fit read back a file it wrote: training takes its data and spec in memory")


def test_rerun_resumes_an_interrupted_fit(photos, tmp_path, monkeypatch):
    from mlbasics.vision.yolo import train

    for module, name in ((train, "read_annotation_lines"), (YoloSpec, "read"), (YoloSpec, "from_files")):
        monkeypatch.setattr(module, name, _not_read_back)
    options = dict(epochs=2, input_size=64, width=0.125, val_fraction=0.25, progress=False, pretrained=None)
    with pytest.raises(KeyboardInterrupt):
        fit(photos, tmp_path, callbacks=[_StopAfterFirstEpoch()], **options)
    assert not (tmp_path / "report.json").exists()
    report = fit(photos, tmp_path, **options)
    history = (tmp_path / "job" / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1"]  # epoch 0 not repeated
    assert report.train_images + report.val_images == 14
    again = fit(photos, tmp_path, **options)  # finished: nothing is trained again
    assert again.map == pytest.approx(report.map) and again.train_seconds == report.train_seconds


def _written(out: Path) -> dict[str, bytes]:
    """Every plain file fit wrote under ``out/data`` and its report, by relative path."""
    files = [p for p in (out / "data").rglob("*") if p.is_file() and not p.is_symlink()] + [out / "report.json"]
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def test_a_rerun_in_a_new_process_writes_the_same_files(fitted, photos):
    """What a person does: run the same ``yolo fit`` again. A new process hashes strings with another salt,
    yet the finished job is resumed (nothing trained) and every file comes out byte for byte as before,
    the photo with a space in its path through the same link (none added)."""
    before, links = _written(fitted), sorted(os.listdir(fitted / "data" / "links"))
    assert len(links) == 1  # "photo 03.jpg"
    salt = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not this process's
    subprocess.run([sys.executable, "-m", "mlbasics.cli", "yolo", "fit", str(photos), "--out", str(fitted),
                    *FIT_OPTIONS], check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": salt})
    assert _written(fitted) == before
    assert sorted(os.listdir(fitted / "data" / "links")) == links


def test_settings_follow_the_data_size():
    few, many = choose_settings(20, pretrained=False), choose_settings(2000, pretrained=False)
    assert few.epochs > many.epochs and few.epochs <= 300 and many.epochs >= 10
    assert choose_settings(160, epochs=7, input_size=320).epochs == 7


def test_augmented_boxes_stay_on_their_objects():
    """Each augmented box still frames blue pixels: the boxes moved with the image."""
    rng = np.random.default_rng(1)
    images, boxes = [], []
    for _ in range(6):
        image, found = _scene(rng, (96, 96))
        images.append(image)
        padded = np.zeros((20, 5), np.float32)
        padded[0] = found[0]
        boxes.append(padded)
    data = LoadedSet(np.stack(images), np.stack(boxes))
    settings = PhotoAugmentation(mosaic=0.5, brightness=0.0, saturation=0.0)
    checked = 0
    for index in range(30):
        image, out = augment_one(data, index % 6, 64, settings, np.random.default_rng(index))
        for x0, y0, x1, y1, _ in out[out[:, 2] > out[:, 0]]:
            inside = image[int(y0) + 2:int(y1) - 1, int(x0) + 2:int(x1) - 1]
            if inside.size:
                assert inside[..., 2].mean() > 0.5 > inside[..., 0].mean(), (index, x0, y0, x1, y1)
                checked += 1
    assert checked > 20


def test_mosaic_puts_four_photos_around_the_centre():
    tiles = [np.full((32, 32, 3), value, np.uint8) for value in (10, 60, 110, 160)]
    boxes = [np.array([[0, 0, 32, 32, k]], float) for k in range(4)]
    canvas, placed = mosaic_canvas(tiles, boxes, 32, (40, 24))
    assert canvas.shape == (64, 64, 3)
    assert canvas[0, 39, 0] == 10 and canvas[0, 40, 0] == 60 and canvas[55, 39, 0] == 110 and canvas[55, 63, 0] == 160
    assert canvas[60, 20, 0] == 128 and canvas[10, 5, 0] == 128  # outside the four photos: grey
    np.testing.assert_array_equal(placed[:, :4], [[8, 0, 40, 24], [40, 0, 64, 24], [8, 24, 40, 56], [40, 24, 64, 56]])


def test_photo_batches_repeat_per_seed_and_epoch():
    spec = YoloSpec(np.array([[10, 10], [20, 20], [30, 30], [40, 40], [50, 50], [60, 60]], np.float32), ("a",),
                    input_size=64, width=0.125)
    rng = np.random.default_rng(0)
    scenes = [_scene(rng, (96, 96)) for _ in range(4)]
    boxes = np.zeros((4, 20, 5), np.float32)
    boxes[:, 0] = [s[1][0] for s in scenes]
    data = LoadedSet(np.stack([s[0] for s in scenes]), boxes)
    feeder = PhotoBatches(data, spec, 2, PhotoAugmentation(), seed=3)
    first = [b[0] for b in feeder.batches()]
    assert len(first) == 2 and first[0].shape == (2, 64, 64, 3)
    np.testing.assert_array_equal(first[0], next(iter(feeder.batches()))[0])
    feeder.epoch = 1
    assert not np.array_equal(first[0], next(iter(feeder.batches()))[0])


def test_panel_folder_fits_from_coco_as_it_is(tmp_path, mirror):
    """The labelling panel's folder (photos, annotations/ beside them) trains without moving a file, and
    ``fit`` starts from COCO by default: width 1.0, the published anchors, a mAP curve when asked."""
    from mlbasics.data.labelling import LabelBox, LabelFolder
    from mlbasics.data.voc import read_voc_objects

    photos = tmp_path / "my photos"
    photos.mkdir()
    stems = [f"raccoon-{n}" for n in range(1, 11)]
    for stem in stems:
        (photos / f"{stem}.jpg").write_bytes((mirror / "raccoon" / "images" / f"{stem}.jpg").read_bytes())
    folder = LabelFolder(photos, ["raccoon"])
    for index, photo in enumerate(folder.photos):  # the reader draws the boxes the dataset's labeller drew
        objects = read_voc_objects(mirror / "raccoon" / "annotations" / f"{photo.stem}.xml")
        boxes = [LabelBox(int(o.x_min), int(o.y_min), int(o.x_max), int(o.y_max), "raccoon") for o in objects]
        height, width = folder.load_photo(index).shape[:2]
        folder.save_boxes(index, boxes, (width, height))
    assert sorted(p.name for p in photos.iterdir()) == sorted([f"{s}.jpg" for s in stems] + ["annotations"])
    report = fit(photos, tmp_path / "out", epochs=1, input_size=96, val_fraction=0.3, map_every=1, progress=False)
    assert report.train_images + report.val_images == 10 and not report.skipped
    assert report.pretrained == "coco" and report.settings.width == 1.0 and report.settings.epochs_frozen == 1
    assert len(report.map_curve) == 1 and report.seconds_per_epoch > 0
    anchors = (tmp_path / "out" / "data" / "anchors.txt").read_text()
    assert anchors.startswith("23,27") and "344,319" in anchors  # COCO's, with the trained masks
    assert YoloSpec.read(tmp_path / "out" / "detector.config.json").batch_norm_epsilon == 1e-6


def test_pretrained_start_needs_the_published_width():
    with pytest.raises(InputError, match="width 1.0"):
        choose_settings(160, width=0.5)
    assert choose_settings(160).epochs == choose_settings(160).epochs_frozen == 12
    assert choose_settings(160, pretrained=False).width == 0.5
