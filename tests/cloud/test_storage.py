import os

import numpy as np
import pytest

from mlbasics.cloud.emulator import GcsEmulator
from mlbasics.core.errors import DataFileError
from mlbasics.io import storage
from mlbasics.io.images import save_image


def test_write_read_list_and_exists(root):
    path = storage.join(root, "notes", "a.txt")
    with storage.gs_atomic_write(path, "w") as handle:
        handle.write("héllo")
    assert storage.gs_file_exists(path)
    assert not storage.gs_file_exists(storage.join(root, "notes", "b.txt"))
    assert storage.gs_read_text(path) == "héllo"
    with storage.gs_atomic_write(storage.join(root, "notes", "b.bin")) as handle:
        handle.write(b"\x00\x01")
    assert [p.rsplit("/", 1)[-1] for p in storage.gs_list(storage.join(root, "notes"))] == ["a.txt", "b.bin"]
    assert storage.gs_list(storage.join(root, "notes"), "*.txt") == [path]


def test_copy_between_local_and_bucket_and_open_image(root, tmp_path, bucket):
    image = np.zeros((6, 9, 3), np.uint8)
    image[:, :3] = (255, 0, 0)
    local = tmp_path / "source.png"
    save_image(image, local)
    copied = storage.join(root, "images", "x.png")
    storage.gs_copy_file(local, copied)
    np.testing.assert_array_equal(storage.gs_open_image(copied), image)
    storage.gs_copy_file(copied, bucket + "/again.png")
    storage.gs_copy_file(bucket + "/again.png", tmp_path / "back" / "x.png")
    np.testing.assert_array_equal(storage.gs_open_image(tmp_path / "back" / "x.png"), image)


def test_copy_folder_keeps_every_files_relative_path_and_bytes(root, tmp_path):
    source = tmp_path / "source"
    files = {"a.jpg": b"\xff\xd8one", "circle/b.jpg": b"two", "circle/deep/c.txt": b"", "d e.png": b"\x00" * 3000}
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    (source / "empty-folder").mkdir()
    target = storage.join(root, "copy")
    copied = storage.gs_copy_folder(source, target)
    assert copied == storage.gs_walk(target) == sorted(storage.join(target, *n.split("/")) for n in files)
    assert storage.gs_read_many(copied) == {storage.join(target, *n.split("/")): d for n, d in files.items()}
    with pytest.raises(DataFileError, match="not a folder"):
        storage.gs_copy_folder(source / "a.jpg", target)


def test_failed_write_leaves_nothing(root):
    path = storage.join(root, "half.bin")
    with pytest.raises(RuntimeError):
        with storage.gs_atomic_write(path) as handle:
            handle.write(b"x" * 1000)
            raise RuntimeError("crash mid-write")
    assert not storage.gs_file_exists(path)
    if not storage.is_remote(root):
        assert os.listdir(root) == []


def test_missing_object_and_missing_bucket_say_which(bucket):
    with pytest.raises(DataFileError, match="no such object in bucket 'test-bucket"):
        storage.gs_read_text(bucket + "/nothing.txt")
    with pytest.raises(DataFileError, match="bucket 'no-such-bucket' does not exist"):
        storage.gs_open_image("gs://no-such-bucket/x.png")
    with pytest.raises(DataFileError, match="does not exist"):
        with storage.gs_atomic_write("gs://no-such-bucket/x.txt", "w") as handle:
            handle.write("x")
    with pytest.raises(DataFileError, match="does not exist"):
        storage.gs_list("gs://no-such-bucket/folder")
    assert not storage.gs_file_exists("gs://no-such-bucket/x")


def test_missing_local_file_and_corrupt_image(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        storage.gs_read_text(tmp_path / "none.txt")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DataFileError, match="bad.png"):
        storage.gs_open_image(tmp_path / "bad.png")


def test_read_many_reports_each_failure(root):
    good = storage.join(root, "good.bin")
    with storage.gs_atomic_write(good) as handle:
        handle.write(b"data")
    missing = storage.join(root, "missing.bin")
    result = storage.gs_read_many([good, missing])
    assert result[good] == b"data"
    assert isinstance(result[missing], DataFileError)


def test_bad_urls():
    with pytest.raises(ValueError, match="no bucket"):
        storage.split_gcs("gs:///key")


def test_emulator_restores_environment():
    before = os.environ.get(storage.EMULATOR_ENV)
    with GcsEmulator(["restore-check"]) as server:
        assert os.environ[storage.EMULATOR_ENV] == server.url
        assert server.running
    assert os.environ.get(storage.EMULATOR_ENV) == before
    assert not server.running


def test_atomic_path_for_tools_that_write_files_themselves(root):
    path = storage.join(root, "models", "m.weights.h5")
    with storage.gs_atomic_path(path) as staged:
        assert staged.name == "m.weights.h5"
        staged.write_bytes(b"weights")
    with storage.gs_open(path) as handle:
        assert handle.read() == b"weights"
    with pytest.raises(DataFileError, match="the writer finished without writing this file"):
        with storage.gs_atomic_path(storage.join(root, "models", "none.keras")):
            pass
    assert not storage.gs_file_exists(storage.join(root, "models", "none.keras"))
