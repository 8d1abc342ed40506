"""The face finder: names, state files, train, identify (Beam), tag, per-image and DVC re-runs."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError
from mlbasics.pipelines.faces.naming import person_name
from tests.hostile_files import bomb_png
from tests.pipelines.conftest import KNOWN, STRANGER, copy_photos


def test_names_from_folders_or_file_names(tmp_path):
    assert person_name(tmp_path / "alice" / "x.jpg", tmp_path) == "alice"
    assert person_name(tmp_path / "alice3.jpg", tmp_path) == "alice"
    assert person_name(tmp_path / "bob_02.png", tmp_path) == "bob"
    with pytest.raises(DataFileError, match="only digits"):
        person_name(tmp_path / "123.jpg", tmp_path)


def test_train_uses_single_face_photos_and_reports_the_rest(trained):
    _, report = trained
    assert report.people == {name: 3 for name in KNOWN}
    assert report.skipped["nobody7.jpg"] == "no face found"
    assert "faces: cannot tell" in report.skipped["crowd.jpg"]
    assert "not an image" in report.skipped["broken1.jpg"] or "cannot decode" in report.skipped["broken1.jpg"]


def test_state_round_trip_and_refuses_tampering(trained, tmp_path):
    from mlbasics.pipelines.faces.state import load_state

    root, _ = trained
    state = load_state(root / "state.json")
    assert state.people() == KNOWN and state.descriptors.shape == (12, 128)
    raw = json.loads((root / "state.json").read_text())
    cases = {
        "changed after training": lambda r: r["faces"][0].update(name="mallory"),
        "version": lambda r: r.update(version=99),
        "other face models": lambda r: r.update(models={"dlib": "0.1"}),
    }
    for message, edit in cases.items():
        copy = json.loads(json.dumps(raw))
        edit(copy)
        if message != "changed after training":
            copy.pop("sha256")
            from mlbasics.pipelines.faces.state import _checksum

            copy["sha256"] = _checksum(copy)
        (tmp_path / "s.json").write_text(json.dumps(copy))
        with pytest.raises(DataFileError, match=message):
            load_state(tmp_path / "s.json")
    (tmp_path / "s.json").write_text("{not json")
    with pytest.raises(DataFileError, match="not valid JSON"):
        load_state(tmp_path / "s.json")


@pytest.fixture
def images(faces_root, tmp_path):
    """Held-out photos of the 4 known people, 2 of the stranger, and bad inputs."""
    folder = tmp_path / "images"
    copy_photos(faces_root / "johns", folder, KNOWN, 2, start=5)
    copy_photos(faces_root / "johns", folder, [STRANGER], 2)
    (folder / "broken.jpg").write_bytes(b"junk")
    bomb_png(folder / "bomb.png")
    return folder


def test_identify_names_known_people_and_not_the_stranger(trained, images, shared_cache, tmp_path):
    from mlbasics.pipelines.faces.identify import identify

    root, _ = trained
    out = tmp_path / "identified"
    report = identify(images, root / "state.json", out, shared_cache)
    assert report.processed == 12 and report.reused == 0
    assert set(report.failed) == {"broken.jpg", "bomb.png"} and "too large" in report.failed["bomb.png"]
    for person in KNOWN + [STRANGER]:
        for result in (json.loads(p.read_text()) for p in (out / person).glob("*.json")):
            assert result["success"] and result["facesCount"] == 1
            face = result["faces"][0]
            assert set(face) >= {"rect", "id", "name", "matched", "confidence"}
            assert set(face["rect"]) == {"top", "left", "width", "height"}
            assert face["matched"] == (person != STRANGER)
            assert face["name"] == (person if person != STRANGER else "")
    assert json.loads((out / "broken.jpg.json").read_text())["success"] is False


def test_identify_is_per_image_incremental(trained, images, shared_cache, tmp_path, faces_root):
    from mlbasics.pipelines.faces.identify import identify

    root, _ = trained
    out = tmp_path / "identified"
    identify(images, root / "state.json", out, shared_cache)
    assert identify(images, root / "state.json", out, shared_cache).processed == 0
    shutil.copy(faces_root / "johns" / KNOWN[0] / sorted((faces_root / "johns" / KNOWN[0]).iterdir())[-1].name,
                images / "one_more.jpg")
    again = identify(images, root / "state.json", out, shared_cache)
    assert (again.processed, again.reused) == (1, 12)
    (images / "one_more.jpg").unlink()
    gone = identify(images, root / "state.json", out, shared_cache)
    assert (gone.processed, gone.removed) == (0, 1) and not (out / "one_more.jpg.json").exists()
    assert identify(images, root / "state.json", out, shared_cache, threshold=0.5).processed == 12


def test_new_training_data_reanalyses_only_new_photos(trained, shared_cache, faces_root, tmp_path):
    from mlbasics.pipelines.faces.matching import facebox_result
    from mlbasics.pipelines.faces.state import load_state
    from mlbasics.pipelines.faces.train import train

    root, _ = trained
    folder = tmp_path / "train"
    shutil.copytree(root / "train", folder)
    copy_photos(faces_root / "johns", folder, [STRANGER], 3, start=5)
    report = train(folder, tmp_path / "state.json", shared_cache)
    assert report.analysed == 3 and report.people[STRANGER] == 3
    from mlbasics.pipelines.faces.analysis import analyse_file

    _, faces, _ = analyse_file(sorted((faces_root / "johns" / STRANGER).glob("*.jpg"))[0], None, shared_cache)
    assert facebox_result(faces, load_state(tmp_path / "state.json"))["faces"][0]["name"] == STRANGER


def test_collage_holds_four_distinct_people(faces_root, shared_cache):
    from mlbasics.pipelines.faces.analysis import analyse_file
    from mlbasics.pipelines.faces.matching import cluster_faces

    _, faces, _ = analyse_file(faces_root / "voc_faces" / "bald_guys.jpg", None, shared_cache)
    clusters = cluster_faces(np.stack([f.descriptor for f in faces]))
    sizes = np.bincount(clusters)
    assert sorted(sizes) == [6, 6, 6, 6]


def test_tag_draws_labels_reports_problems_and_reuses(trained, images, shared_cache, tmp_path):
    from mlbasics.io.images import load_image, save_image
    from mlbasics.pipelines.faces.identify import identify
    from mlbasics.pipelines.faces.tag import tag

    root, _ = trained
    identify(images, root / "state.json", tmp_path / "ids", shared_cache)
    labels = tmp_path / "labels"
    labels.mkdir()
    save_image(np.full((20, 20, 3), (255, 0, 255), np.uint8), labels / f"{KNOWN[0]}.png")
    (labels / f"{KNOWN[1]}.jpg").write_bytes(b"broken label")
    save_image(np.zeros((8, 8, 3), np.uint8), labels / "nobody.png")
    report = tag(images, tmp_path / "ids", tmp_path / "tagged", labels_dir=labels, known_names=KNOWN)
    assert report.tagged == 10
    text = "\n".join(report.warnings)
    assert "nobody named 'nobody'" in text and f"{KNOWN[1]}.jpg" in text and f"no label image for '{KNOWN[2]}'" in text
    face = json.loads(next((tmp_path / "ids" / KNOWN[0]).glob("*.json")).read_text())["faces"][0]["rect"]
    tagged = load_image(next((tmp_path / "tagged" / KNOWN[0]).glob("*.jpg")))
    centre = tagged[face["top"] + face["height"] // 2, face["left"] + face["width"] // 2]
    assert centre[0] > 200 and centre[1] < 60 and centre[2] > 200  # the magenta label covers the face
    assert tag(images, tmp_path / "ids", tmp_path / "tagged", labels_dir=labels).reused == 10


def test_workspace_run_with_dvc_reruns_what_changed(faces_root, tmp_path):
    from mlbasics.pipelines.faces.workspace import dvc_available, run

    if not dvc_available():
        pytest.skip("dvc is not installed (pipelines extra)")
    space = tmp_path / "ws"
    copy_photos(faces_root / "johns", space / "train", KNOWN[:2], 2)
    copy_photos(faces_root / "johns", space / "images", KNOWN[:2], 1, start=6)
    first = run(space)
    assert "Running stage 'train'" in first and (space / "out" / "tagged").is_dir()
    assert "up to date" in run(space)
    shutil.copy(sorted((faces_root / "johns" / KNOWN[0]).glob("*.jpg"))[8], space / "images" / "new.jpg")
    third = run(space)
    assert "'train' didn't change" in third and '"processed": 1' in third
    assert (space / "out" / "tagged" / "new.jpg").is_file()


def test_workspace_run_in_process(faces_root, tmp_path):
    from mlbasics.pipelines.faces.workspace import run

    space = tmp_path / "ws"
    copy_photos(faces_root / "johns", space / "train", KNOWN[:2], 2)
    copy_photos(faces_root / "johns", space / "images", KNOWN[:2], 1, start=6)
    reports = run(space, use_dvc=False)
    assert reports["identify"].processed == 2 and reports["tag"].tagged == 2
    again = run(space, use_dvc=False)
    assert again["identify"].processed == 0 and again["tag"].reused == 2


def test_faces_cli_train_and_missing_state(faces_root, tmp_path, capsys):
    from mlbasics.cli import main

    copy_photos(faces_root / "johns", tmp_path / "train", KNOWN[:1], 1)
    assert main(["faces", "train", str(tmp_path / "train"), "--out", str(tmp_path / "s.json"),
                 "--cache", str(tmp_path / "c")]) == 0
    assert f'"{KNOWN[0]}": 1' in capsys.readouterr().out
    assert main(["faces", "identify", str(tmp_path / "train"), str(tmp_path / "none.json"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "run `mlbasics faces train` first" in capsys.readouterr().err


# --- hostile names, FIFOs, outputs in inputs, records that lead out ------------------------------------------


def test_identify_and_train_take_hostile_names_and_skip_fifos(trained, faces_root, shared_cache, tmp_path, no_hang):
    from mlbasics.pipelines.faces.identify import identify
    from mlbasics.pipelines.faces.records import identified_path
    from mlbasics.pipelines.faces.train import train
    from tests.pipelines.conftest import hostile_inputs

    root, _ = trained
    photo = sorted((faces_root / "johns" / KNOWN[0]).glob("*.jpg"))[6]
    names = hostile_inputs(tmp_path / "images", photo)
    out = tmp_path / "ids"
    report = identify(tmp_path / "images", root / "state.json", out, shared_cache)
    assert report.processed == 2 and report.failed == {"x.jpg": "not a regular file (a FIFO)"}
    for name in names.values():
        result = json.loads(identified_path(out, name).read_text())
        assert result["faces"][0]["name"] == KNOWN[0]
    assert all(len(os.fsencode(p.name)) <= 255 for p in out.iterdir())
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["failed"] == report.failed
    assert identify(tmp_path / "images", root / "state.json", out, shared_cache).processed == 0
    shutil.copytree(root / "train", tmp_path / "train")
    os.mkfifo(tmp_path / "train" / "x.jpg")
    assert train(tmp_path / "train", tmp_path / "s.json", shared_cache).skipped["x.jpg"] == \
        "not a regular file (a FIFO)"


def _victims(tmp_path):
    victims = [tmp_path / "victim.json", tmp_path / "elsewhere" / "v.jpg.json", tmp_path / "elsewhere" / "v.jpg"]
    for victim in victims:
        victim.parent.mkdir(parents=True, exist_ok=True)
        victim.write_text("precious")
    return victims


@pytest.mark.parametrize("key, reason", [("../victim.json", "not a plain relative path"),
                                         ("ABSOLUTE", "not a plain relative path"),
                                         ("link/v.jpg", "leads out")])
def test_identify_never_deletes_outside_its_folder(trained, shared_cache, tmp_path, key, reason):
    from mlbasics.pipelines.faces.identify import identify

    root, _ = trained
    victims = _victims(tmp_path)
    key = str(tmp_path / "victim.json")[:-len(".json")] if key == "ABSOLUTE" else key
    out = tmp_path / "ids"
    out.mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "images").mkdir()
    (out / ".records.json").write_text(json.dumps({key: {"input": "x", "deps": "y"}}))
    with pytest.raises(DataFileError, match=reason) as info:
        identify(tmp_path / "images", root / "state.json", out, shared_cache)
    assert info.value.path == str(out / ".records.json")
    assert all(v.read_text() == "precious" for v in victims)


def _identified(folder, relatives):
    """Identify results without dlib: one successful, face-less JSON per image."""
    from mlbasics.pipelines.faces.records import identified_path

    for relative in relatives:
        target = identified_path(folder, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"success": True, "facesCount": 0, "faces": []}))


def test_tag_keeps_same_names_apart_and_refuses_to_write_into_inputs(tmp_path, capsys, no_hang):
    from mlbasics.cli import main
    from mlbasics.io.images import save_image
    from mlbasics.pipelines.faces.tag import tag

    images = tmp_path / "images"
    relatives = ["a/x.jpg", "b/x.jpg", "a/x.png", "a/x.jpeg", os.fsdecode(b"a/\xff.jpg"), "a/" + "L" * 240 + ".png"]
    for i, relative in enumerate(relatives):
        (images / relative).parent.mkdir(parents=True, exist_ok=True)
        save_image(np.full((8, 8, 3), 30 * i, np.uint8), images / relative)
    os.mkfifo(images / "a" / "fifo.jpg")
    _identified(tmp_path / "ids", relatives)
    originals = {p: p.read_bytes() for p in images.rglob("*") if p.is_file()}
    report = tag(images, tmp_path / "ids", tmp_path / "tagged")
    assert report.tagged == 6 and any("fifo.jpg: not a regular file (a FIFO)" in w for w in report.warnings)
    assert len([p for p in (tmp_path / "tagged").rglob("*") if p.is_file() and p.name[0] != "."]) == 6
    for out in (images, images / "a", tmp_path / "ids"):
        assert main(["faces", "tag", str(images), str(tmp_path / "ids"), "--out", str(out)]) == 2
        assert "outputs would overwrite inputs" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in images.rglob("*") if p.is_file()} == originals


@pytest.mark.parametrize("key, reason", [("../victim.json", "not a plain relative path"),
                                         ("link/v.jpg", "leads out")])
def test_tag_never_deletes_outside_its_folder(tmp_path, key, reason):
    from mlbasics.pipelines.faces.tag import tag

    victims = _victims(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "ids").mkdir()
    out = tmp_path / "tagged"
    out.mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    (out / ".records.json").write_text(json.dumps({key: {"input": "x", "deps": "y"}}))
    with pytest.raises(DataFileError, match=reason):
        tag(tmp_path / "images", tmp_path / "ids", out)
    assert all(v.read_text() == "precious" for v in victims)


def test_identify_refuses_an_output_inside_its_images(trained, shared_cache, tmp_path):
    from mlbasics.core.errors import InputError
    from mlbasics.pipelines.faces.identify import identify

    root, _ = trained
    (tmp_path / "images").mkdir()
    with pytest.raises(InputError, match="is inside the input folder"):
        identify(tmp_path / "images", root / "state.json", tmp_path / "images" / "ids", shared_cache)
