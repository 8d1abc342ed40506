import hashlib
import json

import pytest

from mlbasics.core.errors import ChecksumError, DataFileError
from mlbasics.data import fetch, fetch_dataset, load_manifest


def test_manifest_lists_the_mirror_files():
    manifest = load_manifest()
    paths = {entry.path for entry in manifest.files("faces")}
    assert "faces/voc_faces/bald_guys.jpg" in paths and len(paths) == 68
    for entry in manifest.files("faces"):
        assert entry.url.startswith("https://raw.githubusercontent.com/davisking/dlib/")


def test_fetch_from_mirror_verifies_checksum(mirror):
    path = fetch("faces/voc_faces/dogs.jpg")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == load_manifest().entry("faces/voc_faces/dogs.jpg").sha256
    assert fetch_dataset("faces").joinpath("faces/johns").is_dir()


def test_corrupted_cache_file_is_fetched_again(mirror):
    path = fetch("faces/voc_faces/dogs.jpg")
    path.write_bytes(b"corrupted")
    assert fetch("faces/voc_faces/dogs.jpg").read_bytes() != b"corrupted"


def _manifest(tmp_path, rel="x/file.bin", sha="0" * 64, url="https://example.org/file.bin"):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"version": 1, "datasets": {"t": {"files": {rel: {"url": url, "sha256": sha}}}}}))
    return path


def test_mirror_file_with_wrong_checksum_is_refused(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "x").mkdir(parents=True)
    (mirror / "x" / "file.bin").write_bytes(b"tampered")
    monkeypatch.setenv("MLBASICS_MANIFEST", str(_manifest(tmp_path)))
    monkeypatch.setenv("MLBASICS_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("MLBASICS_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ChecksumError, match="file.bin: sha256 is .* the manifest expects 0000"):
        fetch("x/file.bin")
    assert not (tmp_path / "cache" / "x" / "file.bin").exists()
    assert list((tmp_path / "cache" / "x").iterdir()) == []


def test_missing_mirror_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBASICS_MANIFEST", str(_manifest(tmp_path)))
    monkeypatch.setenv("MLBASICS_DATA_MIRROR", str(tmp_path))
    with pytest.raises(DataFileError, match="not in the mirror"):
        fetch("x/file.bin")


@pytest.mark.parametrize("rel", ["../escape.bin", "/etc/passwd", "a/../../b", "~/x"])
def test_path_traversal_in_manifest_is_refused(tmp_path, monkeypatch, rel):
    monkeypatch.setenv("MLBASICS_MANIFEST", str(_manifest(tmp_path, rel=rel)))
    with pytest.raises(DataFileError, match="unsafe path"):
        load_manifest()


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"sha": "abc"}, "64 hex digits"), ({"url": "http://plain.org/x"}, "https://")]
)
def test_manifest_entries_are_validated(tmp_path, monkeypatch, kwargs, match):
    monkeypatch.setenv("MLBASICS_MANIFEST", str(_manifest(tmp_path, **kwargs)))
    with pytest.raises(DataFileError, match=match):
        load_manifest()


def test_unknown_names():
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        load_manifest().files("nope")
    with pytest.raises(KeyError, match="not in the manifest"):
        fetch("faces/none.jpg")
