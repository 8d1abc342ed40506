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


def test_importing_tensorflow_after_mlbasics_prints_nothing():
    """The real thing, in a fresh interpreter: TensorFlow's start-up lines are gone, and a
    message printed after the import still reaches stderr."""
    code = "import mlbasics, tensorflow, sys; sys.stderr.write('still here\\n')"
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", quiet.OPT_OUT_VARIABLE)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          check=True)
    assert done.stderr == "still here\n", done.stderr
