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
