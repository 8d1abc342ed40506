"""Hostile input to the YOLO, export and data commands: one line naming the culprit, never a traceback,
never success when nothing was done, and a broken file in a set named and skipped.

Every case runs the real command (``mlbasics.cli.main``) on real files: a ``.weights.h5`` that is not
HDF5 or is cut short, folders where files belong, empty and blank annotation files, an empty VOC
split, a JPEG truncated after its header, a PNG whose header claims ten billion pixels.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.cli import main
from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError
from tests.hostile_files import assert_one_error, bomb_png, run, untrained_detector

CLASSES = ("circle", "square", "triangle", "cross")


# --- fixtures: a tiny VOC set, a tiny detector, broken files ---------------------------------------------


@pytest.fixture(scope="module")
def voc(tmp_path_factory) -> Path:
    """The synthetic shapes set at 64 px (6 train, 2 test images) with its annotation lines."""
    root = tmp_path_factory.mktemp("voc") / "data"
    assert main(["yolo", "make-data", "--out", str(root), "--train", "6", "--val", "0", "--test", "2",
                 "--image-size", "64"]) == 0
    return root


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> Path:
    """An untrained tiny detector's ``final.weights.h5`` (input 64, width 0.125) with its config beside it."""
    return untrained_detector(tmp_path_factory.mktemp("detector"), CLASSES)


@pytest.fixture
def data(voc, tmp_path) -> Path:
    """A private copy of the VOC set, free to break."""
    return Path(shutil.copytree(voc, tmp_path / "data"))


def truncate(path: Path, keep: float = 0.5) -> Path:
    """Cut ``path`` to its first ``keep`` fraction of bytes (an interrupted copy)."""
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])
    return path


def noisy_jpeg(path: Path, size: int = 64) -> Path:
    """A real JPEG with enough detail that cutting its end removes image data, not just the end marker."""
    pixels = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=95)
    return path


def weights_copy(detector: Path, folder: Path, name: str) -> Path:
    """A copy of the detector's config beside a (to be broken) ``<name>.weights.h5``."""
    shutil.copy(detector.with_name("final.config.json"), folder / f"{name}.config.json")
    return folder / f"{name}.weights.h5"


# --- 1. tracebacks: broken weights, folders for files, a decompression bomb -------------------------------


def _detector_commands(weights: Path, data: Path, out: Path):
    return {
        "yolo detect": ["yolo", "detect", data / "JPEGImages" / "test_00000.jpg", "--weights", weights, "--out", out],
        "yolo evaluate": ["yolo", "evaluate", data / "test.txt", "--weights", weights],
        "export": ["export", weights, "--out", out, "--formats", "onnx"],
    }


@pytest.mark.parametrize("prog", ["yolo detect", "yolo evaluate", "export"])
def test_weights_that_are_not_hdf5_are_named(prog, detector, data, tmp_path, capsys):
    weights = weights_copy(detector, tmp_path, "text")
    weights.write_text("these are not weights\n")
    code, out, err = run(_detector_commands(weights, data, tmp_path / "out")[prog], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, prog, str(weights), "not a Keras weights file (HDF5)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("prog", ["yolo detect", "yolo evaluate", "export"])
def test_truncated_weights_are_named(prog, detector, data, tmp_path, capsys):
    weights = weights_copy(detector, tmp_path, "cut")
    shutil.copy(detector, weights)
    truncate(weights, 0.6)
    code, out, err = run(_detector_commands(weights, data, tmp_path / "out")[prog], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, prog, str(weights), "truncated")


# Keras warns about the mismatched architecture just before it raises the ValueError this test expects.
@pytest.mark.filterwarnings("ignore:Skipping nested container:UserWarning")
def test_weights_checks_in_the_loader(detector, tmp_path):
    from mlbasics.io.keras_models import check_keras_weights, load_keras_weights
    from mlbasics.vision.yolo.detect import Detector

    (tmp_path / "empty.weights.h5").write_bytes(b"")
    with pytest.raises(DataFileError, match="empty.weights.h5: not a Keras weights file"):
        check_keras_weights(tmp_path / "empty.weights.h5")
    (tmp_path / "folder.weights.h5").mkdir()
    with pytest.raises(DataFileError, match="folder.weights.h5: is a folder"):
        Detector.load(tmp_path / "folder.weights.h5")
    assert check_keras_weights(detector) == detector
    # weights of another architecture: they do not fit, and the message says which config
    other = weights_copy(detector, tmp_path, "other")
    spec = json.loads((tmp_path / "other.config.json").read_text())
    (tmp_path / "other.config.json").write_text(json.dumps({**spec, "classes": ["a", "b"]}))
    shutil.copy(detector, other)
    with pytest.raises(DataFileError, match="weights do not fit the model of other.config.json"):
        Detector.load(other)
    with pytest.raises(DataFileError, match="truncated"):
        load_keras_weights(object(), truncate(other, 0.3))


def test_folders_where_files_belong_are_one_line(detector, data, tmp_path, capsys):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    classes, lines, anchors = data / "classes.txt", data / "train.txt", tmp_path / "anchors.txt"
    anchors.write_text("5,5, 10,10, 15,15, 20,20, 30,30, 40,40\n")
    cases = {
        "annotations": (["yolo", "check", folder, "--classes", classes], "yolo check"),
        "classes": (["yolo", "anchors", lines, "--classes", folder, "--out", tmp_path / "a.txt"], "yolo anchors"),
        "anchors": (["yolo", "train", "--annotations", lines, "--classes", classes, "--anchors", folder,
                     "--job-dir", tmp_path / "job"], "yolo train"),
        "config": (["yolo", "detect", lines, "--weights", detector, "--config", folder, "--out", tmp_path / "o"],
                   "yolo detect"),
        "anchors output": (["yolo", "anchors", lines, "--classes", classes, "--k", "2", "--out", folder],
                           "yolo anchors"),
        "lines output": (["yolo", "voc-lines", data, "--classes", classes, "--out", folder], "yolo voc-lines"),
        "weights output": (["yolo", "train", "--annotations", lines, "--classes", classes, "--anchors", anchors,
                            "--job-dir", tmp_path / "job", "--weights-final", folder], "yolo train"),
        "detections folder is a file": (["yolo", "detect", data / "JPEGImages" / "test_00000.jpg", "--weights",
                                         detector, "--out", lines], "yolo detect"),
    }
    (folder / "keep.txt").write_text("the folder's content")
    for name, (args, prog) in cases.items():
        code, out, err = run(args, capsys)
        assert code == 2 and out == "", name
        assert_one_error(err, prog, str(lines if "is a file" in name else folder))
        assert ("is a file" if "is a file" in name else "is a folder") in err, (name, err)
    assert (folder / "keep.txt").read_text() == "the folder's content"  # never replaced by an output file
    assert not (tmp_path / "job").exists()


def test_a_config_folder_is_named_by_the_library(tmp_path):
    from mlbasics.vision.yolo.spec import YoloSpec

    (tmp_path / "x.config.json").mkdir()
    with pytest.raises(DataFileError, match="x.config.json: is a folder"):
        YoloSpec.read(tmp_path / "x.config.json")


def test_a_decompression_bomb_in_an_annotation_line_is_a_problem_line(data, capsys):
    bomb_png(data / "JPEGImages" / "bomb.png")
    with open(data / "train.txt", "a", encoding="utf-8") as handle:
        handle.write("JPEGImages/bomb.png 1,1,20,20,0\n")
    code, out, err = run(["yolo", "check", data / "train.txt", "--classes", data / "classes.txt"], capsys)
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[0] == "6 usable image(s), 1 line(s) skipped"
    assert "train.txt:7: JPEGImages/bomb.png: image too large" in out
    # anchors and training's reader skip the same line, named
    code, out, err = run(["yolo", "anchors", data / "train.txt", "--classes", data / "classes.txt", "--k", "2",
                          "--out", data / "anchors.txt"], capsys)
    assert code == 0 and "skipped " in err and "bomb.png: image too large" in err


def test_the_pixel_limit_is_read_when_called(data, monkeypatch, capsys):
    from mlbasics.io import images

    monkeypatch.setattr(images, "MAX_PIXELS", 1000)  # the 64 x 64 images are over it
    code, out, err = run(["yolo", "check", data / "test.txt", "--classes", data / "classes.txt"], capsys)
    assert code == 1 and out.splitlines()[0] == "0 usable image(s), 2 line(s) skipped"
    assert "more than the limit of 1,000" in out
    with pytest.raises(DataFileError, match="more than the limit of 1,000"):
        images.image_size(data / "JPEGImages" / "test_00000.jpg")


# --- 2. success where nothing was done --------------------------------------------------------------------


def test_detect_with_every_image_unreadable_fails_and_keeps_the_earlier_output(detector, data, tmp_path, capsys):
    good = data / "JPEGImages" / "test_00000.jpg"
    out = tmp_path / "out"
    code, stdout, err = run(["yolo", "detect", good, "--weights", detector, "--out", out], capsys)
    assert code == 0 and err == ""
    earlier = (out / "detections.json").read_bytes()
    broken = [truncate(noisy_jpeg(tmp_path / "cut.jpg")), tmp_path / "text.jpg"]
    broken[1].write_text("not an image")
    code, stdout, err = run(["yolo", "detect", *broken, "--weights", detector, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert_one_error(err, "yolo detect", str(broken[0]), "no usable image: all 2 skipped", "truncated")
    assert (out / "detections.json").read_bytes() == earlier


def test_detect_processes_the_good_images_and_names_the_bad(detector, data, tmp_path, capsys):
    good = data / "JPEGImages" / "test_00000.jpg"
    cut = truncate(noisy_jpeg(tmp_path / "cut.jpg"))
    text = tmp_path / "text.jpg"
    text.write_text("not an image")
    code, stdout, err = run(["yolo", "detect", cut, good, text, "--weights", detector, "--out", tmp_path / "o"],
                            capsys)
    assert code == 0
    first, second = err.splitlines()
    assert first.startswith(f"skipped {cut}: cannot decode image (image file is truncated")
    assert second == f"skipped {text}: not an image file (Pillow cannot identify its format)"
    report = json.loads((tmp_path / "o" / "detections.json").read_text())
    assert [e["image"] for e in report["images"]] == ["cut.jpg", "data/JPEGImages/test_00000.jpg", "text.jpg"]
    assert "truncated" in report["images"][0]["error"] and "detections" in report["images"][1]
    assert "not an image" in report["images"][2]["error"]
    assert stdout.startswith("data/JPEGImages/test_00000.jpg: ")
    assert (tmp_path / "o" / "data" / "JPEGImages" / "test_00000.jpg").is_file()


def test_detect_keeps_same_names_in_two_folders_apart(detector, data, tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(data / "JPEGImages" / "test_00000.jpg", tmp_path / folder / "x.jpg")
    Image.open(data / "JPEGImages" / "test_00001.jpg").save(tmp_path / "a" / "x.png")
    code, _, _ = run(["yolo", "detect", tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg", tmp_path / "a" / "x.png",
                      "--weights", detector, "--out", tmp_path / "o"], capsys)
    assert code == 0
    report = json.loads((tmp_path / "o" / "detections.json").read_text())
    outputs = [e["output"] for e in report["images"]]
    assert outputs[:2] == ["a/x.jpg", "b/x.jpg"] and outputs[2].startswith("a/x-") and outputs[2].endswith(".jpg")
    assert all((tmp_path / "o" / name).is_file() for name in outputs)


def test_detect_refuses_to_overwrite_its_input_photos(detector, data, tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(data / "JPEGImages" / "test_00000.jpg", tmp_path / folder / "x.jpg")
    photo, before = tmp_path / "a" / "x.jpg", (tmp_path / "a" / "x.jpg").read_bytes()
    # one photo: outputs are named relative to its own folder, so --out a would write a/x.jpg over it;
    # two folders: relative to their parent, so --out at the parent would write a/x.jpg and b/x.jpg
    for images, target in (([photo], tmp_path / "a"), ([photo, tmp_path / "b" / "x.jpg"], tmp_path)):
        code, _, err = run(["yolo", "detect", *images, "--weights", detector, "--out", target], capsys)
        assert code == 2 and "would overwrite the input" in err and str(photo) in err, err
        assert photo.read_bytes() == before and not (target / "detections.json").exists()


def test_detect_names_and_skips_what_is_not_an_image_file(detector, data, tmp_path, capsys):
    # a FIFO (never opened: reading it would block), a dangling link, a link loop, a folder named .jpg:
    # each is one "skipped" line and an "error" entry; the good photo is still detected
    os.mkfifo(tmp_path / "fifo.jpg")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
    (tmp_path / "folder.jpg").mkdir()
    good = data / "JPEGImages" / "test_00000.jpg"
    bad = [tmp_path / name for name in ("fifo.jpg", "dangling.jpg", "loop.jpg", "folder.jpg")]
    code, stdout, err = run(["yolo", "detect", bad[0], good, *bad[1:], "--weights", detector, "--out",
                             tmp_path / "o"], capsys)
    assert code == 0 and "Traceback" not in err
    assert err.splitlines() == [f"skipped {bad[0]}: not a regular file (a FIFO)",
                                f"skipped {bad[1]}: no such image file (broken symbolic link to "
                                f"{str(tmp_path / 'gone.jpg')!r})",
                                f"skipped {bad[2]}: symbolic link loop (the link leads back to itself)",
                                f"skipped {bad[3]}: is a folder, expected a file"]
    report = json.loads((tmp_path / "o" / "detections.json").read_text())
    assert ["error" in entry for entry in report["images"]] == [True, False, True, True, True]
    # only unusable entries: nothing written, one line naming the first
    code, stdout, err = run(["yolo", "detect", *bad, "--weights", detector, "--out", tmp_path / "none"], capsys)
    assert code == 2 and stdout == ""
    assert_one_error(err, "yolo detect", str(bad[0]), "no usable image: all 4 skipped")
    assert not (tmp_path / "none" / "detections.json").exists()


@pytest.mark.parametrize("content", ["", "\n", "  \n\t\n\n", "\ufeff\r\n"], ids=["empty", "newline", "blank", "bom"])
def test_check_on_an_empty_or_blank_file_fails(content, data, tmp_path, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text(content, encoding="utf-8")
    code, out, err = run(["yolo", "check", lines, "--classes", data / "classes.txt"], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo check", str(lines), "empty or blank")


def test_check_with_no_usable_line_fails(data, tmp_path, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text("missing.jpg 1,1,5,5,0\n")
    code, out, _ = run(["yolo", "check", lines, "--classes", data / "classes.txt"], capsys)
    assert code == 1 and out.startswith("0 usable image(s), 1 line(s) skipped")


def test_voc_lines_on_an_empty_split_fails_and_keeps_the_earlier_output(data, tmp_path, capsys):
    out = tmp_path / "lines.txt"
    code, _, _ = run(["yolo", "voc-lines", data, "--split", "train", "--classes", data / "classes.txt", "--out", out],
                     capsys)
    assert code == 0
    earlier = out.read_bytes()
    for content in ("", "\n \n"):
        (data / "ImageSets" / "Main" / "empty.txt").write_text(content)
        code, stdout, err = run(["yolo", "voc-lines", data, "--split", "empty", "--classes", data / "classes.txt",
                                 "--out", out], capsys)
        assert code == 2 and stdout == ""
        assert_one_error(err, "yolo voc-lines", "empty.txt", "no image id")
        assert out.read_bytes() == earlier


def test_voc_lines_skips_broken_xml_by_name_and_fails_when_all_are(data, tmp_path, capsys):
    classes = data / "classes.txt"
    out = tmp_path / "lines.txt"
    truncate(data / "Annotations" / "train_00002.xml")
    (data / "Annotations" / "train_00004.xml").unlink()
    code, stdout, err = run(["yolo", "voc-lines", data, "--classes", classes, "--out", out], capsys)
    assert code == 0 and "4 lines" in stdout and "(2 skipped)" in stdout
    last_line = (data / "Annotations" / "train_00002.xml").read_bytes().count(b"\n") + 1  # where the XML stops
    assert len(err.splitlines()) == 2 and f"train_00002.xml:{last_line}: not valid XML" in err
    assert "train_00004.xml: no such XML file" in err
    assert all("train_00002" not in line for line in out.read_text().splitlines())
    earlier = out.read_bytes()
    for xml in (data / "Annotations").glob("train_*.xml"):
        xml.write_text("<annotation>")
    code, stdout, err = run(["yolo", "voc-lines", data, "--classes", classes, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert "no usable image id: all 6 skipped" in err.splitlines()[-1] and "Traceback" not in err
    assert out.read_bytes() == earlier


def test_anchors_name_every_line_they_cannot_use(data, tmp_path, capsys):
    lines = data / "train.txt"
    with open(lines, "a", encoding="utf-8") as handle:
        handle.write("JPEGImages/nope.jpg 1,1,9,9,0\nJPEGImages/train_00000.jpg 1,1,9,9,7\n")
    out = tmp_path / "anchors.txt"
    code, stdout, err = run(["yolo", "anchors", lines, "--classes", data / "classes.txt", "--k", "2", "--out", out],
                            capsys)
    assert code == 0 and "2 line(s) skipped" in stdout
    assert err.splitlines() == [f"skipped {lines}:7: JPEGImages/nope.jpg: image file not found",
                                f"skipped {lines}:8: box 1 '1,1,9,9,7': class id 7 is outside 0..3 of the classes file"]
    earlier = out.read_bytes()
    lines.write_text("JPEGImages/nope.jpg 1,1,9,9,0\n")
    code, stdout, err = run(["yolo", "anchors", lines, "--classes", data / "classes.txt", "--k", "2", "--out", out],
                            capsys)
    assert code == 2 and stdout == ""
    assert_one_error(err, "yolo anchors", str(lines), "no usable annotation line", "nope.jpg: image file not found")
    assert out.read_bytes() == earlier


def test_train_prints_only_weight_files_that_exist(data, tmp_path, monkeypatch, capsys):
    from mlbasics.cli import yolo as yolo_cli
    from mlbasics.vision.yolo import train as train_module

    def fake_train(config, verbose=1):
        stage, final = config.paths()
        final.parent.mkdir(parents=True)
        final.write_bytes(b"weights")
        return train_module.TrainResult(stage, final, seconds=1.0, skipped_lines=["x.txt:3: y.jpg: truncated"])

    monkeypatch.setattr(yolo_cli, "train", fake_train)  # the name the command calls
    anchors = tmp_path / "anchors.txt"
    anchors.write_text("5,5, 10,10, 15,15, 20,20, 30,30, 40,40\n")
    code, out, err = run(["yolo", "train", "--annotations", data / "train.txt", "--classes", data / "classes.txt",
                          "--anchors", anchors, "--job-dir", tmp_path / "job"], capsys)
    assert code == 0 and err == "skipped x.txt:3: y.jpg: truncated\n"
    assert "stage 1" not in out and f"final weights: {tmp_path / 'job' / 'trained_final.weights.h5'}" in out


# --- 3. a truncated JPEG in a photo set: every step names it and goes on ----------------------------------


@pytest.fixture
def broken_set(data) -> tuple[Path, Path]:
    """The VOC set with ``train_00001.jpg`` replaced by a detailed JPEG cut short after its header."""
    image = data / "JPEGImages" / "train_00001.jpg"
    truncate(noisy_jpeg(image))
    with Image.open(image) as header:
        assert header.size == (64, 64)  # the header is whole: only decoding finds the damage
    return data, image


def test_check_finds_a_jpeg_truncated_after_its_header(broken_set, capsys):
    data, image = broken_set
    code, out, err = run(["yolo", "check", data / "train.txt", "--classes", data / "classes.txt"], capsys)
    assert code == 1 and err == ""
    assert out.splitlines()[0] == "5 usable image(s), 1 line(s) skipped"
    assert "train.txt:2: JPEGImages/train_00001.jpg: cannot decode image (image file is truncated" in out


def test_voc_lines_converts_a_set_with_a_truncated_jpeg(broken_set, tmp_path, capsys):
    data, _ = broken_set
    code, out, err = run(["yolo", "voc-lines", data, "--classes", data / "classes.txt", "--out", tmp_path / "t.txt"],
                         capsys)
    assert code == 0 and "6 lines" in out and err == ""  # annotations are fine; images are check's business


@pytest.mark.parametrize("input_size", [None, "416"])
def test_anchors_skip_a_truncated_jpeg_by_name(broken_set, tmp_path, input_size, capsys):
    data, image = broken_set
    extra = ["--input-size", input_size] if input_size else []
    code, out, err = run(["yolo", "anchors", data / "train.txt", "--classes", data / "classes.txt", "--k", "2",
                          "--out", tmp_path / "a.txt", *extra], capsys)
    assert code == 0, err
    assert err.startswith(f"skipped {data / 'train.txt'}:2: JPEGImages/train_00001.jpg: cannot decode image")
    assert len(err.splitlines()) == 1 and "1 line(s) skipped" in out


def test_training_data_skips_a_truncated_jpeg_by_name(broken_set):
    from mlbasics.vision.yolo.train import TrainConfig, load_training_data

    data, image = broken_set
    anchors = data / "anchors.txt"
    anchors.write_text("5,5, 10,10, 15,15, 20,20, 30,30, 40,40\n")
    config = TrainConfig(annotations=str(data / "train.txt"), classes=str(data / "classes.txt"),
                         anchors=str(anchors), job_dir=str(data / "job"), input_size=64, epochs_frozen=0)
    train_set, val_set, skipped = load_training_data(config, config.spec())
    assert len(train_set.images) == 5 and val_set is None
    assert len(skipped) == 1 and skipped[0].startswith(f"{image}: cannot decode image")


def test_evaluate_skips_a_truncated_jpeg_by_name(broken_set, detector, capsys):
    data, image = broken_set
    code, out, err = run(["yolo", "evaluate", data / "train.txt", "--weights", detector], capsys)
    assert code == 0
    assert err.startswith(f"skipped {image}: cannot decode image") and len(err.splitlines()) == 1
    result = json.loads(out)
    assert result["images"] == 5 and result["skipped_lines"][0].startswith(str(image))


def test_evaluate_with_no_readable_image_fails(broken_set, detector, tmp_path, capsys):
    data, image = broken_set
    only = tmp_path / "only.txt"
    only.write_text(f"{image} 1,1,9,9,0\n")
    code, out, err = run(["yolo", "evaluate", only, "--weights", detector], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo evaluate", str(image), "no usable image", "truncated")


def test_one_helper_reports_and_skips():
    def work(item: int) -> int:
        if item % 2:
            raise DataFileError(f"f{item}.jpg", "broken", line=item)
        return item * 10

    skipped: list[DataFileError] = []
    assert list(each_usable(range(4), work, skipped)) == [(0, 0), (2, 20)]
    assert [str(e) for e in skipped] == ["f1.jpg:1: broken", "f3.jpg:3: broken"]
    with pytest.raises(DataFileError, match="f1.jpg:1: broken"):
        list(each_usable(range(4), work, None))  # all or nothing
    with pytest.raises(ZeroDivisionError):  # a bug is not a bad file
        list(each_usable([0], lambda item: 1 // item, skipped))
    require_usable(2, skipped, where="in.txt", what="image")
    with pytest.raises(DataFileError, match=r"^f1.jpg:1: no usable image: all 2 skipped, the first because: broken$"):
        require_usable(0, skipped, where="in.txt", what="image")
    with pytest.raises(DataFileError, match="^in.txt: no image in it"):
        require_usable(0, [], where="in.txt", what="image")


# --- 4. text files with a byte order mark; FIFOs and folders refused, not opened --------------------------


def test_anchors_and_config_files_with_a_byte_order_mark(detector, tmp_path):
    from mlbasics.vision.yolo.anchors import read_anchors
    from mlbasics.vision.yolo.spec import YoloSpec

    (tmp_path / "anchors.txt").write_bytes(b"\xef\xbb\xbf5,6,  7,8\r\n")
    np.testing.assert_array_equal(read_anchors(tmp_path / "anchors.txt"), [[5, 6], [7, 8]])
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(DataFileError, match="folder.txt: is a folder"):
        read_anchors(tmp_path / "folder.txt")
    config = detector.with_name("final.config.json").read_bytes()
    (tmp_path / "bom.config.json").write_bytes(b"\xef\xbb\xbf" + config.replace(b"\n", b"\r\n"))
    assert YoloSpec.read(tmp_path / "bom.config.json") == YoloSpec.read(detector.with_name("final.config.json"))
    (tmp_path / "latin.config.json").write_bytes(config.replace(b'"circle"', b'"c\xe9rcle"'))
    with pytest.raises(DataFileError, match="latin.config.json:.*not UTF-8 text: byte 0xe9"):
        YoloSpec.read(tmp_path / "latin.config.json")


def test_storage_reads_text_like_read_text_and_refuses_fifos(tmp_path):
    from mlbasics.io import storage

    (tmp_path / "classes.txt").write_bytes(b"\xef\xbb\xbfcat\r\ndog\r\n")
    assert storage.gs_read_text(tmp_path / "classes.txt") == "cat\ndog\n"
    (tmp_path / "utf16.txt").write_bytes("cat".encode("utf-16"))
    with pytest.raises(DataFileError, match="utf16.txt: is UTF-16 text"):
        storage.gs_read_text(tmp_path / "utf16.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(DataFileError, match="pipe.txt: not a regular file \\(a FIFO\\)"):
        storage.gs_read_text(tmp_path / "pipe.txt")  # would block forever if opened
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(DataFileError, match="pipe.png: not a regular file"):
        storage.gs_open_image(tmp_path / "pipe.png")
    with pytest.raises(DataFileError, match="is a folder"):
        storage.gs_read_text(tmp_path)
    with pytest.raises(DataFileError, match="none.txt: no such file"):
        storage.gs_read_text(tmp_path / "none.txt")
    result = storage.gs_read_many([str(tmp_path / "pipe.txt"), str(tmp_path / "classes.txt")])
    assert isinstance(result[str(tmp_path / "pipe.txt")], DataFileError)
    assert result[str(tmp_path / "classes.txt")].startswith(b"\xef\xbb\xbf")


def test_voc_ids_files_with_a_byte_order_mark(data, tmp_path):
    from mlbasics.cloud.voc import read_classes_anywhere, upload_voc, voc_to_lines_anywhere
    from mlbasics.data.annotation_lines import voc_to_lines

    ids = data / "ImageSets" / "Main" / "test.txt"
    ids.write_bytes(b"\xef\xbb\xbf" + ids.read_bytes().replace(b"\n", b"\r\n"))
    classes = read_classes_anywhere(data / "classes.txt")
    assert voc_to_lines_anywhere(str(data), "test", classes) == voc_to_lines(data, "test", classes)
    assert upload_voc(data, "test", str(tmp_path / "copy")) == ["test_00000", "test_00001"]
    os.mkfifo(data / "ImageSets" / "Main" / "fifo.txt")
    with pytest.raises(DataFileError, match="fifo.txt: not a regular file"):
        upload_voc(data, "fifo", str(tmp_path / "copy2"))


def test_image_problems_are_named_as_what_they_are(data, tmp_path):
    from mlbasics.data.annotation_lines import validate_lines

    os.mkfifo(data / "JPEGImages" / "fifo.jpg")
    (data / "JPEGImages" / "folder.jpg").mkdir()
    (data / "JPEGImages" / "text.jpg").write_text("hello")
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f"{data / 'JPEGImages' / name} 1,1,5,5,0\n"
                             for name in ("fifo.jpg", "folder.jpg", "text.jpg", "missing.jpg")))
    report = validate_lines(lines, 4)
    assert [p.reason.split(": ", 1)[1] for p in report.problems] == [
        "not a regular file (a FIFO)", "is a folder, expected a file",
        "not an image file (Pillow cannot identify its format)", "image file not found"]


# --- 5. numbers: the option is blamed, not the files --------------------------------------------------------


@pytest.mark.parametrize("option, value", [("--input-size", "-5"), ("--input-size", "0"), ("--k", "0"),
                                           ("--k", "two")])
def test_anchors_numbers_blame_the_option(option, value, data, tmp_path, capsys):
    code, out, err = run(["yolo", "anchors", data / "train.txt", "--classes", data / "classes.txt",
                          "--out", tmp_path / "a.txt", option, value], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo anchors", f"argument {option}:", repr(value))
    assert "train.txt" not in err and not (tmp_path / "a.txt").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "2.5"])
def test_export_check_blames_the_option(value, detector, tmp_path, capsys):
    code, out, err = run(["export", detector, "--check", value, "--out", tmp_path / "o"], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "export", "argument --check:", repr(value))
    assert not (tmp_path / "o").exists()
