import numpy as np
import pytest

from mlbasics.io.files import atomic_write, read_npz, write_json, write_npz


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
