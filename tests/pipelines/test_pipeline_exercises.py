"""Lessons 09 and 10: each exercise takes a right answer and gives a hint, not the answer, for a wrong one;
lesson 10's readers of a DVC run."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbasics.workbook.exercises import check, prompt

RIGHT_AND_WRONG = {
    "10.1": (0.52, 0.3),
    "10.2": (0.53, 0.6),
}


def _right(exercise_id: str):
    return RIGHT_AND_WRONG[exercise_id][0]


@pytest.mark.parametrize("exercise_id", sorted(RIGHT_AND_WRONG))
def test_right_answer_passes_wrong_answer_gets_a_hint(exercise_id):
    right, wrong = _right(exercise_id), RIGHT_AND_WRONG[exercise_id][1]
    assert check(exercise_id, right).correct, check(exercise_id, right).message
    feedback = check(exercise_id, wrong)
    assert not feedback.correct and feedback.message
    assert f"{right:.2f}" not in feedback.message
    assert prompt(exercise_id)


def test_lesson09_exercises_run_the_pipeline_and_measure_it(tiny_model, tmp_path):
    """09.1: another shard count, the same final bytes; 09.2: a copy with a file deleted fails the launcher's check."""
    import shutil

    from mlbasics.data.synthetic import write_object_crops
    from mlbasics.pipelines.embeddings import run_embedding_pipeline
    from mlbasics.workbook.exercises.lesson09 import shard_count

    source = tmp_path / "images"
    write_object_crops(source, 10, size=24, seed=9)
    (source / "circle" / "notes.jpg").write_text("not an image")
    run_embedding_pipeline(source, tmp_path / "out", tiny_model, batch_size=4)
    run_embedding_pipeline(source, tmp_path / "out-3", tiny_model, batch_size=4, shards=3)
    run_embedding_pipeline(source, tmp_path / "out-8", tiny_model, batch_size=4)
    assert (shard_count(tmp_path / "out"), shard_count(tmp_path / "out-3")) == (8, 3)
    right = check("09.1", (tmp_path / "out", tmp_path / "out-3"))
    assert right.correct and "8 and 3 shards: the same" in right.message, right.message
    assert "both runs used 8 shards" in check("09.1", (tmp_path / "out", tmp_path / "out-8")).message
    assert "same folder twice" in check("09.1", (tmp_path / "out", tmp_path / "out")).message
    assert "not the output folder of a finished run" in check("09.1", (tmp_path / "out", source)).message
    (source / "circle" / "notes.jpg").unlink()
    run_embedding_pipeline(source, tmp_path / "fewer", tiny_model, batch_size=4, shards=2)
    fewer = check("09.1", (tmp_path / "out", tmp_path / "fewer"))  # the bad file is gone: no dead letter
    assert "did not read the same images" in fewer.message

    copy = Path(shutil.copytree(tmp_path / "out", tmp_path / "broken"))
    untouched = check("09.2", copy)
    assert not untouched.correct and "nothing is missing" in untouched.message
    next((copy / "embeddings").iterdir()).unlink()
    broken = check("09.2", copy)
    assert broken.correct and "has no embedding file" in broken.message, broken.message
    shutil.rmtree(copy)
    copy = Path(shutil.copytree(tmp_path / "out", tmp_path / "broken"))
    lines = (copy / "map.csv").read_text().splitlines(keepends=True)
    (copy / "map.csv").write_text("".join(lines[:3] + lines[4:]))
    assert "map.csv: row 3 is not" in check("09.2", copy).message


def test_door_camera_has_no_perfect_threshold_and_hints_say_which_way():
    """10.2: every threshold either lets a stranger in or locks some residents out; the hint names which."""
    import numpy as np

    from mlbasics.pipelines.faces.matching import match_counts
    from mlbasics.workbook.exercises.lesson10 import door_camera_distances

    distances, same = door_camera_distances()
    for threshold in np.linspace(0.2, 1.0, 81):
        counts = match_counts(distances, same, float(threshold))
        assert counts["false_matches"] or counts["missed"]
    assert "Raise it" in check("10.2", 0.45).message
    assert "Lower the threshold" in check("10.2", 0.57).message
    assert check("10.2", 0.55).correct  # the closest stranger pair is at 0.55 and matches only below it


DVC_LOG = """\
Running stage 'train':
> mlbasics faces train train --out out/state.json --cache .face-cache
{
  "people": {
    "Ann": 2
  },
  "analysed": 1,
  "reused": 1
}
Updating lock file 'dvc.lock'

Stage 'identify' didn't change, skipping
Running stage 'tag':
> mlbasics faces tag images out/identified --out out/tagged
{
  "tagged": 3,
  "warnings": [
    "no label image for 'Ann'"
  ]
}
Use `dvc push` to send your updates to remote storage.
"""


def test_dvc_stage_reports_and_summary():
    from mlbasics.workbook.lessons import dvc_stage_reports, stage_summary

    reports = dvc_stage_reports(DVC_LOG)
    assert reports == {"train": {"people": {"Ann": 2}, "analysed": 1, "reused": 1}, "identify": None,
                       "tag": {"tagged": 3, "warnings": ["no label image for 'Ann'"]}}
    assert stage_summary(reports).splitlines() == [
        "train: people {'Ann': 2}, analysed 1, reused 1",
        "identify: skipped by DVC (its inputs did not change)",
        "tag: tagged 3, warnings 1 item(s)",
    ]


def test_duplicate_files_groups_same_bytes_only(tmp_path):
    from mlbasics.workbook.lessons import duplicate_files

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.jpg").write_bytes(b"same")
    (tmp_path / "a" / "2.jpg").write_bytes(b"same")
    (tmp_path / "b.jpg").write_bytes(b"other")
    assert duplicate_files(tmp_path) == [["a/1.jpg", "a/2.jpg"]]


def test_call_rates_names_the_three_ways_and_counts_images(tiny_model):
    import numpy as np

    from mlbasics.io.keras_models import load_keras_model
    from mlbasics.workbook.lessons import call_rates

    calls = []

    class Counting:
        """The model, counting the images of each call."""

        def __init__(self, model):
            self.model = model

        def predict(self, x, verbose=0):
            calls.append(("predict", len(x)))
            return self.model.predict(x, verbose=verbose)

        def predict_on_batch(self, x):
            calls.append(("predict_on_batch", len(x)))
            return self.model.predict_on_batch(x)

    images = np.zeros((4, 32, 32, 3), np.float32)
    rates = call_rates(Counting(load_keras_model(tiny_model)), images)
    assert list(rates) == ["predict, 1 per call", "predict_on_batch, 1 per call", "predict_on_batch, 4 per call"]
    assert all(rate > 0 for rate in rates.values())
    assert calls[3:] == [("predict", 1)] * 4 + [("predict_on_batch", 1)] * 4 + [("predict_on_batch", 4)]
