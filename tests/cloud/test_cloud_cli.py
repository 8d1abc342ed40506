import json

from mlbasics.cli import main


def test_spec_then_gcloud(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    code = main(["cloud", "spec", str(spec), "--display-name", "demo", "--package-uri",
                 "gs://my-bucket/dist/t.tar.gz", "--base-output-dir", "gs://my-bucket/jobs/2",
                 "--trainer-args", "--annotation-file", "gs://my-bucket/a.txt"])
    assert code == 0
    assert json.loads(spec.read_text())["args"] == ["--annotation-file", "gs://my-bucket/a.txt"]
    assert main(["cloud", "gcloud", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "gcloud ai custom-jobs create --region=us-central1 --display-name=demo --config=job.yaml" in out


def test_bad_spec_is_a_clear_error(tmp_path, capsys):
    code = main(["cloud", "spec", str(tmp_path / "s.json"), "--display-name", "demo", "--package-uri",
                 "gs://my-bucket/t.tar.gz", "--base-output-dir", "gs://my-bucket/j", "--replica-count", "-1"])
    assert code == 2
    assert "replica_count must be an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_make_data_and_upload(tmp_path, bucket, capsys):
    assert main(["cloud", "make-data", str(tmp_path / "d"), "--count", "3"]) == 0
    assert len(list((tmp_path / "d" / "images").iterdir())) == 3
    assert main(["cloud", "upload", str(tmp_path / "d" / "classes.txt"), bucket + "/classes.txt"]) == 0
    assert main(["cloud", "upload", bucket + "/missing.txt", str(tmp_path / "x")]) == 2
    assert "no such object" in capsys.readouterr().err
