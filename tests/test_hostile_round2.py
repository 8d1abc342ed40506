"""Hostile input, round two (issue #23): the commands added since round one, held to the same rule.

Every bad input or fault is one line naming the file, line, field or flag, never a traceback; the
rest of a batch goes on; nothing is read outside the folders the user named; no output replaces or
mixes with an input, however its path is spelled. Each case runs the real command on real files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.data.voc_xml import voc_objects, write_voc
from tests.hostile_files import assert_one_error, run, untrained_detector

CLASSES = ["cat", "dog"]


def jpeg(path: Path, size=(64, 48), seed: int = 0) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def yolo_set(root: Path, names=("a.jpg", "b.jpg", "c.jpg"), yaml: str | None = None) -> Path:
    """An Ultralytics folder ``root`` (images/train + labels/train + data.yaml) with one box per photo."""
    for seed, name in enumerate(names):
        jpeg(root / "images" / "train" / name, seed=seed)
        label = root / "labels" / "train" / Path(name).with_suffix(".txt")
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("0 0.5 0.5 0.25 0.25\n")
    (root / "data.yaml").write_text(yaml or "train: images/train\nnames: [cat, dog]\n")
    return root


def voc_set(root: Path, stems=("p0", "p1", "p2")) -> Path:
    """A VOC folder ``root`` (Annotations, JPEGImages, ImageSets/Main/train.txt) and classes.txt beside it."""
    for seed, stem in enumerate(stems):
        jpeg(root / "JPEGImages" / f"{stem}.jpg", seed=seed)
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        write_voc(root / "Annotations" / f"{stem}.xml", f"{stem}.jpg", (64, 48, 3),
                  voc_objects(np.array([[4, 4, 16 + 5 * seed, 14 + 3 * seed, seed % 2]], float), CLASSES))
    (root / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "Main" / "train.txt").write_text("".join(f"{s}\n" for s in stems))
    (root / "classes.txt").write_text("cat\ndog\n")
    return root


def set_xml_field(xml: Path, tag: str, value: str) -> None:
    text = xml.read_text()
    start, end = text.index(f"<{tag}>") + len(tag) + 2, text.index(f"</{tag}>")
    xml.write_text(text[:start] + value + text[end:])


# --- 1. reading outside the folders the user named ----------------------------------------------------------


@pytest.mark.parametrize("entry", ["../outside/images", "{outside}/images", "images/../../outside/images"],
                         ids=["dotdot", "absolute", "dotdot-inside"])
def test_convert_refuses_a_yaml_split_that_leads_out_of_the_dataset(entry, tmp_path, capsys):
    outside = yolo_set(tmp_path / "outside", names=("secret.jpg",))
    root = yolo_set(tmp_path / "set")
    text = f"train: {entry.format(outside=outside)}\nnames: [cat, dog]\n"
    (root / "data.yaml").write_text(text)
    code, out, err = run(["yolo", "convert", root / "data.yaml", "--from", "yolo", "--to", "yolo",
                          "--out", tmp_path / "o"], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo convert", str(root / "data.yaml"), "train:", "leads out of the dataset folder")
    assert not (tmp_path / "o").exists()


def test_convert_skips_list_file_lines_that_lead_out_and_keeps_the_rest(tmp_path, capsys):
    outside = jpeg(tmp_path / "secret.jpg")
    root = yolo_set(tmp_path / "set")
    (root / "train.list").write_text(f"images/train/a.jpg\n../secret.jpg\n{outside}\n./images/train/b.jpg\n")
    (root / "data.yaml").write_text("train: train.list\nnames: [cat, dog]\n")
    code, out, err = run(["yolo", "convert", root / "data.yaml", "--from", "yolo", "--to", "yolo",
                          "--out", tmp_path / "o"], capsys)
    assert code == 0 and "Traceback" not in err
    assert f"skipped {root / 'train.list'}:2: image path: '../secret.jpg' leads out" in err
    assert f"skipped {root / 'train.list'}:3: image path: {str(outside)!r} leads out" in err
    assert sorted(p.name for p in (tmp_path / "o" / "images" / "train").iterdir()) == ["a.jpg", "b.jpg"]


def test_convert_follows_path_in_the_yaml_and_says_where_it_reads(tmp_path, capsys):
    data = yolo_set(tmp_path / "datasets" / "x")
    (data / "data.yaml").unlink()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "x.yaml").write_text("path: ../datasets/x\ntrain: images/train\nnames: [cat, dog]\n")
    code, out, err = run(["yolo", "convert", tmp_path / "cfg" / "x.yaml", "--from", "yolo", "--to", "lines",
                          "--out", tmp_path / "o" / "train.txt"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"reading the dataset in {data.resolve()} (the 'path:' of its data.yaml)"
    assert "3 image(s)" in out.splitlines()[1]


@pytest.mark.parametrize("command", ["convert", "voc-lines"])
@pytest.mark.parametrize("field", ["filename", "id"])
def test_voc_records_that_lead_out_are_refused_by_name(command, field, tmp_path, capsys):
    root = voc_set(tmp_path / "voc")
    jpeg(tmp_path / "secret.jpg")
    ids = root / "ImageSets" / "Main" / "train.txt"
    if field == "filename":
        set_xml_field(root / "Annotations" / "p1.xml", "filename", "../../secret.jpg")
        expected = f"{root / 'Annotations' / 'p1.xml'}: <filename> '../../secret.jpg' leads out of the folder"
    else:
        shutil.copy(root / "Annotations" / "p1.xml", tmp_path / "evil.xml")
        ids.write_text("p0\n../../evil\np2\n/etc/passwd\n")
        expected = f"{ids}:2: image id '../../evil' leads out of the folder"
    args = {"convert": ["yolo", "convert", root, "--from", "voc", "--classes", root / "classes.txt", "--to", "lines",
                        "--out", tmp_path / "o" / "train.txt"],
            "voc-lines": ["yolo", "voc-lines", root, "--classes", root / "classes.txt", "--out",
                          tmp_path / "o" / "train.txt"]}[command]
    code, out, err = run(args, capsys)
    assert code == 0 and "Traceback" not in err
    assert any(line.startswith(f"skipped {expected}") for line in err.splitlines()), err
    if field == "id":
        assert f"skipped {ids}:4: image id '/etc/passwd' is an absolute path, expected a name inside the folder" in err
    lines = (tmp_path / "o" / "train.txt").read_text()
    assert "secret" not in lines and "evil" not in lines and len(lines.splitlines()) == 2


def test_fit_reads_no_photo_a_filename_leads_to(tmp_path):
    from mlbasics.data.voc_folder import read_voc_folder

    root = voc_set(tmp_path / "voc")
    set_xml_field(root / "Annotations" / "p1.xml", "filename", "../../secret.jpg")
    folder = read_voc_folder(root, CLASSES)
    assert [r.stem for r in folder.records] == ["p0", "p2"]
    assert [str(e) for e in folder.skipped] == [
        f"{root / 'Annotations' / 'p1.xml'}: <filename> '../../secret.jpg' leads out of the folder ('..'), "
        "expected a name inside it"]


# --- 2. an output onto an input ----------------------------------------------------------------------------


def _spellings(folder: Path, tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "link").symlink_to(folder)
    return {"same": folder, "dotdot": folder / ".." / folder.name, "link": tmp_path / "link",
            "parent": folder.parent}


@pytest.mark.parametrize("spelling", ["same", "dotdot", "link", "parent"])
def test_convert_to_yolo_onto_its_source_is_refused(spelling, tmp_path, capsys):
    root = yolo_set(tmp_path / "d" / "set")
    before = (root / "data.yaml").read_bytes()
    out = _spellings(root, tmp_path)[spelling]
    code, stdout, err = run(["yolo", "convert", root, "--from", "yolo", "--to", "yolo", "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert_one_error(err, "yolo convert", "--out", str(out), "input folder")
    assert (root / "data.yaml").read_bytes() == before
    assert sorted(p.name for p in root.iterdir()) == ["data.yaml", "images", "labels"]


@pytest.mark.parametrize("spelling", ["same", "dotdot", "link"])
def test_convert_to_coco_or_lines_onto_its_source_file_is_refused(spelling, tmp_path, capsys):
    root = yolo_set(tmp_path / "set")
    for target, name in (("coco", "coco.json"), ("lines", "lines.txt")):
        assert run(["yolo", "convert", root, "--from", "yolo", "--to", target, "--out", root / name], capsys)[0] == 0
    for source, source_format, target in ((root / "coco.json", "coco", "coco"), (root / "lines.txt", "lines", "lines"),
                                          (root / "data.yaml", "yolo", "coco")):
        before = source.read_bytes()
        out = {"same": source, "dotdot": source.parent / ".." / root.name / source.name,
               "link": tmp_path / f"link-{source.name}"}[spelling]
        if spelling == "link":
            out.symlink_to(source)
        code, stdout, err = run(["yolo", "convert", source, "--from", source_format, "--classes", root / "classes.txt",
                                 "--to", target, "--out", out], capsys)
        assert code == 2 and stdout == "", (source, err)
        assert_one_error(err, "yolo convert", f"output {out} would overwrite the input")
        assert source.read_bytes() == before


@pytest.mark.parametrize("spelling", ["same", "dotdot", "link", "parent"])
def test_detect_out_onto_the_photos_folder_or_above_is_refused(spelling, detector, tmp_path, capsys):
    photos = tmp_path / "d" / "photos"
    photo = jpeg(photos / "x.jpg")
    jpeg(tmp_path / "d" / "x.jpg", seed=5)  # a photo of the user's where the output would go
    before = {p: p.read_bytes() for p in (photo, tmp_path / "d" / "x.jpg")}
    out = _spellings(photos, tmp_path)[spelling]
    code, stdout, err = run(["yolo", "detect", photo, "--weights", detector, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert "Traceback" not in err and err.count("\n") == 1 and str(out) in err, err
    assert all(p.read_bytes() == data for p, data in before.items())
    assert not (out / "detections.json").exists()


@pytest.mark.parametrize("spelling", ["same", "dotdot", "link", "parent", "inside"])
def test_fit_out_onto_or_among_the_photos_is_refused_before_any_work(spelling, tmp_path, capsys):
    root = voc_set(tmp_path / "d" / "voc")
    listing = sorted(str(p) for p in tmp_path.rglob("*"))
    out = {**_spellings(root, tmp_path), "inside": root / "JPEGImages"}[spelling]
    listing = sorted(str(p) for p in tmp_path.rglob("*"))
    code, stdout, err = run(["yolo", "fit", root, "--out", out, "--epochs", "1"], capsys)
    assert code == 2 and stdout == ""
    assert_one_error(err, "yolo fit", "--out", str(out), "input folder")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == listing  # nothing written


# --- 3. one bad item does not sink the batch ---------------------------------------------------------------


def test_fit_names_and_skips_a_fifo_an_overflowing_box_and_a_non_utf8_name(tmp_path):
    from mlbasics.data.voc_folder import read_voc_folder

    root = voc_set(tmp_path / "voc", stems=("p0", "p1", "p2", "p3"))
    os.mkfifo(root / "Annotations" / "fifo.xml")  # reading it would block forever
    (root / "Annotations" / "folder.xml").mkdir()
    set_xml_field(root / "Annotations" / "p1.xml", "xmax", "1e999")
    latin = os.fsdecode(b"caf\xe9")
    os.rename(root / "Annotations" / "p2.xml", root / "Annotations" / f"{latin}.xml")
    os.rename(root / "JPEGImages" / "p2.jpg", root / "JPEGImages" / f"{latin}.jpg")
    set_xml_field(root / "Annotations" / f"{latin}.xml", "filename", "")
    folder = read_voc_folder(root, CLASSES)
    assert [r.stem for r in folder.records] == ["p0", "p3"]
    reasons = {Path(e.path).name: e.reason for e in folder.skipped}
    assert reasons["fifo.xml"] == "not a regular file (a FIFO)"
    assert reasons["folder.xml"] == "is a folder, expected a file"
    assert reasons["p1.xml"].startswith("<xmax> is '1e999', not a pixel coordinate")
    assert reasons["caf\\xe9.xml"].startswith("the file name is not valid UTF-8")


def test_yolo_fit_trains_on_the_good_photos_and_names_the_hazards(tmp_path, capsys):
    root = voc_set(tmp_path / "voc", stems=tuple(f"p{i}" for i in range(8)))
    shutil.rmtree(root / "ImageSets")
    os.mkfifo(root / "Annotations" / "fifo.xml")
    set_xml_field(root / "Annotations" / "p1.xml", "ymin", "1e999")
    latin = os.fsdecode(b"\xff\xfe")
    os.rename(root / "JPEGImages" / "p2.jpg", root / "JPEGImages" / f"{latin}.jpg")
    set_xml_field(root / "Annotations" / "p2.xml", "filename", "")
    os.rename(root / "Annotations" / "p2.xml", root / "Annotations" / f"{latin}.xml")
    code, out, err = run(["yolo", "fit", root, "--out", tmp_path / "out", "--epochs", "1", "--input-size", "64",
                          "--from-scratch", "--width", "0.125", "--val-fraction", "0.3"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert any("fifo.xml: not a regular file (a FIFO)" in line for line in skipped), err
    assert any("p1.xml: <ymin> is '1e999'" in line for line in skipped), err
    assert any("\\xff\\xfe.xml: the file name is not valid UTF-8" in line for line in skipped), err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["train_images"] + report["val_images"] == 6  # 8 photos, 2 skipped


def test_convert_names_overflowing_numbers_and_goes_on(tmp_path, capsys):
    root = yolo_set(tmp_path / "set")
    assert run(["yolo", "convert", root, "--from", "yolo", "--to", "coco", "--out", root / "coco.json"], capsys)[0] == 0
    coco = json.loads((root / "coco.json").read_text())
    coco["images"][0]["width"] = 1e999  # written as Infinity; a hand-edited 1e999 reads the same
    coco["annotations"][1]["bbox"][0] = "HUGE"
    text = json.dumps(coco).replace("Infinity", "1e999").replace('"HUGE"', "1" + "0" * 400)
    (root / "coco.json").write_text(text)
    code, out, err = run(["yolo", "convert", root / "coco.json", "--from", "coco", "--to", "lines",
                          "--out", tmp_path / "o.txt"], capsys)
    assert code == 0 and out.startswith("1 image(s)") and "(2 skipped)" in out, (out, err)
    assert err.splitlines() == [
        f"skipped {root / 'coco.json'}: images[0] (id 1, images/train/a.jpg): width/height must be numbers > 0 "
        "(and at most 1,000,000 pixels), got infx48",
        f"skipped {root / 'coco.json'}: annotations[1] (id 2).bbox: numbers too large to be pixels"]
    # VOC: a coordinate of 1e999
    voc = voc_set(tmp_path / "voc")
    set_xml_field(voc / "Annotations" / "p0.xml", "xmin", "1e999")
    code, out, err = run(["yolo", "convert", voc, "--from", "voc", "--classes", voc / "classes.txt", "--to", "coco",
                          "--out", tmp_path / "v.json"], capsys)
    assert code == 0 and err.splitlines() == [
        f"skipped {voc / 'Annotations' / 'p0.xml'}: <xmin> is '1e999', not a pixel coordinate (a finite number "
        "within +-1,000,000)"]
    assert "2 image(s)" in out


def test_convert_to_lines_names_a_photo_whose_name_is_not_utf8(tmp_path, capsys):
    latin = os.fsdecode(b"caf\xe9.jpg")
    root = yolo_set(tmp_path / "set", names=("a.jpg", latin, "c.jpg"))
    code, out, err = run(["yolo", "convert", root, "--from", "yolo", "--to", "lines", "--out", tmp_path / "o.txt"],
                         capsys)
    assert code == 0 and "Traceback" not in err
    assert err.splitlines() == [f"skipped {root / 'images' / 'train'}/caf\\xe9.jpg: the file name is not valid UTF-8 "
                                "and cannot be written into a UTF-8 text file: rename it"]
    assert out.startswith("2 image(s)") and len((tmp_path / "o.txt").read_text().splitlines()) == 2


# --- 4. numbers and sizes at the edges ----------------------------------------------------------------------


NUMBERS = [
    (["yolo", "fit", "{voc}", "--out", "{out}", "--input-size", "1073741824"], "yolo fit", "--input-size"),
    (["yolo", "fit", "{voc}", "--out", "{out}", "--width", "1e5"], "yolo fit", "--width"),
    (["yolo", "fit", "{voc}", "--out", "{out}", "--seed", str(2**64)], "yolo fit", "--seed"),
    (["yolo", "fit", "{voc}", "--out", "{out}", "--seed", "2**64"], "yolo fit", "--seed"),
    (["yolo", "fit", "{voc}", "--out", "{out}", "--epochs", "10000000"], "yolo fit", "--epochs"),
    (["yolo", "train", "--annotations", "{lines}", "--classes", "{classes}", "--anchors", "{lines}",
      "--job-dir", "{out}", "--batch-size", "1000000000"], "yolo train", "--batch-size"),
    (["yolo", "train", "--annotations", "{lines}", "--classes", "{classes}", "--anchors", "{lines}",
      "--job-dir", "{out}", "--learning-rate", "1e300"], "yolo train", "--learning-rate"),
    (["yolo", "make-data", "--out", "{out}", "--image-size", "100000"], "yolo make-data", "--image-size"),
    (["yolo", "make-data", "--out", "{out}", "--train", "1000000000"], "yolo make-data", "--train"),
    (["yolo", "anchors", "{lines}", "--classes", "{classes}", "--k", "100000", "--out", "{out}"], "yolo anchors",
     "--k"),
    (["faces", "identify", "{voc}", "{lines}", "--out", "{out}", "--shards", str(10**12)], "faces identify",
     "--shards"),
    (["embed", "{voc}", "--out", "{out}", "--model", "MobileNetV3Small", "--shards", str(10**12)], "embed",
     "--shards"),
    (["embed", "{voc}", "--out", "{out}", "--model", "MobileNetV3Small", "--image-size", "1073741824"], "embed",
     "--image-size"),
    (["export", "{lines}", "--check", "1000000000", "--out", "{out}"], "export", "--check"),
    (["cluster", "start", "--workers", "100000"], "cluster start", "--workers"),
]


@pytest.mark.parametrize(("args", "prog", "flag"), NUMBERS, ids=[f"{p}{f}" for _, p, f in NUMBERS])
def test_numbers_that_cannot_be_run_are_refused_naming_the_flag(args, prog, flag, tmp_path, capsys):
    voc = voc_set(tmp_path / "voc")
    (tmp_path / "lines.txt").write_text("x.jpg 1,1,5,5,0\n")
    values = {"voc": voc, "out": tmp_path / "out", "lines": tmp_path / "lines.txt", "classes": voc / "classes.txt"}
    code, out, err = run([a.format(**values) for a in args], capsys)
    assert code == 2 and out == ""
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert f"argument {flag}: must be" in err and "got " in err
    assert not (tmp_path / "out").exists()


def test_an_upper_bound_says_why():
    from mlbasics.core import limits
    from mlbasics.core.errors import InputError

    assert limits.SEED.problem(2**64) == ("must be an integer in 0..4,294,967,295 (NumPy's and TensorFlow's "
                                          f"random seeds are 32-bit), got {2**64}")
    assert limits.WIDTH.problem(0) == "must be a number in (0, 4], got 0"
    assert limits.WIDTH.problem(float("nan")) and limits.EPOCHS.problem(True) and limits.EPOCHS.problem(2.5)
    assert limits.INPUT_SIZE.check("input_size", 416) == 416
    with pytest.raises(InputError, match="^input_size must be a multiple of 32 in 32..2,048 "):
        limits.INPUT_SIZE.check("input_size", 2**30)


def test_deeply_nested_files_are_one_line_naming_the_file(tmp_path, capsys):
    root = yolo_set(tmp_path / "set")
    (root / "data.yaml").write_text("train: images/train\nnames: " + "[" * 50_000 + "]" * 50_000 + "\n")
    code, out, err = run(["yolo", "convert", root / "data.yaml", "--from", "yolo", "--to", "lines",
                          "--out", tmp_path / "o.txt"], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo convert", str(root / "data.yaml"), "nested too deeply")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for args in (["yolo", "convert", tmp_path / "deep.json", "--from", "coco", "--to", "lines", "--out",
                  tmp_path / "o.txt"],
                 ["yolo", "fit", voc_set(tmp_path / "voc"), "--out", tmp_path / "fit", "--split",
                  tmp_path / "deep.json"]):
        code, out, err = run(args, capsys)
        assert code == 2 and out == ""
        assert_one_error(err, " ".join(args[:2]), str(tmp_path / "deep.json"), "nested too deeply")


def test_the_json_and_yaml_readers_name_the_file(tmp_path):
    from mlbasics.data.yolo_txt import read_data_yaml
    from mlbasics.io.text import parse_json
    from mlbasics.vision.yolo.spec import YoloSpec

    (tmp_path / "x.config.json").write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)
    with pytest.raises(DataFileError, match="x.config.json: nested too deeply"):
        YoloSpec.read(tmp_path / "x.config.json")
    with pytest.raises(DataFileError, match="big.json: not usable JSON"):
        parse_json("1" * 5000, "big.json")
    (tmp_path / "d.yaml").write_text("a: " + "{b: " * 60_000 + "1" + "}" * 60_000 + "\n")
    with pytest.raises(DataFileError, match="d.yaml: nested too deeply"):
        read_data_yaml(tmp_path / "d.yaml")


# --- fixtures ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> Path:
    """An untrained tiny detector's ``final.weights.h5`` (input 64, width 0.125) with its config beside it."""
    return untrained_detector(tmp_path_factory.mktemp("detector"), CLASSES)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained 32x32 backbone embedder saved as .keras (as tests/pipelines uses)."""
    from mlbasics.vision.cnn import build_backbone_classifier, embedding_model, save_keras

    return save_keras(embedding_model(build_backbone_classifier(32, 4, width=1 / 64)),
                      tmp_path_factory.mktemp("model") / "tiny.keras")


@pytest.fixture
def crops(tmp_path) -> Path:
    from mlbasics.data.synthetic import write_object_crops

    write_object_crops(tmp_path / "src", 4, size=24, seed=7)
    return tmp_path / "src"


# --- 3 (continued). links that loop and folders named like photos: embed, faces ---------------------------------


def test_embed_names_a_link_loop_and_a_folder_named_like_a_photo(tiny_model, crops, tmp_path, capsys):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    (crops / "loop.jpg").symlink_to(crops / "loop.jpg")
    (crops / "x.jpg").mkdir()
    jpeg(crops / "x.jpg" / "inside.jpg", size=(24, 24))  # a folder's content is still searched
    (crops / "a.png").symlink_to(crops / "b.png")
    (crops / "b.png").symlink_to(crops / "a.png")
    summary = run_embedding_pipeline(crops, tmp_path / "out", tiny_model)
    assert (summary.embedded, summary.failed) == (5, 4)
    dead = (tmp_path / "out" / "dead_letter.csv").read_text(encoding="utf-8")
    assert "loop.jpg,symbolic link loop (the link leads back to itself)" in dead
    assert "x.jpg,\"is a folder, expected a file\"" in dead or "x.jpg,is a folder, expected a file" in dead
    assert "a.png,symbolic link loop" in dead and "b.png,symbolic link loop" in dead


def test_faces_listing_names_link_loops_and_folders(tmp_path):
    from mlbasics.pipelines.faces.records import list_photos_checked

    jpeg(tmp_path / "ann" / "1.jpg")
    (tmp_path / "ann" / "loop.jpg").symlink_to(tmp_path / "ann" / "loop.jpg")
    (tmp_path / "folder.jpg").mkdir()
    jpeg(tmp_path / "folder.jpg" / "2.jpg")
    photos, skipped = list_photos_checked(tmp_path)
    assert photos == ["ann/1.jpg", "folder.jpg/2.jpg"]
    assert skipped == {"ann/loop.jpg": "symbolic link loop (the link leads back to itself)",
                       "folder.jpg": "is a folder, expected a file"}


def test_a_link_loop_as_an_argument_is_one_line(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for args, prog in ((["embed", loop, "--out", tmp_path / "o", "--model", "MobileNetV3Small"], "embed"),
                       (["faces", "identify", loop, loop, "--out", tmp_path / "o"], "faces identify"),
                       (["yolo", "check", loop, "--classes", loop], "yolo check")):
        code, out, err = run(args, capsys)
        assert code == 2 and out == ""
        assert "Traceback" not in err and err.count("\n") == 1 and str(loop) in err, err
        assert err.startswith(f"mlbasics {prog}: error: "), err


# --- 5. faults: a kill -9, a full disk, an output that is a file ------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_rerun_of_fit_removes_what_a_kill_9_left(tmp_path, capsys):
    """A kill -9 during training leaves its atomic writes' temporary folders; the next run removes them."""
    root = voc_set(tmp_path / "voc", stems=tuple(f"p{i}" for i in range(6)))
    shutil.rmtree(root / "ImageSets")
    out = tmp_path / "out"
    left = [out / "job" / "checkpoints" / f".mlbasics-tmp.{_dead_pid()}.abc123",
            out / f".mlbasics-tmp.{_dead_pid()}.def456"]
    for folder in left:
        folder.mkdir(parents=True)
        (folder / "last.weights.h5").write_bytes(b"half a checkpoint")
    live = out / "job" / f".mlbasics-tmp.{os.getpid()}.live"  # a write in progress is left alone
    live.mkdir(parents=True)
    code, stdout, err = run(["yolo", "fit", root, "--out", out, "--epochs", "1", "--input-size", "64",
                             "--from-scratch", "--width", "0.125", "--val-fraction", "0.3"], capsys)
    assert code == 0, err
    assert not any(folder.exists() for folder in left) and live.exists()


def _run_cli_with_full_disk(args: list[str], suffix: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``mlbasics ARGS`` in a fresh process (its real stderr) where every atomic write of a file ending in
    ``suffix`` fails as on a full disk."""
    script = f"""
import contextlib, errno, sys
import mlbasics.io.files as files
real = files.open_synced
@contextlib.contextmanager
def failing(path, mode="wb"):
    with real(path, mode) as handle:
        if str(path).endswith({suffix!r}):
            raise OSError(errno.ENOSPC, "No space left on device")
        yield handle
files.open_synced = failing
from mlbasics.cli import main
sys.exit(main(sys.argv[1:]))
"""
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def test_a_full_disk_is_one_line_and_nothing_else(tiny_model, crops, tmp_path):
    for args, suffix, prog in (
            (["embed", crops, "--out", tmp_path / "emb", "--model", tiny_model], ".npy", "embed"),
            (["yolo", "convert", yolo_set(tmp_path / "set"), "--from", "yolo", "--to", "coco", "--out",
              tmp_path / "c.json"], ".json", "yolo convert")):
        result = _run_cli_with_full_disk(args, suffix, tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"mlbasics {prog}: error: ") and "disk full" in result.stderr
        assert "the earlier version, if any, is unchanged" in result.stderr


def test_embed_out_an_existing_file_is_one_line(tiny_model, crops, tmp_path, capsys):
    (tmp_path / "afile").write_text("keep me")
    for args, prog in ((["embed", crops, "--out", tmp_path / "afile", "--model", tiny_model], "embed"),
                       (["faces", "identify", crops, tmp_path / "afile", "--out", tmp_path / "afile"],
                        "faces identify"),
                       (["faces", "tag", crops, crops, "--out", tmp_path / "afile"], "faces tag")):
        code, out, err = run(args, capsys)
        assert code == 2 and out == ""
        assert_one_error(err, prog, "argument --out: is a file, expected a folder to write into", str(tmp_path))
    assert (tmp_path / "afile").read_text() == "keep me"


# --- 6. messages that say what to do ------------------------------------------------------------------------------


def test_dask_without_an_address_says_a_local_cluster_is_started(capsys):
    import argparse

    from mlbasics.cli.embed import check_runner_options

    check_runner_options(argparse.Namespace(runner="DaskRunner", dask_address=None))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "starting a local Dask cluster" in err and "--dask-address" in err
    check_runner_options(argparse.Namespace(runner=None, dask_address=None))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("address, reason", [("tcp://127.0.0.1:{port}", "Connection refused"),
                                             ("tcp://127.0.0.1:notaport", "must look like tcp://HOST:PORT"),
                                             ("nowhere", "must look like tcp://HOST:PORT")])
def test_a_dead_dask_address_names_it_and_what_to_do(address, reason, crops, tmp_path, capsys):
    import time

    from tests.browser.lab_server import free_port

    address = address.format(port=free_port())
    for args, prog in ((["embed", crops, "--out", tmp_path / "o", "--model", "MobileNetV3Small"], "embed"),
                       (["faces", "identify", crops, tmp_path / "state.json", "--out", tmp_path / "o"],
                        "faces identify")):
        started = time.monotonic()
        code, out, err = run([*args, "--runner", "DaskRunner", "--dask-address", address], capsys)
        assert code == 2 and out == "" and time.monotonic() - started < 10
        assert_one_error(err, prog, address, reason)
        if reason == "Connection refused":
            assert "mlbasics cluster start" in err
        assert not (tmp_path / "o").exists()


def test_the_training_config_checks_the_same_upper_bounds():
    from mlbasics.core.errors import InputError
    from mlbasics.vision.yolo.train import TrainConfig

    base = {"annotations": "a.txt", "classes": "c.txt", "anchors": "x.txt", "job_dir": "job", "epochs_frozen": 0}
    for name, value in (("input_size", 2**30), ("width", 1e5), ("seed", 2**64), ("batch_size", 10**9),
                        ("learning_rate", 1e300)):
        with pytest.raises(InputError, match=f"^{name} must be"):
            TrainConfig(**base, **{name: value})


def test_upload_voc_refuses_an_id_that_leads_out_before_copying(tmp_path):
    from mlbasics.cloud.voc import upload_voc

    root = voc_set(tmp_path / "voc")
    (root / "ImageSets" / "Main" / "train.txt").write_text("p0\n../../secret\n")
    with pytest.raises(DataFileError, match=r"train.txt:2: image id '../../secret' leads out of the folder"):
        upload_voc(root, "train", str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()


def test_lines_and_anchors_are_not_written_over_their_inputs(tmp_path, capsys):
    root = voc_set(tmp_path / "voc")
    ids = root / "ImageSets" / "Main" / "train.txt"
    before = ids.read_bytes()
    code, out, err = run(["yolo", "voc-lines", root, "--classes", root / "classes.txt", "--out",
                          root / "ImageSets" / ".." / "ImageSets" / "Main" / "train.txt"], capsys)
    assert code == 2 and out == ""
    assert_one_error(err, "yolo voc-lines", "would overwrite the input", str(ids))
    assert ids.read_bytes() == before
    lines = tmp_path / "lines.txt"
    lines.write_text(f"{root / 'JPEGImages' / 'p0.jpg'} 4,4,16,14,0\n")
    (tmp_path / "link.txt").symlink_to(lines)
    for target in (lines, tmp_path / "link.txt", root / "classes.txt"):
        code, out, err = run(["yolo", "anchors", lines, "--classes", root / "classes.txt", "--k", "1", "--out",
                              target], capsys)
        assert code == 2 and out == ""
        assert_one_error(err, "yolo anchors", "would overwrite the input")
    assert lines.read_text().startswith(str(root)) and (root / "classes.txt").read_text() == "cat\ndog\n"


def test_the_pipelines_check_the_same_upper_bounds(tmp_path):
    from mlbasics.core.errors import InputError
    from mlbasics.pipelines.embeddings import run_embedding_pipeline
    from mlbasics.pipelines.faces.identify import identify

    with pytest.raises(InputError, match=r"^shards must be an integer in 1..10,000 \(one task"):
        run_embedding_pipeline(tmp_path, tmp_path / "out", "MobileNetV3Small", shards=10**12)
    with pytest.raises(InputError, match=r"^batch_size must be an integer in 1..4,096"):
        run_embedding_pipeline(tmp_path, tmp_path / "out", "MobileNetV3Small", batch_size=2**40)
    with pytest.raises(InputError, match=r"^shards must be an integer in 1..10,000"):
        identify(tmp_path, tmp_path / "state.json", tmp_path / "out", None, shards=10**12)
    assert not (tmp_path / "out").exists()


def test_a_full_disk_during_fit_and_detect_is_one_line(detector, tmp_path):
    root = voc_set(tmp_path / "voc", stems=tuple(f"p{i}" for i in range(6)))
    photo = root / "JPEGImages" / "p0.jpg"
    for args, suffix, prog in (
            (["yolo", "fit", root, "--out", tmp_path / "fit", "--epochs", "1", "--input-size", "64",
              "--from-scratch", "--width", "0.125"], "anchors.txt", "yolo fit"),
            (["yolo", "detect", photo, "--weights", detector, "--out", tmp_path / "found"], "detections.json",
             "yolo detect")):
        result = _run_cli_with_full_disk(args, suffix, tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"mlbasics {prog}: error: ") and f"{suffix}: disk full" in result.stderr


@pytest.mark.parametrize("command", ["convert", "voc-lines"])
def test_a_fifo_or_folder_named_xml_is_skipped_by_the_voc_readers(command, tmp_path, capsys, no_hang):
    root = voc_set(tmp_path / "voc", stems=("p0", "p1", "p2"))
    (root / "Annotations" / "p1.xml").unlink()
    os.mkfifo(root / "Annotations" / "p1.xml")  # opening it would wait forever
    (root / "Annotations" / "p2.xml").unlink()
    (root / "Annotations" / "p2.xml").mkdir()
    args = {"convert": ["yolo", "convert", root, "--from", "voc", "--classes", root / "classes.txt", "--to", "lines",
                        "--out", tmp_path / "o.txt"],
            "voc-lines": ["yolo", "voc-lines", root, "--classes", root / "classes.txt", "--out",
                          tmp_path / "o.txt"]}[command]
    code, out, err = run(args, capsys)
    assert code == 0 and "Traceback" not in err
    assert err.splitlines() == [f"skipped {root / 'Annotations' / 'p1.xml'}: not a regular file (a FIFO)",
                                f"skipped {root / 'Annotations' / 'p2.xml'}: is a folder, expected a file"]
    assert len((tmp_path / "o.txt").read_text().splitlines()) == 1


def test_detect_refuses_an_output_onto_its_photos_before_reading_the_weights(tmp_path, capsys):
    photos = tmp_path / "photos"
    photo = jpeg(photos / "x.jpg")
    broken = tmp_path / "broken.weights.h5"
    broken.write_bytes(b"not an HDF5 file")  # read first, this would be the error
    code, stdout, err = run(["yolo", "detect", photo, "--weights", broken, "--out", photos], capsys)
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert "would overwrite the input" in err and "broken.weights.h5" not in err, err
