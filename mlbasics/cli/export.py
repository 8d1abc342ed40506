"""``mlbasics export MODEL --formats FORMAT ... --out DIR``: export and check against Keras (``web``: a camera
page for a detector, served by ``mlbasics serve``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlbasics.cli._args import add_param, existing_file, output_dir
from mlbasics.export.api import export_model, load_model, runner
from mlbasics.export.formats import FORMATS, ExportError, ExportResult, size_of
from mlbasics.export.onnx import OnnxRunner
from mlbasics.export.parity import CHECK, FLOAT32_TOLERANCE, check_parity, detector_decoder
from mlbasics.export.report import ExportRow, format_table
from mlbasics.export.web import to_web
from mlbasics.vision.yolo.spec import YoloSpec, config_path_for


def _export(args: argparse.Namespace) -> int:
    import numpy as np


    if "web" in args.formats and not args.model.endswith(".weights.h5"):
        raise ExportError(f"web: the camera page runs YOLO detectors; give a detector's .weights.h5 (with its "
                          f".config.json beside it), got {Path(args.model).name}")
    model = load_model(args.model)
    decode = _decoder(Path(args.model))
    stem = Path(args.model).name.split(".")[0]
    results = export_model(model, args.out, [f for f in args.formats if f != "web"], stem=stem)
    if "web" in args.formats:
        results.append(_export_web(model, Path(args.model), Path(args.out, f"{stem}-web")))
    x = np.random.default_rng(0).random((args.check, *model.inputs[0].shape[1:]), dtype=np.float32)
    rows, failed = [], False
    for result in results:
        run = _web_runner(result) if result.format == "web" else runner(result)
        parity = check_parity(model, run, x, decode=decode) if run is not None else None
        worst = parity.worst if parity is not None else None
        ok = worst is None or not result.format.endswith(("float32", "onnx", "web")) or worst <= FLOAT32_TOLERANCE
        failed |= not ok
        shown = f"{result.path.parent.name}/" if result.format == "web" else result.path.name
        rows.append(ExportRow.of(result, parity, file=shown))
    print(format_table(rows))
    if any(row.max_abs_diff is None for row in rows):
        print("-: not run here (Core ML runs on Apple systems; its spec was checked)")
    if "web" in args.formats:
        print(f"web: serve the page with `mlbasics serve {Path(args.out, stem + '-web')}` "
              "(add --phone to open it on a phone)")
    return 1 if failed else 0


def _web_runner(result):
    """The web page's model.onnx, run with onnxruntime in Python (the page runs the same file)."""
    return OnnxRunner(result.path)


def _export_web(model, model_path: Path, folder: Path):
    """The camera page of a detector (its ``.weights.h5`` names the spec); the row's runner is its model.onnx."""
    to_web(model, YoloSpec.read(config_path_for(model_path)), folder)
    return ExportResult("web", folder / "model.onnx", size_of(folder))


def _decoder(model_path: Path):
    """The YOLO decoder for a detector's ``.weights.h5`` (its config names anchors and classes), else None."""
    if not model_path.name.endswith(".weights.h5"):
        return None

    return detector_decoder(YoloSpec.read(config_path_for(model_path)))


#: What --formats offers: every format that needs nothing but the model.
COMMAND_FORMATS = [name for name in FORMATS if name != "tflite-int8-full"]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics export``."""
    export = subparsers.add_parser("export", help="export a .keras model or a trained detector to TFLite, ONNX and "
                                   "Core ML and check it")
    export.add_argument("model", type=existing_file, help="a .keras file (loaded in safe mode) or a detector's "
                                                          ".weights.h5 (with its .config.json beside it)")
    # Not all of FORMATS by default: float16 and int8 are extra files a first export rarely needs.
    # Full-integer int8 is calibrated on representative images, which only the Python API takes
    # (export_model(..., representative=frames), lesson 12), so the command does not offer it.
    export.add_argument("--formats", nargs="+", default=["tflite-float32", "onnx", "coreml"],
                        choices=[*COMMAND_FORMATS, "web"],
                        help="formats to write; web: a folder with a camera page for a detector (mlbasics serve); "
                             "full-integer int8 needs representative images: use the Python API (lesson 12)")
    export.add_argument("--out", type=output_dir, default="exported", help="folder for the exported files")
    add_param(export, CHECK)
    export.set_defaults(func=_export)
