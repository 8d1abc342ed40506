"""Detectors on real photos: fine-tuning from COCO against training from scratch, and the COCO detector's
speed against OpenCV's DNN module on the same published weights.

``python -m benchmarks yolo_real`` fetches the raccoon set (mirror or download, checksummed) and runs
``mlbasics yolo fit`` twice on its 160 training photos, with the split of ``datasets/splits/raccoon.json``:
from Darknet's published tiny-YOLOv3 trained on COCO (``fit``'s default) and from scratch
(``--from-scratch``), each with ``fit``'s own settings; it prints training minutes and mAP@0.5 on the 40
validation photos as trained (no test-time flip: what exports and the camera page run). Target of issue
20: mAP@0.5 >= 0.90 as trained within 10 minutes of training, fine-tuned, on a 2-core CPU.

Then the speed: the converted COCO detector (Keras, ``model(x)``) and ``cv2.dnn.readNetFromDarknet`` on the
same files, one photo at a time, letterboxed to 416, the same threads for both (``--threads``, default
every core), alternated, median of ``--repeats`` passes over the validation photos; photos per second and
their ratio.

Options: ``--out DIR`` (default: a folder in the cache; a finished fit is reported, not retrained),
``--only {fit,speed}``, ``--seed N``, ``--threads N``, ``--repeats N``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

SPLIT = Path(__file__).resolve().parents[1] / "datasets" / "splits" / "raccoon.json"


def _fits(root: Path, out: Path, seed: int) -> None:
    from mlbasics.vision.yolo.fit import fit

    results = {}
    for start, pretrained in (("COCO", "coco"), ("scratch", None)):
        report = fit(root, out / start.lower(), seed=seed, split=SPLIT, pretrained=pretrained, progress=False)
        s = report.settings
        results[start] = report
        print(f"{start}: width {s.width} at {s.input_size} px, {s.epochs} epochs ({s.epochs_frozen} with the "
              f"pretrained layers frozen): {report.train_seconds / 60:.1f} min of training "
              f"({report.seconds_per_epoch:.1f} s an epoch), mAP@0.5 {report.map:.3f} as trained "
              f"({report.map_flip:.3f} with the test-time flip)", flush=True)
    coco, scratch = results["COCO"], results["scratch"]
    print(f"fine-tuned from COCO / from scratch: mAP {coco.map:.3f} / {scratch.map:.3f}, training minutes "
          f"{coco.train_seconds / 60:.1f} / {scratch.train_seconds / 60:.1f} (target: COCO >= 0.90 in < 10 min)")
    print(json.dumps({name: {"map": round(r.map, 4), "map_flip": round(r.map_flip, 4),
                             "train_seconds": round(r.train_seconds, 1), "epochs": r.settings.epochs}
                      for name, r in results.items()}))


def _speed(root: Path, threads: int, repeats: int) -> None:
    import cv2
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    cv2.setNumThreads(threads)
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.io.images import load_image
    from mlbasics.vision.yolo.coco import coco_files, coco_weights
    from mlbasics.vision.yolo.detect import Detector

    if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):
        print(f"speed: OpenCV {cv2.__version__} has no Darknet reader (pip install 'opencv-python-headless<5')")
        return
    detector = Detector.load(coco_weights())
    files = coco_files()
    trained = Path(str(coco_weights()).replace(".weights.h5", ".trained-masks.cfg"))
    trained.write_text(files.cfg.read_text().replace("mask = 0,1,2", "mask = 1,2,3"))
    net = cv2.dnn.readNetFromDarknet(str(trained), str(files.weights))
    stems = json.loads(SPLIT.read_text())["val"]
    squares = [letterbox(load_image(root / "images" / f"{stem}.jpg"), 416)[0] for stem in stems]
    model = detector.model

    def keras_pass() -> float:
        start = time.perf_counter()
        for square in squares:
            model(square[None].astype(np.float32) / 255.0, training=False)
        return time.perf_counter() - start

    def opencv_pass() -> float:
        start = time.perf_counter()
        for square in squares:
            net.setInput(cv2.dnn.blobFromImage(square, 1 / 255.0, (416, 416), swapRB=False, crop=False))
            net.forward(net.getUnconnectedOutLayersNames())
        return time.perf_counter() - start

    keras_pass(), opencv_pass()  # warm-up: graph tracing, OpenCV's first allocation
    times: dict[str, list[float]] = {"keras": [], "opencv": []}
    for _ in range(repeats):
        times["keras"].append(keras_pass())
        times["opencv"].append(opencv_pass())
    rates = {name: len(squares) / statistics.median(values) for name, values in times.items()}
    print(f"COCO tiny-YOLOv3 at 416, {len(squares)} photos one at a time, {threads} thread(s), median of {repeats}: "
          f"Keras {rates['keras']:.1f} photos/s, OpenCV DNN {rates['opencv']:.1f} photos/s: "
          f"Keras / OpenCV = {rates['keras'] / rates['opencv']:.2f}")


def main() -> None:
    from mlbasics.data.cache import cache_dir, fetch_dataset

    parser = argparse.ArgumentParser(prog=sys.argv[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--only", choices=("fit", "speed"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(sys.argv[1:])
    root = fetch_dataset("raccoon") / "raccoon"
    out = Path(args.out) if args.out else cache_dir() / "benchmarks" / "yolo_real"
    if args.only != "speed":
        _fits(root, out / f"seed{args.seed}", args.seed)
    if args.only != "fit":
        _speed(root, args.threads, args.repeats)


if __name__ == "__main__":
    main()
