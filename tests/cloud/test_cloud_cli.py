import json

from mlbasics.cli import main


def test_spec_then_gcloud(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    code = main(["cloud", "spec", "--out", str(spec), "--display-name", "demo", "--package-uri",
                 "gs://my-bucket/dist/t.tar.gz", "--base-output-dir", "gs://my-bucket/jobs/2",
                 "--trainer-args", "--annotation-file", "gs://my-bucket/a.txt"])
    assert code == 0
    assert json.loads(spec.read_text())["args"] == ["--annotation-file", "gs://my-bucket/a.txt"]
    assert main(["cloud", "gcloud", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "gcloud ai custom-jobs create --region=us-central1 --display-name=demo --config=job.yaml" in out


def test_bad_spec_is_a_clear_error(tmp_path, capsys):
    code = main(["cloud", "spec", "--out", str(tmp_path / "s.json"), "--display-name", "demo", "--package-uri",
                 "gs://my-bucket/t.tar.gz", "--base-output-dir", "gs://my-bucket/j", "--replica-count", "-1"])
    assert code == 2
    assert "argument --replica-count: must be an integer in 1..1,000" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_upload_voc_lines_from_the_bucket_and_upload(small_voc, tmp_path, bucket, capsys):
    assert main(["cloud", "upload-voc", str(small_voc), "--out", bucket + "/voc", "--count", "3"]) == 0
    assert main(["yolo", "voc-lines", bucket + "/voc", "--classes", bucket + "/voc/classes.txt"]) == 0
    assert "3 lines -> " + bucket + "/voc/train.txt" in capsys.readouterr().out
    assert main(["cloud", "download", bucket + "/voc/train.txt", "--out", str(tmp_path / "train.txt")]) == 0
    assert (tmp_path / "train.txt").read_text().startswith("JPEGImages/train_00000.jpg ")
    assert main(["cloud", "upload", bucket + "/missing.txt", "--out", str(tmp_path / "x")]) == 2
    assert "no such object" in capsys.readouterr().err


def test_voc_lines_from_the_bucket_names_a_bad_xml(small_voc, bucket, capsys):
    # a bad annotation file is named and skipped (a real set has a few); the good ones are converted
    from mlbasics.io.storage import gs_atomic_write, gs_read_text

    assert main(["cloud", "upload-voc", str(small_voc), "--out", bucket + "/voc", "--count", "2"]) == 0
    with gs_atomic_write(bucket + "/voc/Annotations/train_00001.xml", "w") as handle:
        handle.write("<annotation><size><width>64</width>\n<oops></annotation>")
    assert main(["yolo", "voc-lines", bucket + "/voc", "--classes", str(small_voc / "classes.txt"),
                 "--out", bucket + "/voc/train.txt"]) == 0
    captured = capsys.readouterr()
    assert "skipped " in captured.err and "train_00001.xml:2: not valid XML" in captured.err
    assert "1 lines" in captured.out and "(1 skipped)" in captured.out
    assert gs_read_text(bucket + "/voc/train.txt").startswith("JPEGImages/train_00000.jpg ")
    with gs_atomic_write(bucket + "/voc/Annotations/train_00001.xml", "w") as handle:
        handle.write('<!DOCTYPE x [<!ENTITY a "aaaa">]><annotation>&a;</annotation>')
    assert main(["yolo", "voc-lines", bucket + "/voc", "--classes", str(small_voc / "classes.txt"),
                 "--out", bucket + "/voc/train.txt"]) == 0
    assert "train_00001.xml: refused unsafe XML" in capsys.readouterr().err
