"""A short train -> detect -> evaluate run through the command line, resume, and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from mlbasics.cli import main
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.vision.yolo.detect import Detector
from mlbasics.vision.yolo.train import TrainConfig, train


@pytest.fixture(scope="module")
def trained(small_set, tmp_path_factory):
    """Final weights of one CLI training run (stage 1 and 2, one epoch each)."""
    folder = tmp_path_factory.mktemp("trained")
    assert main(_train_args(small_set, folder / "job", "--weights-final", str(folder / "final.weights.h5"))) == 0
    return folder


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """A tiny VOC set at 64 px, its annotation lines, anchors and a 1-epoch backbone."""
    root = tmp_path_factory.mktemp("yolo")
    data = root / "data"
    assert main(["yolo", "make-data", "--out", str(data), "--train", "24", "--val", "8", "--test", "8",
                 "--image-size", "64"]) == 0
    assert main(["yolo", "anchors", str(data / "train.txt"), "--classes", str(data / "classes.txt"),
                 "--out", str(root / "anchors.txt")]) == 0
    assert main(["yolo", "backbone", "--out", str(root / "backbone.keras"), "--width", "0.125", "--input-size", "32",
                 "--epochs", "1", "--train-count", "64"]) == 0
    return root


def _train_args(root, job, *extra):
    data = root / "data"
    return ["yolo", "train", "--annotations", str(data / "train.txt"), "--val-annotations", str(data / "val.txt"),
            "--classes", str(data / "classes.txt"), "--anchors", str(root / "anchors.txt"), "--job-dir", str(job),
            "--backbone", str(root / "backbone.keras"), "--input-size", "64", "--width", "0.125",
            "--batch-size", "8", "--epochs-frozen", "1", "--epochs", "2", *extra]


def test_train_then_detect_then_evaluate(small_set, trained, tmp_path, capsys):
    job, weights = trained / "job", trained / "final.weights.h5"
    for name in ("config.json", "history.csv", "trained_stage_1.weights.h5", "checkpoints/last.weights.h5"):
        assert (job / name).is_file(), name
    assert (trained / "final.config.json").is_file() and any((job / "logs").rglob("events.out.tfevents*"))
    history = (job / "history.csv").read_text().splitlines()
    assert {"xy", "wh", "objectness", "class", "val_loss"} <= set(history[0].split(",")) and len(history) == 3

    images = sorted(str(p) for p in (small_set / "data" / "JPEGImages").glob("test_*.jpg"))[:2]
    (tmp_path / "broken.jpg").write_text("not an image")
    out = tmp_path / "out"
    assert main(["yolo", "detect", *images, str(tmp_path / "broken.jpg"), "--weights",
                 str(weights), "--out", str(out), "--score-threshold", "0.05"]) == 0
    report = json.loads((out / "detections.json").read_text())
    # images keep their path relative to the folder holding all three inputs
    names = [e["image"] for e in report["images"]]
    assert [Path(n).name for n in names] == ["test_00000.jpg", "test_00001.jpg", "broken.jpg"]
    assert "not an image" in report["images"][2]["error"]
    assert (out / names[0]).is_file() and (out / report["images"][0]["output"]).is_file()
    capsys.readouterr()
    assert main(["yolo", "evaluate", str(small_set / "data" / "test.txt"), "--weights",
                 str(weights)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 8 and 0.0 <= result["map"] <= 1.0 and set(result["ap"]) == {
        "circle", "square", "triangle", "cross"}


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated Ctrl-C")


class _CountEpochs(keras.callbacks.Callback):
    epochs: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_resume_after_interruption(small_set, tmp_path):
    data = small_set / "data"
    config = TrainConfig(annotations=str(data / "train.txt"), classes=str(data / "classes.txt"),
                         anchors=str(small_set / "anchors.txt"), job_dir=str(tmp_path / "job"),
                         backbone=str(small_set / "backbone.keras"), input_size=64, width=0.125, batch_size=8,
                         epochs_frozen=1, epochs=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[_Interrupt()], verbose=0)
    stage, final = config.paths()
    assert stage.is_file() and not final.is_file()
    counter = _CountEpochs()
    resumed = train(config, callbacks=[counter], verbose=0)
    assert final.is_file()
    assert counter.epochs == [2], "stage 1 was loaded and stage 2 went on after its finished epoch"
    again = train(config, verbose=0)
    assert again.seconds < resumed.seconds / 3, "a finished job is not trained again"
    assert again.history["loss"] == resumed.history["loss"] and len(again.history["train_seconds"]) == 2
    with pytest.raises(InputError, match="started with other arguments"):
        train(TrainConfig(**{**config.__dict__, "epochs": 4}), verbose=0)
    # a job started before anchor_threshold and box_loss existed resumes: their defaults are the old behaviour
    stored = json.loads((tmp_path / "job" / "config.json").read_text())
    (tmp_path / "job" / "config.json").write_text(json.dumps({k: v for k, v in stored.items()
                                                              if k not in ("anchor_threshold", "box_loss")}))
    assert train(config, verbose=0).history["loss"] == resumed.history["loss"]
    with pytest.raises(InputError, match="started with other arguments"):  # but not with another value
        train(TrainConfig(**{**config.__dict__, "anchor_threshold": 0.3}), verbose=0)


def test_config_errors(small_set, tmp_path):
    data = small_set / "data"
    base = dict(annotations=str(data / "train.txt"), classes=str(data / "classes.txt"),
                anchors=str(small_set / "anchors.txt"), job_dir=str(tmp_path / "job"))
    with pytest.raises(InputError, match="multiple of 32"):
        TrainConfig(**base, input_size=100, epochs_frozen=0)
    with pytest.raises(InputError, match="give a backbone"):
        TrainConfig(**base, epochs_frozen=1)
    with pytest.raises(DataFileError, match="anchors.txt: anchors: the full model needs 9, got 6"):
        train(TrainConfig(**base, model="full", epochs_frozen=0, input_size=64), verbose=0)
    (tmp_path / "two.txt").write_text("circle\nsquare\n")
    with pytest.raises(DataFileError, match=r"train.txt: more lines skipped .* wrong classes file\? .*outside 0..1"):
        train(TrainConfig(**{**base, "classes": str(tmp_path / "two.txt"), "job_dir": str(tmp_path / "j2")},
                          epochs_frozen=0, epochs=1, input_size=64, width=0.125), verbose=0)


def test_detector_reads_grey_rgba_cmyk_and_rotated_images(trained, tmp_path):
    detector = Detector.load(trained / "final.weights.h5")
    colour = np.zeros((40, 90, 3), np.uint8)
    for mode in ("L", "RGBA", "CMYK"):
        Image.fromarray(colour).convert(mode).save(tmp_path / f"{mode}.{'jpg' if mode == 'CMYK' else 'png'}")
    rotated = Image.fromarray(colour)
    exif = rotated.getexif()
    exif[0x0112] = 6
    rotated.save(tmp_path / "rotated.jpg", exif=exif)
    from mlbasics.io.images import load_image

    for name in ("L.png", "RGBA.png", "CMYK.jpg", "rotated.jpg"):
        image = load_image(tmp_path / name)
        found = detector.detect(image, score_threshold=0.0)
        height, width = image.shape[:2]
        assert (height, width) == ((90, 40) if name == "rotated.jpg" else (40, 90))
        assert np.all(found.boxes[:, [0, 2]] <= width) and np.all(found.boxes[:, [1, 3]] <= height)
    with pytest.raises(DataFileError, match="no such weights file"):
        Detector.load(tmp_path / "nope.weights.h5")


def test_pretrained_darknet_weights_start_the_training(small_set, tmp_path):
    """--pretrained: a Darknet file written from a known 80-class model is loaded into this job's model
    for its own classes; stage 1 trains only the prediction layers, so every loaded layer still holds the
    file's values after training."""
    import dataclasses

    from mlbasics.vision.yolo.model import build_detector
    from mlbasics.vision.yolo.pretrained import export_darknet, load_pretrained
    from mlbasics.vision.yolo.spec import DARKNET_BATCH_NORM_EPSILON, YoloSpec

    keras.utils.set_random_seed(3)
    spec = YoloSpec.from_files(small_set / "anchors.txt", small_set / "data" / "classes.txt",
                               input_size=64, width=1.0, model="tiny")
    # Darknet's epsilon, as a job started from Darknet weights has: the file's numbers are the model's
    source_spec = dataclasses.replace(spec, class_names=tuple(f"c{i}" for i in range(80)),
                                      batch_norm_epsilon=DARKNET_BATCH_NORM_EPSILON)
    source = build_detector(source_spec)
    export_darknet(source, source_spec, tmp_path / "src.cfg", tmp_path / "src.weights")
    args = _train_args(small_set, tmp_path / "job", "--weights-final", str(tmp_path / "f.weights.h5"))
    at = args.index("--backbone")
    del args[at:at + 2]
    args[args.index("--width") + 1] = "1.0"
    args[args.index("--epochs") + 1] = "1"
    assert main([*args, "--pretrained", str(tmp_path / "src.weights")]) == 0
    loaded = load_pretrained(build_detector(spec), spec, tmp_path / "src.cfg", tmp_path / "src.weights").loaded
    tuned = build_detector(spec)
    tuned.load_weights(tmp_path / "f.weights.h5")
    assert len(loaded) > 10
    for name in loaded:
        for a, b in zip(source.get_layer(name).get_weights(), tuned.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(InputError, match="width 1.0"):
        TrainConfig(annotations="a", classes="c", anchors="x", job_dir="j", pretrained="w", epochs_frozen=0,
                    width=0.5)
