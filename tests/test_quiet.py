"""The native-noise filter drops the known start-up lines and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys

from mlbasics.core import quiet

ABSL_PREINIT = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
ONEDNN = ("I0000 00:00:1795974243.716736   22762 port.cc:153] oneDNN custom operations are on. You may see "
          "slightly different numerical results")
TRUNCATE = ("E0000 00:00:1795974783.997539    1118 node_def_util.cc:682] NodeDef mentions attribute Truncate "
            "which is not in the op definition: Op<name=Identity>")
XNNPACK = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
FULLY_QUANTIZE = "fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32, output_inference_type: FLOAT32"
REAL_ERROR = "E0000 00:00:1795974783.997539    1118 some_kernel.cc:12] Out of memory allocating 4 GB"


def test_known_lines_are_noise_real_errors_are_not():
    for line in (ABSL_PREINIT, ONEDNN, TRUNCATE, XNNPACK, FULLY_QUANTIZE):
        assert quiet.is_native_noise(line), line
    for line in (REAL_ERROR, "WARNING: something the reader must see", "oneDNN in the middle of a user's print"):
        assert not quiet.is_native_noise(line), line
    text = f"{ABSL_PREINIT}\n{REAL_ERROR}\n{XNNPACK}\nlast line"
    assert quiet.drop_native_noise(text) == f"{REAL_ERROR}\nlast line"


def test_descriptor_2_is_filtered_and_restored(capfd):
    with quiet.native_noise_filtered():
        os.write(2, f"{ONEDNN}\n{REAL_ERROR}\n{XNNPACK}\n".encode())
    os.write(2, b"after the block\n")
    err = capfd.readouterr().err
    assert REAL_ERROR in err and "after the block" in err
    assert "oneDNN" not in err and "XNNPACK" not in err


def test_opt_out_shows_everything(capfd, monkeypatch):
    monkeypatch.setenv(quiet.OPT_OUT_VARIABLE, "1")
    with quiet.native_noise_filtered():
        os.write(2, f"{XNNPACK}\n".encode())
    assert XNNPACK in capfd.readouterr().err


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (quiet.VARIABLE, quiet.OPT_OUT_VARIABLE)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env},
                          timeout=300)


def test_importing_mlbasics_changes_nothing_outside_it():
    """No TensorFlow, no import hook, no environment variable, no descriptor redirected, no matplotlib
    backend chosen: ``python -X importtime -c "import mlbasics"`` and a look at the process afterwards."""
    code = """
import os, sys
before_env, before_hooks, before_err = dict(os.environ), list(sys.meta_path), os.fstat(2)
import mlbasics
assert dict(os.environ) == before_env, set(os.environ.items()) ^ set(before_env.items())
assert sys.meta_path == before_hooks, sys.meta_path
assert os.fstat(2) == before_err
assert "matplotlib" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "mlbasics" in imported
    assert not imported & {"tensorflow", "keras", "apache_beam", "matplotlib", "ai_edge_litert"}, imported


def test_the_library_imports_tensorflow_quietly_and_leaks_no_variable():
    """The real thing, in a fresh interpreter: TensorFlow's start-up lines are gone, a message printed
    after the import still reaches stderr, and ``TF_CPP_MIN_LOG_LEVEL`` was set for the import only
    (a process started afterwards does not see it)."""
    code = ("import os, subprocess, sys\n"
            "from mlbasics.vision.yolo import trainer\n"
            "sys.stderr.write('still here\\n')\n"
            f"assert {quiet.VARIABLE!r} not in os.environ\n"
            "child = subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(%r))' % "
            f"{quiet.VARIABLE!r}], capture_output=True, text=True)\n"
            "assert child.stdout.strip() == 'None', child.stdout\n")
    done = _run(code)
    assert done.returncode == 0 and done.stderr == "still here\n", done.stderr


def test_a_variable_the_reader_set_is_kept():
    done = _run(f"import os\nfrom mlbasics.vision.yolo import trainer\nprint(os.environ[{quiet.VARIABLE!r}])",
                **{quiet.VARIABLE: "0"})
    assert done.returncode == 0 and done.stdout.strip() == "0", done.stderr


def test_lines_are_forwarded_as_they_arrive_and_survive_an_abort():
    """A native abort inside the filter: the line written just before it still reaches the terminal
    (the forwarder is its own process), and known noise written beside it does not."""
    code = ("import os\nfrom mlbasics.core import quiet\n"
            "with quiet.native_noise_filtered():\n"
            f"    os.write(2, b{XNNPACK!r} + b'\\nCheck failed: the reason for the abort\\n')\n"
            "    os.abort()\n")
    done = _run(code)
    assert done.returncode != 0
    assert "Check failed: the reason for the abort" in done.stderr and "XNNPACK" not in done.stderr
