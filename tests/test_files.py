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


def test_a_file_is_never_written_over_a_folder(tmp_path):
    folder = tmp_path / "lines.txt"  # a folder where the caller expects a file
    (folder / "keep").mkdir(parents=True)
    (folder / "keep" / "photo.jpg").write_bytes(b"precious")
    with pytest.raises(DataFileError, match=r"lines\.txt: is a folder, expected a file"):
        with atomic_write(folder, "w") as handle:
            handle.write("a.jpg 1,2,3,4,0\n")
    with pytest.raises(DataFileError, match="is a folder"):
        write_json(folder, {"a": 1})
    assert (folder / "keep" / "photo.jpg").read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["lines.txt"]  # no temporary left behind


def test_write_modes_are_checked():
    with pytest.raises(InputError, match="mode must be 'wb' or 'w', got 'a'"):
        with atomic_write("never.txt", "a"):
            pass


# --- hostile names, stale temporaries, full disks --------------------------------------------------------------


def test_temporary_names_have_a_fixed_length_whatever_the_target(tmp_path):
    for name in ("a.json", "L" * 251 + ".bin", "é" * 120 + ".txt"):
        with atomic_path(tmp_path / name) as staged:
            assert staged.parent.name.startswith(".mlbasics-tmp.") and len(staged.parent.name) < 40
            staged.write_bytes(b"x")
        assert (tmp_path / name).read_bytes() == b"x"
    raw = os.path.join(os.fsencode(tmp_path), b"\xff\xfe.json")
    write_json(os.fsdecode(raw), {"a": 1})
    assert os.path.isfile(raw)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_dead_or_old_writers_are_removed_and_nothing_else(tmp_path):
    from mlbasics.io.files import STALE_AFTER_SECONDS, remove_stale_temporaries

    dead = tmp_path / "sub" / f".mlbasics-tmp.{_dead_pid()}.abc123"
    live = tmp_path / f".mlbasics-tmp.{os.getpid()}.xyz789"
    old = tmp_path / f".mlbasics-tmp.{os.getppid()}.old111"
    for folder in (dead, live, old):
        folder.mkdir(parents=True)
        (folder / "index.csv").write_bytes(b"")  # kill -9 right after open: a 0-byte file
    past = os.stat(old).st_mtime - STALE_AFTER_SECONDS - 10
    os.utime(old, (past, past))
    keep = [tmp_path / ".mlbasics-tmp.notes", tmp_path / ".git", tmp_path / "data.tmp"]
    keep[0].write_text("a user's file with a similar name")
    keep[1].mkdir()
    keep[2].write_text("x")
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted([dead, old])
    assert live.is_dir() and all(p.exists() for p in keep) and not dead.exists() and not old.exists()
    assert remove_stale_temporaries(tmp_path / "missing") == []
    nested = tmp_path / "sub" / "deeper" / f".mlbasics-tmp.{_dead_pid()}.n"
    nested.mkdir(parents=True)
    assert remove_stale_temporaries(tmp_path, recursive=False) == [] and nested.exists()


def _disk_full_after(monkeypatch, calls: int) -> None:
    """Make every atomic write after the first ``calls`` fail as a full disk does (no file name)."""
    import contextlib
    import errno

    import mlbasics.io.files as files

    real = files.open_synced
    count = {"n": 0}

    @contextlib.contextmanager
    def failing(path, mode="wb"):
        count["n"] += 1
        with real(path, mode) as handle:
            if count["n"] > calls:
                handle.write(b"half" if "b" in mode else "half")
                raise OSError(errno.ENOSPC, "No space left on device")
            yield handle

    monkeypatch.setattr(files, "open_synced", failing)


def test_a_full_disk_is_one_error_naming_the_file_and_the_old_version_survives(tmp_path, monkeypatch):
    import errno

    from mlbasics.cli import describe

    target = tmp_path / "out" / "state.json"
    write_json(target, {"version": 1})
    _disk_full_after(monkeypatch, 0)
    with pytest.raises(OSError) as info:
        write_json(target, {"version": 2})
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert describe(info.value) == f"{target}: disk full (no space left on device); the earlier version, if any, " \
                                   "is unchanged"
    assert target.read_text().startswith('{\n  "version": 1')
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_inside_refuses_paths_leading_out(tmp_path):
    from mlbasics.io.paths import inside

    root = tmp_path / "out"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    (root / "inner").symlink_to(root / "sub")
    assert inside(root, "sub/a.jpg.json") == root / "sub" / "a.jpg.json"
    assert inside(root, "inner/a.json") == root / "inner" / "a.json"  # a link that stays inside is fine
    for hostile, reason in [("../victim.json", "not a plain relative path"), ("sub/../../v.json", "not a plain"),
                            (str(tmp_path / "victim.json"), "not a plain"), ("", "not a plain"),
                            ("link/victim.json", "leads out"), ("link", "leads out"), (".", "leads out")]:
        with pytest.raises(DataFileError, match=reason) as info:
            inside(root, hostile, source=root / ".records.json")
        assert info.value.path == str(root / ".records.json")


def test_display_path_escapes_only_what_is_not_utf8():
    from mlbasics.io.paths import display_path

    assert display_path("plain/é.jpg") == "plain/é.jpg"
    assert display_path(os.fsdecode(b"a/\xff.jpg")) == "a/\\xff.jpg"
    assert display_path("\ud800") == "\\ud800"
    assert display_path(display_path(os.fsdecode(b"\xff"))) == "\\xff"


def test_regular_file_problem_names_fifos_without_opening_them(tmp_path):
    from mlbasics.io.paths import regular_file_problem

    os.mkfifo(tmp_path / "x.jpg")  # opening it for reading would wait forever
    (tmp_path / "ok.jpg").write_bytes(b"x")
    assert regular_file_problem(tmp_path / "x.jpg") == "not a regular file (a FIFO)"
    assert regular_file_problem(tmp_path / "ok.jpg") is None
    assert regular_file_problem(tmp_path / "no.jpg", missing="gone") == "gone"


def test_owned_tempdir_is_removed_and_only_dead_owners_folders_are_swept(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from mlbasics.io.files import owned_tempdir, remove_stale_owned

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with owned_tempdir("demo-") as folder:
        assert folder.parent == tmp_path and folder.name.startswith(f"demo-{os.getpid()}.")
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        (folder / "key.pem").write_text("k")
        assert remove_stale_owned("demo-") == []  # its owner (this process) is alive
    assert not folder.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(dead.stdout)  # a process that has exited
    (tmp_path / f"demo-{gone}.abc").mkdir()
    target = tmp_path / "kept"
    target.mkdir()
    (tmp_path / f"demo-{gone}.link").symlink_to(target)  # a link is never followed nor removed
    (tmp_path / f"demo-{gone}.file").write_text("")  # nor a file
    (tmp_path / "other-123.abc").mkdir()  # nor another prefix
    assert remove_stale_owned("demo-") == [tmp_path / f"demo-{gone}.abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"demo-{gone}.link", f"demo-{gone}.file", "kept", "other-123.abc"])
