import os
import stat

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.io.files import atomic_path, atomic_write, read_npz, write_json, write_npz


def test_crash_mid_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "state.json"
    write_json(target, {"version": 1})
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write('{"version": 2, "half')
        raise RuntimeError("crash")
    assert target.read_text().startswith('{\n  "version": 1')
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_crash_on_first_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "new.bin") as handle:
        handle.write(b"partial")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_npz_round_trip_without_pickle(tmp_path):
    write_npz(tmp_path / "a.npz", x=np.arange(3), names=np.array(["a", "b"]))
    data = read_npz(tmp_path / "a.npz")
    assert data["x"].tolist() == [0, 1, 2] and data["names"].tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="dtype object"):
        write_npz(tmp_path / "b.npz", bad=np.array([{"a": 1}], dtype=object))


def test_rewriting_is_idempotent(tmp_path):
    write_json(tmp_path / "x.json", {"b": 1, "a": [1, 2]})
    first = (tmp_path / "x.json").read_bytes()
    write_json(tmp_path / "x.json", {"a": [1, 2], "b": 1})
    assert (tmp_path / "x.json").read_bytes() == first


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_atomic_files_get_the_mode_a_normal_write_gets(tmp_path, umask):
    old = os.umask(umask)
    try:
        with open(tmp_path / "plain.txt", "w") as handle:
            handle.write("x")
        write_json(tmp_path / "atomic.json", {})
        with atomic_path(tmp_path / "tool.bin") as staged:
            staged.write_bytes(b"x")
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == expected
    assert stat.S_IMODE((tmp_path / "atomic.json").stat().st_mode) == expected
    assert stat.S_IMODE((tmp_path / "tool.bin").stat().st_mode) == expected


def test_atomic_path_keeps_the_name_and_replaces_files_and_folders(tmp_path):
    target = tmp_path / "out" / "model.weights.h5"
    with atomic_path(target) as staged:
        assert staged.name == "model.weights.h5" and staged.parent.parent == target.parent
        assert not staged.exists()
        staged.write_bytes(b"v1")
    assert target.read_bytes() == b"v1"
    package = tmp_path / "out" / "model.mlpackage"
    for version in ("v1", "v2"):
        with atomic_path(package) as staged:
            (staged / "Data").mkdir(parents=True)
            (staged / "Data" / "weights.bin").write_text(version)
    assert [p.name for p in package.rglob("*")] == ["Data", "weights.bin"]
    assert (package / "Data" / "weights.bin").read_text() == "v2"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.mlpackage", "model.weights.h5"]


def test_atomic_path_failures_leave_the_old_version_and_no_temporary_output(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as staged:
        staged.write_bytes(b"half")
        raise RuntimeError("converter crashed")
    with pytest.raises(DataFileError, match=r"model\.keras: the writer finished without writing this file"):
        with atomic_path(target):
            pass
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_write_modes_are_checked():
    with pytest.raises(InputError, match="mode must be 'wb' or 'w', got 'a'"):
        with atomic_write("never.txt", "a"):
            pass
