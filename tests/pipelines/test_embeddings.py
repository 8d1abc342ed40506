"""The embedding pipeline: inputs, loading, the Keras handler, the Beam run, dead letters, re-runs."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.synthetic import SHAPE_CLASSES, write_object_crops
from mlbasics.pipelines.embeddings_io import list_images, read_and_resize, store_embedding
from mlbasics.pipelines.embeddings_map import cluster_separation, pca_2d
from tests.hostile_files import bomb_png


@pytest.fixture
def shapes(tmp_path):
    write_object_crops(tmp_path / "shapes", 12, size=40, seed=3)
    return tmp_path / "shapes"


def test_object_crop_folders_are_deterministic_balanced_and_kept(tmp_path):
    paths = write_object_crops(tmp_path / "a", 8, size=24, seed=1)
    again = write_object_crops(tmp_path / "b", 8, size=24, seed=1)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]
    assert sorted(p.parent.name for p in paths) == sorted(SHAPE_CLASSES * 2)
    stamps = [p.stat().st_mtime_ns for p in paths]
    write_object_crops(tmp_path / "a", 8, size=24, seed=1)
    assert [p.stat().st_mtime_ns for p in paths] == stamps  # nothing rewritten


def test_list_images_from_folder_glob_txt_and_csv(shapes, tmp_path):
    by_folder = list_images(shapes)
    assert len(by_folder) == 12 and {i.label for i in by_folder} == set(SHAPE_CLASSES)
    assert len(list_images(f"{shapes}/circle/*.jpg")) == 3
    (tmp_path / "list.txt").write_text("# two images\nshapes/circle/circle_0000.jpg\n\nshapes/square/square_0001.jpg\n")
    items = list_images(tmp_path / "list.txt")
    assert [i.label for i in items] == ["circle", "square"] and os.path.isfile(items[0].path)
    (tmp_path / "list.csv").write_text("path,label\nshapes/circle/circle_0000.jpg,round\n")
    assert list_images(tmp_path / "list.csv")[0].label == "round"
    assert len({i.key for i in by_folder}) == 12  # output names never collide


def test_list_images_keeps_only_what_keep_accepts_and_still_refuses_an_empty_source(shapes, tmp_path):
    is_circle = lambda path: "/circle/" in path  # noqa: E731
    everything = [i for i in list_images(shapes) if is_circle(i.path)]
    assert list_images(shapes, keep=is_circle) == everything and len(everything) == 3
    assert list_images(f"{shapes}/*/*.jpg", keep=is_circle) == everything
    (tmp_path / "list.txt").write_text("shapes/circle/circle_0000.jpg\nshapes/square/square_0001.jpg\n")
    assert [i.label for i in list_images(tmp_path / "list.txt", keep=is_circle)] == ["circle"]
    assert list_images(tmp_path / "list.txt", keep=lambda path: False) == []  # a shard with nothing of its own
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(DataFileError, match="names no images"):
        list_images(tmp_path / "empty.txt", keep=lambda path: True)


def test_lists_saved_by_windows_notepad_are_read_whole(shapes, tmp_path):
    # a byte order mark and CRLF line ends: the first entry and the CSV's header must survive
    lines = b"\xef\xbb\xbfshapes/circle/circle_0000.jpg\r\nshapes/square/square_0001.jpg\r\n"
    (tmp_path / "list.txt").write_bytes(lines)
    assert [i.label for i in list_images(tmp_path / "list.txt")] == ["circle", "square"]
    (tmp_path / "list.csv").write_bytes(b"\xef\xbb\xbfpath,label\r\nshapes/circle/circle_0000.jpg,round\r\n")
    assert [i.label for i in list_images(tmp_path / "list.csv")] == ["round"]
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9.jpg\n")
    with pytest.raises(DataFileError, match=r"latin1\.txt:1: not UTF-8 text: byte 0xe9"):
        list_images(tmp_path / "latin1.txt")


@pytest.mark.parametrize("content, match", [("file,label\na.jpg,x\n", "'path' column"),
                                            ("path\n\n", "names no images"),
                                            ("path,label\n,x\n", "empty 'path'")])
def test_bad_csv_lists_name_the_problem(tmp_path, content, match):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(DataFileError, match=match):
        list_images(tmp_path / "bad.csv")


def test_unknown_source_and_empty_glob(tmp_path):
    with pytest.raises(DataFileError, match="not a folder"):
        list_images(tmp_path / "nothing.bin")
    with pytest.raises(DataFileError, match="matches no files"):
        list_images(f"{tmp_path}/*.jpg")


def test_read_and_resize_and_bad_images(shapes, tmp_path):
    assert read_and_resize(str(shapes / "circle" / "circle_0000.jpg"), (32, 16)).shape == (32, 16, 3)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes((shapes / "circle" / "circle_0000.jpg").read_bytes()[:200])
    for bad, reason in [(tmp_path / "missing.jpg", "cannot read"), (truncated, "cannot decode"),
                        (bomb_png(tmp_path / "bomb.png"), "too large|more than the limit")]:
        with pytest.raises(DataFileError, match=reason) as info:
            read_and_resize(str(bad), (32, 32))
        assert info.value.path == str(bad)


def test_store_is_atomic_and_skips_identical_bytes(tmp_path):
    path = store_embedding(str(tmp_path), "a", np.arange(3, dtype=np.float32))
    before = os.stat(path).st_mtime_ns
    store_embedding(str(tmp_path), "a", np.arange(3, dtype=np.float32))
    assert os.stat(path).st_mtime_ns == before
    assert np.load(path, allow_pickle=False).tolist() == [0, 1, 2]
    assert sorted(os.listdir(tmp_path / "embeddings")) == ["a.npy"]  # no temporary files left


def test_pca_finds_the_main_direction_and_separation():
    rng = np.random.default_rng(0)
    x = np.outer(np.r_[-np.ones(20), np.ones(20)], [3.0, 0, 0, 0]) + rng.normal(0, 0.1, (40, 4))
    points, explained = pca_2d(x)
    assert points.shape == (40, 2) and explained[0] > 0.95
    assert cluster_separation(points, ["a"] * 20 + ["b"] * 20) > 10
    with pytest.raises(InputError, match="embeddings"):
        pca_2d(np.ones((1, 4)))


def test_handler_loads_keras_files_in_safe_mode(tiny_model, tmp_path):
    import keras

    from mlbasics.pipelines.keras_handler import KerasModelHandler, load_embedder

    handler = KerasModelHandler(str(tiny_model), stacks_per_call=2)
    stacks = [np.zeros((3, 32, 32, 3), np.uint8), np.full((2, 32, 32, 3), 200, np.uint8)]
    results = list(handler.run_inference(stacks, handler.load_model()))
    assert [r.inference.shape for r in results] == [(3, 16), (2, 16)]  # one embedding per image, per stack
    alone = handler.run_inference(stacks[1:], handler.load_model())[0].inference
    np.testing.assert_allclose(alone, results[1].inference, rtol=1e-4, atol=1e-5)
    assert handler.batch_elements_kwargs() == {"min_batch_size": 1, "max_batch_size": 2}
    unsafe = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    unsafe.save(tmp_path / "lambda.keras")
    with pytest.raises(DataFileError, match=r"lambda\.keras: refused by safe mode"):
        load_embedder(tmp_path / "lambda.keras")
    with pytest.raises(InputError, match=r"\.keras file or one of"):
        load_embedder("model.h5")


def test_pipeline_embeds_reports_dead_letters_and_reruns_idempotently(tiny_model, shapes, tmp_path):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    (shapes / "square" / "notes.png").write_text("not an image")
    (shapes / "square" / "cut.jpg").write_bytes((shapes / "circle" / "circle_0000.jpg").read_bytes()[:300])
    out = tmp_path / "out"
    summary = run_embedding_pipeline(shapes, out, tiny_model, batch_size=4)
    assert (summary.embedded, summary.failed) == (12, 2)
    with open(out / "dead_letter.csv") as handle:
        dead = {os.path.basename(row["path"]): row["reason"] for row in csv.DictReader(handle)}
    assert dead.keys() == {"notes.png", "cut.jpg"} and "not an image" in dead["notes.png"]
    with open(out / "index.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and np.load(out / "embeddings" / rows[0]["embedding"]).shape == (16,)
    assert (out / "embedding_map.png").read_bytes()[:4] == b"\x89PNG"
    # every image on the 2-D map, projected per shard with the PCA of the sample (here: all 12 images)
    with open(out / "map.csv") as handle:
        mapped = list(csv.DictReader(handle))
    assert [r["path"] for r in mapped] == [r["path"] for r in rows]
    expected, _ = pca_2d(np.stack([np.load(out / "embeddings" / r["embedding"]) for r in rows]))
    assert np.allclose([[float(r["x"]), float(r["y"])] for r in mapped], expected, rtol=1e-5, atol=1e-6)
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "embeddings").iterdir()}
    index, map_csv = (out / "index.csv").read_bytes(), (out / "map.csv").read_bytes()
    again = run_embedding_pipeline(shapes, out, tiny_model, batch_size=4)
    assert (again.embedded, again.failed) == (12, 2)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "embeddings").iterdir()} == snapshot
    assert (out / "index.csv").read_bytes() == index and (out / "map.csv").read_bytes() == map_csv
    assert not [p for p in out.rglob("*.tmp")]


def test_a_batch_with_no_readable_image_only_makes_dead_letters(tiny_model, shapes, tmp_path):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    paths = sorted(str(p) for p in shapes.rglob("*.jpg"))[:3] + [f"{tmp_path}/gone{i}.jpg" for i in range(4)]
    (tmp_path / "list.txt").write_text("\n".join(paths) + "\n")
    summary = run_embedding_pipeline(tmp_path / "list.txt", tmp_path / "out", tiny_model, batch_size=3)
    assert (summary.embedded, summary.failed) == (3, 4)
    with open(tmp_path / "out" / "index.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    with pytest.raises(ValueError, match="batch_size"):
        run_embedding_pipeline(tmp_path / "list.txt", tmp_path / "out", tiny_model, batch_size=0)


def test_known_beam_noise_is_dropped_and_nothing_else(caplog):
    import logging

    from mlbasics.pipelines.beam_noise import known_beam_noise_dropped

    root = logging.getLogger()
    before = list(root.filters)
    with caplog.at_level(logging.WARNING), known_beam_noise_dropped(), known_beam_noise_dropped():
        assert len(root.filters) == len(before) + 1  # nested: one filter, not two
        logging.warning("Resource module is not available for current platform, memory usage cannot be fetched.")
        logging.warning("apitools not found, and bigquery client libraries are not available")
        logging.getLogger("apache_beam.runners.interactive.interactive_environment").warning(
            "Dependencies required for Interactive Beam PCollection visualization are not available")
        logging.warning("Resource exhausted")
    assert [r.getMessage() for r in caplog.records] == ["Resource exhausted"]
    assert root.filters == before


def test_the_anonymous_credentials_notice_is_dropped_only_while_an_emulator_stands_in(caplog, monkeypatch):
    import logging

    from mlbasics.io.storage import EMULATOR_ENV
    from mlbasics.pipelines.beam_noise import known_beam_noise_dropped

    notice = ("Unable to find default credentials because the google-auth library is not available. Install the "
              "gcp extra (apache_beam[gcp]) to use Google default credentials. Connecting anonymously.")
    auth = logging.getLogger("apache_beam.internal.gcp.auth")
    seen = []
    for emulator in ("http://127.0.0.1:4443", None):
        if emulator:
            monkeypatch.setenv(EMULATOR_ENV, emulator)
        else:
            monkeypatch.delenv(EMULATOR_ENV, raising=False)
        caplog.clear()
        with caplog.at_level(logging.WARNING), known_beam_noise_dropped():
            auth.warning(notice)
        seen.append(len(caplog.records))
    assert seen == [0, 1]  # against Cloud Storage itself it is why access fails: it reaches the reader


def _imports_in_a_fresh_python(module: str) -> dict[str, object]:
    """What importing ``module`` does in a new interpreter: Beam loaded? filters left on the root logger?"""
    import json
    import subprocess
    import sys

    code = (f"import json, logging, sys; import {module}; "
            "print(json.dumps({'beam': 'apache_beam' in sys.modules, 'filters': len(logging.getLogger().filters)}))")
    root = Path(__file__).resolve().parents[2]  # this checkout's mlbasics, whichever one is installed
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_pipelines_changes_no_logging_and_tag_needs_no_beam():
    assert _imports_in_a_fresh_python("mlbasics.pipelines") == {"beam": False, "filters": 0}
    assert _imports_in_a_fresh_python("mlbasics.pipelines.faces.tag") == {"beam": False, "filters": 0}
    assert _imports_in_a_fresh_python("mlbasics.pipelines.embeddings") == {"beam": True, "filters": 0}


def test_missing_paths_in_a_list_are_dead_letters(tiny_model, shapes, tmp_path):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    (tmp_path / "list.txt").write_text(f"{shapes}/circle/circle_0000.jpg\n{tmp_path}/gone.jpg\n")
    summary = run_embedding_pipeline(tmp_path / "list.txt", tmp_path / "out", tiny_model)
    assert (summary.embedded, summary.failed) == (1, 1)
    assert "gone.jpg" in (tmp_path / "out" / "dead_letter.csv").read_text()


def test_cli_passes_beam_options_and_checks_them(tiny_model, shapes, tmp_path, capsys):
    from mlbasics.cli import build_parser, main
    from mlbasics.cli.embed import beam_args_from

    args = build_parser().parse_args(["embed", str(shapes), "--out", "out", "--model", str(tiny_model),
                                      "--runner", "DataflowRunner",
                                      "--project", "p", "--region", "europe-west1", "--temp_location", "gs://b/t",
                                      "--max_num_workers", "4", "--beam-option", "sdk_location=container"])
    assert beam_args_from(args) == ["--runner", "DataflowRunner", "--project", "p", "--region", "europe-west1",
                                    "--temp_location", "gs://b/t", "--max_num_workers", "4",
                                    "--sdk_location", "container"]
    args.beam_option = ["oops"]
    with pytest.raises(InputError, match="NAME=VALUE"):
        beam_args_from(args)
    assert main(["embed", str(shapes), "--out", str(tmp_path / "out"), "--model", str(tiny_model)]) == 0
    assert '"embedded": 12' in capsys.readouterr().out


def test_store_ignores_float_noise_but_not_changes(tmp_path):
    path = store_embedding(str(tmp_path), "a", np.array([1.0, 2.0], np.float32))
    before = os.stat(path).st_mtime_ns
    store_embedding(str(tmp_path), "a", np.array([1.0 + 1e-7, 2.0], np.float32))
    assert os.stat(path).st_mtime_ns == before
    store_embedding(str(tmp_path), "a", np.array([1.5, 2.0], np.float32))
    assert np.load(path).tolist() == [1.5, 2.0]


def test_embed_model_is_the_classifier_without_its_head_on_raw_pixels(tmp_path, capsys):
    import keras

    from mlbasics.cli import main
    from mlbasics.vision.cnn import build_backbone_classifier, save_keras

    classifier = build_backbone_classifier(32, 4, width=1 / 64)
    save_keras(classifier, tmp_path / "classifier.keras")
    assert main(["embed-model", "--out", str(tmp_path / "embedder.keras"),
                 "--classifier", str(tmp_path / "classifier.keras")]) == 0
    assert "(None, 16) embeddings" in capsys.readouterr().out
    embedder = keras.saving.load_model(tmp_path / "embedder.keras", safe_mode=True)
    pixels = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype(np.float32)
    pooled = keras.Model(classifier.inputs, classifier.get_layer("pool").output).predict_on_batch(pixels / 255.0)
    np.testing.assert_allclose(embedder.predict_on_batch(pixels), pooled, rtol=1e-5, atol=1e-6)


def test_store_batch_writes_every_file_and_returns_rows_in_order(tmp_path, shapes):
    from mlbasics.pipelines.embeddings_io import store_batch

    items = list_images(shapes)[:5]
    embeddings = np.arange(15, dtype=np.float32).reshape(5, 3)
    rows = store_batch(str(tmp_path), items, embeddings)
    assert [r[0] for r in rows] == [i.path for i in items]
    for row, expected in zip(rows, embeddings):
        np.testing.assert_array_equal(np.load(tmp_path / "embeddings" / row[2]), expected)
    with pytest.raises(ValueError, match="same length"):
        store_batch(str(tmp_path), items, embeddings[:2])


# --- hostile names, FIFOs, outputs in inputs, full disks ---------------------------------------------------


def test_hostile_names_are_embedded_and_a_fifo_is_a_dead_letter(tiny_model, shapes, tmp_path, no_hang):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline
    from tests.pipelines.conftest import hostile_inputs

    hostile_inputs(shapes / "odd", shapes / "circle" / "circle_0000.jpg")
    out = tmp_path / "out"
    summary = run_embedding_pipeline(shapes, out, tiny_model, batch_size=4)
    assert (summary.embedded, summary.failed) == (14, 1)
    index = (out / "index.csv").read_bytes().decode("utf-8")  # valid UTF-8 whatever the names
    rows = {os.path.basename(r["path"]): r for r in csv.DictReader(index.splitlines())}
    assert "\\xff-photo.jpg" in rows and "L" * 240 + ".jpg" in rows
    for row in rows.values():
        assert np.load(out / "embeddings" / row["embedding"]).shape == (16,)  # the index names the file exactly
    assert all(len(os.fsencode(name)) <= 255 for name in os.listdir(out / "embeddings"))
    dead = (out / "dead_letter.csv").read_text(encoding="utf-8")
    assert "x.jpg,not a regular file (a FIFO)" in dead
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "run.json"}
    run_embedding_pipeline(shapes, out, tiny_model, batch_size=4)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "run.json"} == before


def test_a_list_with_a_fifo_and_names_that_are_not_utf8(tiny_model, shapes, tmp_path, no_hang):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "x.jpg")
    with open(os.path.join(os.fsencode(folder), b"\xfe.jpg"), "wb") as handle:
        handle.write((shapes / "circle" / "circle_0000.jpg").read_bytes())
    (tmp_path / "list.txt").write_text(f"{folder}/x.jpg\n{shapes}/circle/circle_0000.jpg\n")
    summary = run_embedding_pipeline(tmp_path / "list.txt", tmp_path / "out", tiny_model)
    assert (summary.embedded, summary.failed) == (1, 1)
    summary = run_embedding_pipeline(f"{folder}/*.jpg", tmp_path / "out2", tiny_model)
    assert (summary.embedded, summary.failed) == (1, 1)
    assert "\\xfe.jpg" in (tmp_path / "out2" / "index.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["inside", "same", "glob"])
def test_an_output_folder_in_the_source_is_refused(tiny_model, shapes, tmp_path, capsys, where):
    from mlbasics.cli import main

    source, out = {"inside": (shapes, shapes / "out"), "same": (shapes, shapes),
                   "glob": (f"{shapes}/*/*.jpg", shapes / "circle" / "emb")}[where]
    assert main(["embed", str(source), "--out", str(out), "--model", str(tiny_model)]) == 2
    err = capsys.readouterr().err
    assert "outputs would overwrite inputs" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in shapes.iterdir()) == sorted(SHAPE_CLASSES)  # nothing written


def test_a_full_disk_stops_embed_with_one_line_and_keeps_the_last_good_outputs(tiny_model, shapes, tmp_path,
                                                                                monkeypatch, capsys):
    from mlbasics.cli import main
    from tests.test_files import _disk_full_after

    out = tmp_path / "out"
    argv = ["embed", str(shapes), "--out", str(out), "--model", str(tiny_model), "--batch-size", "4"]
    assert main(argv) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    (shapes / "circle" / "circle_0000.jpg").write_bytes((shapes / "square" / "square_0001.jpg").read_bytes())
    _disk_full_after(monkeypatch, 0)
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("mlbasics")]
    assert len(lines) == 1 and "disk full" in lines[0] and ".npy" in lines[0]
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in out.rglob(".mlbasics-tmp.*")]


def test_a_run_with_one_image_leaves_no_map_of_an_earlier_run(tiny_model, tmp_path):
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    write_object_crops(tmp_path / "src", 4, size=24, seed=7)
    out = tmp_path / "out"
    run_embedding_pipeline(tmp_path / "src", out, tiny_model, shards=2)
    assert {p.name for p in out.iterdir()} >= {"map.csv", "map_projection.json", "embedding_map.png"}
    one = sorted((tmp_path / "src").rglob("*.jpg"))[0]
    for path in (tmp_path / "src").rglob("*.jpg"):
        if path != one:
            path.unlink()
    assert run_embedding_pipeline(tmp_path / "src", out, tiny_model, shards=2).embedded == 1
    assert not {p.name for p in out.iterdir()} & {"map.csv", "map_projection.json", "embedding_map.png"}


def test_interactive_beam_in_a_notebook_loads_no_script_from_the_network(monkeypatch):
    """Inside a notebook Beam's first transform creates Interactive Beam's environment, which displays a script
    that fetches jQuery and DataTables from CDNs; the pipelines' entry points create it without that script."""
    import IPython.display
    from apache_beam.runners.interactive import interactive_environment
    from apache_beam.utils import interactive_utils

    from mlbasics.pipelines.beam_noise import known_beam_noise_dropped

    shown = []
    monkeypatch.setattr(IPython.display, "display_javascript", lambda *objs, **kw: shown.append(objs))
    for module in (interactive_utils, interactive_environment):  # a notebook, as Beam checks for one
        monkeypatch.setattr(module, "is_in_notebook", lambda: True)
        monkeypatch.setattr(module, "is_in_ipython", lambda: True)
    monkeypatch.setattr(interactive_environment, "register_ipython_log_handler", lambda: None)
    monkeypatch.setattr(interactive_environment, "_interactive_beam_env", None)
    environment = interactive_environment.InteractiveEnvironment
    environment.load_jquery_with_datatable(None)  # what Beam would show: its method ignores self
    assert "https://code.jquery.com" in shown.pop()[0].data
    with known_beam_noise_dropped():
        assert interactive_environment._interactive_beam_env is not None
    assert shown == [] and environment.load_jquery_with_datatable.__name__ == "load_jquery_with_datatable"


def test_the_map_png_leaves_the_callers_matplotlib_alone():
    """Drawing the stored map switches no backend and leaves no pyplot figure open (it used to call
    ``matplotlib.use("Agg")``, which changed a notebook's backend under it)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from mlbasics.pipelines.embeddings_map import embedding_map_png

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    rng = np.random.default_rng(0)
    png = embedding_map_png(rng.normal(size=(12, 8)), ["a"] * 6 + ["b"] * 6)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert matplotlib.get_backend() == backend and plt.get_fignums() == figures


def test_run_outputs_leaves_out_only_the_files_that_name_the_run(tmp_path, monkeypatch):
    from mlbasics.pipelines.embeddings import run_outputs

    files = {"index.csv": b"path\n", "embeddings/a-1.npy": b"\x93NUMPY", "shards/index-00000-of-00001.csv": b"x",
             "shards/run.json": b"{}", "summary.json": b"{}", "embeddings/summary.json": b"kept: not the run's"}
    for name, data in files.items():
        (tmp_path / "out" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "out" / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    expected = {n: d for n, d in files.items() if n not in ("shards/run.json", "summary.json")}
    assert run_outputs("out") == run_outputs(tmp_path / "out/") == expected
