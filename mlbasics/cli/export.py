"""``mlbasics export MODEL.keras --to FORMAT ...``: export and check against Keras."""

from __future__ import annotations

import argparse
from pathlib import Path


def _export(args: argparse.Namespace) -> int:
    import numpy as np

    from mlbasics.export.api import export_model, load_model, runner
    from mlbasics.export.parity import FLOAT32_TOLERANCE, check_parity
    from mlbasics.export.report import ExportRow, format_table

    model = load_model(args.model)
    decode = _decoder(Path(args.model))
    stem = Path(args.model).name.split(".")[0]
    results = export_model(model, args.out_dir, args.to, stem=stem)
    x = np.random.default_rng(0).random((args.check, *model.inputs[0].shape[1:]), dtype=np.float32)
    rows, failed = [], False
    for result in results:
        run = runner(result)
        parity = check_parity(model, run, x, decode=decode) if run is not None else None
        worst = parity.worst if parity is not None else None
        ok = worst is None or not result.format.endswith(("float32", "onnx")) or worst <= FLOAT32_TOLERANCE
        failed |= not ok
        rows.append(ExportRow.of(result, parity, file=result.path.name))
    print(format_table(rows))
    if any(row.max_abs_diff is None for row in rows):
        print("-: not run here (Core ML runs on Apple systems; its spec was checked)")
    return 1 if failed else 0


def _decoder(model_path: Path):
    """The YOLO decoder for a detector's ``.weights.h5`` (its config names anchors and classes), else None."""
    if not model_path.name.endswith(".weights.h5"):
        return None
    import json

    import numpy as np

    from mlbasics.export.parity import detector_decoder
    from mlbasics.vision.yolo.train import config_path_for

    settings = json.loads(config_path_for(model_path).read_text())
    return detector_decoder(np.asarray(settings["anchors"]), len(settings["classes"]), settings["input_size"])


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics export``."""
    export = subparsers.add_parser("export", help="export a .keras model or a trained detector to TFLite, ONNX and "
                                   "Core ML and check it")
    export.add_argument("model", help="a .keras file (loaded in safe mode) or a detector's .weights.h5 "
                                      "(with its .config.json beside it)")
    export.add_argument("--to", nargs="+", default=["tflite-float32", "onnx", "coreml"],
                        choices=["tflite-float32", "tflite-float16", "tflite-int8", "onnx", "coreml"])
    export.add_argument("--out-dir", default="exported", help="folder for the exported files")
    export.add_argument("--check", type=int, default=8, help="random inputs compared against Keras")
    export.set_defaults(func=_export)
