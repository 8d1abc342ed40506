import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlbasics.cli.workbook
from mlbasics.cli import build_parser, main
from mlbasics.core.errors import DataFileError

REPO = Path(__file__).resolve().parents[1]


def test_info_prints_json(capsys):
    assert main(["info", "--no-devices"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["packages"]["mlbasics"] and info["cpu_cores"] >= 1


def test_data_fetch(mirror, capsys):
    assert main(["data", "fetch", "faces"]) == 0
    assert "faces:" in capsys.readouterr().out


def test_unknown_dataset_is_a_clear_error(capsys):
    assert main(["data", "fetch", "nope"]) == 2
    assert capsys.readouterr().err.startswith("mlbasics data fetch: error: unknown dataset 'nope'; the manifest lists")


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "mlbasics.cli", "--help"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and "lab" in result.stdout


class _FakeLab:
    """Stands in for the JupyterLab process: records its command line and environment, exits at once."""

    seen: dict = {}

    def __init__(self, command, env=None):
        _FakeLab.seen.update(command=command, env=env)

    def wait(self, timeout=None):
        return 0

    def poll(self):
        return 0


@pytest.mark.parametrize("root", [False, True])
def test_lab_passes_options_through_to_jupyterlab(root, monkeypatch, capsys):
    import subprocess as sp

    from mlbasics.workbook import lab

    monkeypatch.setattr(sp, "Popen", _FakeLab)
    monkeypatch.setattr(lab, "running_as_root", lambda: root)
    assert main(["lab", "--no-browser", "--ServerApp.port=8999"]) == 0
    command = _FakeLab.seen["command"]
    assert command[1:3] == ["-m", "jupyterlab"]
    assert command[3].startswith("--notebook-dir=") and command[3].endswith("notebooks")
    assert command[4:] == ["--no-browser", "--ServerApp.port=8999", *(["--allow-root"] if root else [])]
    err = capsys.readouterr().err
    assert err == ("mlbasics lab: running as root (a container or a cloud notebook?): passing --allow-root to "
                   "JupyterLab, which refuses root otherwise\n" if root else "")
    # the workbook's own settings come first; the user's JUPYTER_CONFIG_PATH is kept after them
    assert _FakeLab.seen["env"]["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(lab.CONFIG_DIR)
    monkeypatch.setattr(lab, "running_as_root", lambda: True)
    assert main(["lab", "--allow-root"]) == 0 and _FakeLab.seen["command"].count("--allow-root") == 1


def test_other_commands_reject_unknown_options(capsys):
    assert main(["info", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of ``parser``, e.g. ``("yolo", "detect")``."""
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = _commands(build_parser())


def test_the_command_list_is_complete():
    assert {("yolo", "detect"), ("embed",), ("embed-model",), ("faces", "tag"), ("cloud", "submit"), ("export",)} \
        <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mlbasics")
def test_help_of_every_command(command, capsys):
    assert main([*command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: {' '.join(('mlbasics', *command))}")


def test_outputs_are_named_out():
    """Every command whose output is a file or folder takes it as ``--out``, never as a positional."""
    writers = {("yolo", "make-data"), ("yolo", "voc-lines"), ("yolo", "anchors"), ("yolo", "backbone"),
               ("yolo", "detect"), ("embed",), ("embed-model",), ("export",), ("faces", "train"),
               ("faces", "identify"), ("faces", "tag"), ("cloud", "upload-voc"), ("cloud", "package"),
               ("cloud", "upload"), ("cloud", "download"), ("cloud", "spec")}
    parsers = {command: parser for command, parser in _parsers(build_parser())}
    for command in writers:
        options = {o for action in parsers[command]._actions for o in action.option_strings}
        positionals = {a.dest for a in parsers[command]._actions if not a.option_strings}
        assert "--out" in options, command
        assert not positionals & {"out", "out_dir", "output", "path", "destination"}, command


def _parsers(parser, prefix=()):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*prefix, name))


@pytest.fixture
def files(tmp_path):
    """Small input files that exist, so that only the option under test is wrong."""
    for name in ("train.txt", "classes.txt", "anchors.txt", "model.keras", "state.json"):
        (tmp_path / name).write_text("x")
    (tmp_path / "images").mkdir()
    return tmp_path


def _train(files, *extra):
    return ["yolo", "train", "--annotations", str(files / "train.txt"), "--classes", str(files / "classes.txt"),
            "--anchors", str(files / "anchors.txt"), "--job-dir", str(files / "job"), *extra]


BAD = {
    "learning-rate nan": (lambda f: _train(f, "--learning-rate", "nan"), "mlbasics yolo train", "--learning-rate"),
    "learning-rate -1": (lambda f: _train(f, "--learning-rate", "-1"), "mlbasics yolo train", "--learning-rate"),
    "learning-rate inf": (lambda f: _train(f, "--learning-rate-frozen", "inf"), "mlbasics yolo train",
                          "--learning-rate-frozen"),
    "width -1": (lambda f: _train(f, "--width", "-1"), "mlbasics yolo train", "--width"),
    "epochs 0": (lambda f: _train(f, "--epochs", "0"), "mlbasics yolo train", "--epochs"),
    "batch-size 2.5": (lambda f: _train(f, "--batch-size", "2.5"), "mlbasics yolo train", "--batch-size"),
    "missing annotations": (lambda f: ["yolo", "check", str(f / "nope.txt"), "--classes", str(f / "classes.txt")],
                            "mlbasics yolo check", "nope.txt"),
    "anchors input-size -5": (lambda f: ["yolo", "anchors", str(f / "train.txt"), "--classes", str(f / "classes.txt"),
                                         "--input-size", "-5"], "mlbasics yolo anchors", "--input-size"),
    "backbone width -1": (lambda f: ["yolo", "backbone", "--out", str(f / "b.keras"), "--width", "-1"],
                          "mlbasics yolo backbone", "--width"),
    "detect score 1.5": (lambda f: ["yolo", "detect", str(f / "train.txt"), "--weights", str(f / "model.keras"),
                                    "--score-threshold", "1.5"], "mlbasics yolo detect", "--score-threshold"),
    "export check 0": (lambda f: ["export", str(f / "model.keras"), "--check", "0"], "mlbasics export", "--check"),
    "export missing model": (lambda f: ["export", str(f / "missing.keras")], "mlbasics export", "missing.keras"),
    "faces threshold -1": (lambda f: ["faces", "identify", str(f / "images"), str(f / "state.json"), "--out",
                                      str(f / "o"), "--threshold", "-1"], "mlbasics faces identify", "--threshold"),
    "faces run threshold nan": (lambda f: ["faces", "run", str(f), "--threshold", "nan"], "mlbasics faces run",
                                "--threshold"),
    "faces identify missing folder": (lambda f: ["faces", "identify", str(f / "no-images"), str(f / "state.json"),
                                                 "--out", str(f / "o")], "mlbasics faces identify", "no-images"),
    "faces tag missing folder": (lambda f: ["faces", "tag", str(f / "images"), str(f / "no-identified"), "--out",
                                            str(f / "o")], "mlbasics faces tag", "no-identified"),
    "embed image-size 0": (lambda f: ["embed", str(f / "images"), "--out", str(f / "o"), "--model", "MobileNetV3Small",
                                      "--image-size", "0"], "mlbasics embed", "--image-size"),
    "embed-model not .keras": (lambda f: ["embed-model", "--out", str(f / "m.h5")], "mlbasics embed-model", "--out"),
    "cloud count -1": (lambda f: ["cloud", "upload-voc", str(f), "--out", str(f / "o"), "--count", "-1"],
                       "mlbasics cloud upload-voc", "--count"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_option_or_path_is_one_line_naming_it(case, files, capsys):
    make_args, prog, named = BAD[case]
    assert main(make_args(files)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith(f"{prog}: error: ") and named in captured.err, captured.err
    assert not (files / "job").exists() and not (files / "o").exists()  # refused before any work


def test_a_bad_option_through_the_console_entry_point(files):
    args = ["yolo", "anchors", str(files / "train.txt"), "--classes", str(files / "classes.txt"), "--input-size", "-5"]
    result = subprocess.run([sys.executable, "-m", "mlbasics.cli", *args], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("mlbasics yolo anchors: error: argument --input-size: must be a multiple of 32 in "
                             "32..2,048, got '-5'\n")


def _fail_with(monkeypatch, exc: BaseException) -> None:
    def handler(args):
        raise exc

    monkeypatch.setattr(mlbasics.cli.workbook, "_info", handler)  # read when the parser is built


def test_a_project_error_in_a_handler_is_one_line(monkeypatch, capsys):
    _fail_with(monkeypatch, DataFileError("lines.txt", "box 2: empty box", line=7))
    assert main(["info"]) == 2
    assert capsys.readouterr().err == "mlbasics info: error: lines.txt:7: box 2: empty box\n"


def test_a_file_system_error_names_the_file(monkeypatch, capsys):
    _fail_with(monkeypatch, PermissionError(13, "Permission denied", "/data/out.json"))
    assert main(["info"]) == 2
    assert capsys.readouterr().err == "mlbasics info: error: /data/out.json: Permission denied\n"


def test_a_cloud_setup_error_uses_the_common_format(monkeypatch, files, capsys):
    from mlbasics.cli import cloud
    from mlbasics.cloud.submit import CloudSetupError

    def refuse(spec, project=None):
        raise CloudSetupError("no Google Cloud project: set GOOGLE_CLOUD_PROJECT")

    monkeypatch.setattr(cloud, "submit", refuse)  # the names the command uses
    monkeypatch.setattr(cloud, "load_spec", lambda path: None)
    assert main(["cloud", "submit", str(files / "state.json")]) == 2
    expected = "mlbasics cloud submit: error: no Google Cloud project: set GOOGLE_CLOUD_PROJECT\n"
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize("bug", [KeyError("missing"), TypeError("wrong"), ValueError("internal")],
                         ids=lambda e: type(e).__name__)
def test_a_bug_keeps_its_traceback(bug, monkeypatch):
    _fail_with(monkeypatch, bug)
    with pytest.raises(type(bug)):
        main(["info"])
