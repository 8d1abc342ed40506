import json
import subprocess
import sys

from mlbasics.cli import main


def test_info_prints_json(capsys):
    assert main(["info", "--no-devices"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["packages"]["mlbasics"] and info["cpu_cores"] >= 1


def test_data_fetch(mirror, capsys):
    assert main(["data", "fetch", "faces"]) == 0
    assert "faces:" in capsys.readouterr().out


def test_unknown_dataset_is_a_clear_error(capsys):
    assert main(["data", "fetch", "nope"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "mlbasics.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "lab" in result.stdout


def test_lab_passes_options_through_to_jupyterlab(monkeypatch):
    import subprocess as sp

    seen = {}
    monkeypatch.setattr(sp, "call", lambda command: seen.setdefault("command", command) and 0)
    assert main(["lab", "--no-browser", "--ServerApp.port=8999"]) == 0
    assert seen["command"][1:3] == ["-m", "jupyterlab"]
    assert seen["command"][-2:] == ["--no-browser", "--ServerApp.port=8999"]
    assert seen["command"][3].startswith("--notebook-dir=") and seen["command"][3].endswith("notebooks")


def test_other_commands_reject_unknown_options(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["info", "--bogus"])
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
