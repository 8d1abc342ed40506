"""Detector on real photos: ``mlbasics yolo fit`` on the raccoon set, training seconds and mAP@0.5.

``python -m benchmarks yolo_real`` fetches the raccoon set (mirror or download, checksummed), trains
on its 160 training photos with the recipe ``fit`` picks (tiny YOLOv3, photo augmentation, weight
average) and measures mAP@0.5 on the 40 validation photos of ``datasets/splits/raccoon.json``.
The target of issue 11: mAP@0.5 >= 0.80 within 10 minutes of training on a 2-core CPU.

Options: ``--out DIR`` (default: a folder in the cache; a finished run is reported, not retrained),
``--epochs N``, ``--input-size N``, ``--width W``, ``--seed N``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SPLIT = Path(__file__).resolve().parents[1] / "datasets" / "splits" / "raccoon.json"


def main() -> None:
    from mlbasics.data.cache import cache_dir, fetch_dataset
    from mlbasics.vision.yolo.fit import fit

    parser = argparse.ArgumentParser(prog=sys.argv[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--input-size", type=int, default=None)
    parser.add_argument("--width", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(sys.argv[1:])
    root = fetch_dataset("raccoon") / "raccoon"
    out = Path(args.out) if args.out else cache_dir() / "benchmarks" / "yolo_real"
    report = fit(root, out, epochs=args.epochs, input_size=args.input_size, width=args.width, seed=args.seed,
                 split=SPLIT, progress=False)
    settings = report.settings
    print(f"raccoon: {report.train_images} training / {report.val_images} validation photos; tiny YOLOv3 width "
          f"{settings.width} at {settings.input_size} px, {settings.epochs} epochs, mosaic {settings.mosaic}, "
          f"zoom +-{settings.jitter}, EMA {settings.ema_momentum}")
    print(f"train seconds: {report.train_seconds:.0f} (target < 600)")
    print(f"mAP@0.5 = {report.map:.3f} (target >= 0.80); with the test-time flip {report.map_flip:.3f}")
    print(json.dumps({"map": round(report.map, 4), "map_flip": round(report.map_flip, 4),
                      "train_seconds": round(report.train_seconds, 1),
                      "skipped": report.skipped}))


if __name__ == "__main__":
    main()
