"""``mlbasics export MODEL.keras --to FORMAT ...``: export and check against Keras."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlbasics.cli._args import existing_file, output_dir, positive_int
from mlbasics.export.formats import FORMATS


def _export(args: argparse.Namespace) -> int:
    import numpy as np

    from mlbasics.export.api import export_model, load_model, runner
    from mlbasics.export.parity import FLOAT32_TOLERANCE, check_parity
    from mlbasics.export.report import ExportRow, format_table

    model = load_model(args.model)
    decode = _decoder(Path(args.model))
    stem = Path(args.model).name.split(".")[0]
    results = export_model(model, args.out, args.formats, stem=stem)
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
    from mlbasics.export.parity import detector_decoder
    from mlbasics.vision.yolo.spec import YoloSpec, config_path_for

    return detector_decoder(YoloSpec.read(config_path_for(model_path)))


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics export``."""
    export = subparsers.add_parser("export", help="export a .keras model or a trained detector to TFLite, ONNX and "
                                   "Core ML and check it")
    export.add_argument("model", type=existing_file, help="a .keras file (loaded in safe mode) or a detector's "
                                                          ".weights.h5 (with its .config.json beside it)")
    # Not all of FORMATS by default: float16 and int8 are extra files a first export rarely needs.
    export.add_argument("--formats", nargs="+", default=["tflite-float32", "onnx", "coreml"], choices=list(FORMATS),
                        help="formats to write")
    export.add_argument("--out", type=output_dir, default="exported", help="folder for the exported files")
    export.add_argument("--check", type=positive_int, default=8, help="random inputs compared against Keras")
    export.set_defaults(func=_export)
