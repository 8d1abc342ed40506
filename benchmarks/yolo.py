"""YOLO benchmark: mAP against training time, training and inference speed, float32 vs mixed_bfloat16.

``python -m benchmarks yolo`` measures, side by side in one process:

1. inference images/s of the published tiny YOLOv3 (416x416, 3 classes) at batch 1 and 8, and
   training images/s at batch 8, in float32 and in mixed_bfloat16 (output layers kept float32);
2. the same for the workbook's detector (160x160, width 0.25, 4 classes);
3. each next to a FLOP-bound estimate: this CPU's measured float32 matmul rate divided by the
   model's FLOPs per image (x3 for training: forward, and backward for inputs and weights);
4. validation mAP against training minutes of the workbook run (lesson 07's job; trained first
   if the cache has none, about 12 minutes), and its test mAP.
"""

from __future__ import annotations

import os
import time

import numpy as np

REPEATS = 5


def _matmul_gflops() -> float:
    """Best float32 matmul rate of this CPU in GFLOP/s (2048x2048, a few runs)."""
    import tensorflow as tf

    a = tf.random.uniform((2048, 2048))
    tf.linalg.matmul(a, a)
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        tf.linalg.matmul(a, a).numpy()
        best = max(best, 2 * 2048**3 / (time.perf_counter() - start) / 1e9)
    return best


def _speeds(size: int, classes: int, width: float, policy: str) -> dict[str, float]:
    """Images/s for inference at batch 1 and 8 and training at batch 8, under a dtype ``policy``."""
    import keras
    import tensorflow as tf

    from mlbasics.vision.yolo.model import tiny_yolo3

    keras.mixed_precision.set_global_policy(policy)
    try:
        model = tiny_yolo3(size, classes, width)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    infer = tf.function(lambda x: model(x, training=False))
    optimizer = keras.optimizers.Adam()

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.add_n([tf.reduce_mean(tf.square(tf.cast(o, tf.float32))) for o in model(x, training=True)])
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)

    result = {}
    for name, batch, fn in (("infer_b1", 1, infer), ("infer_b8", 8, infer), ("train_b8", 8, step)):
        x = tf.random.uniform((batch, size, size, 3))
        fn(x)
        start = time.perf_counter()
        for _ in range(REPEATS):
            out = fn(x)
        if out is not None:
            [np.asarray(o) for o in out]
        result[name] = batch * REPEATS / (time.perf_counter() - start)
    return result


def _speed_table(gflops: float) -> None:
    from mlbasics.vision.yolo.model import conv_flops, tiny_yolo3
    from mlbasics.workbook import lessons

    for label, size, classes, width in (("tiny YOLOv3 416x416, 3 classes", 416, 3, 1.0),
                                        (f"workbook {lessons.INPUT_SIZE}x{lessons.INPUT_SIZE}, width "
                                         f"{lessons.WIDTH}, 4 classes", lessons.INPUT_SIZE, 4, lessons.WIDTH)):
        flops = conv_flops(tiny_yolo3(size, classes, width))
        bound = {"infer": gflops * 1e9 / flops, "train": gflops * 1e9 / (3 * flops)}
        f32 = _speeds(size, classes, width, "float32")
        bf16 = _speeds(size, classes, width, "mixed_bfloat16")
        print(f"\n{label}: {flops / 1e9:.2f} GFLOPs per image (forward)")
        print(f"  {'':10} {'float32':>10} {'bf16':>10} {'bf16/f32':>9} {'FLOP bound':>11} {'f32/bound':>10}")
        for key in ("infer_b1", "infer_b8", "train_b8"):
            limit = bound[key[:5]]
            print(f"  {key:10} {f32[key]:8.1f}/s {bf16[key]:8.1f}/s {bf16[key] / f32[key]:9.2f} "
                  f"{limit:9.1f}/s {f32[key] / limit:10.2f}")


def _map_curve() -> None:
    from mlbasics.data.annotation_lines import read_annotation_lines
    from mlbasics.vision.yolo.data import load_samples
    from mlbasics.vision.yolo.detect import Detector
    from mlbasics.vision.yolo.evaluate import evaluate_model
    from mlbasics.vision.yolo.train import map_curve, read_history
    from mlbasics.workbook import lessons

    weights = lessons.trained_weights()
    history = read_history(lessons.train_config().job_dir)
    print("\nvalidation mAP@0.5 against training time (lesson 07's run, "
          f"{len(history['loss'])} epochs of {lessons.SPLITS['train']} augmented images):")
    for seconds, epoch, value in map_curve(history):
        print(f"  epoch {epoch:2d}  {seconds / 60:5.1f} min  mAP {value:.3f}")
    detector = Detector.load(weights)
    spec = detector.spec
    test = load_samples(read_annotation_lines(lessons.annotation_file("test"), spec.num_classes).samples,
                        spec.input_size)
    result = evaluate_model(detector.model, test, spec).result
    print(f"test mAP@0.5 ({len(test.images)} held-out images, all-point interpolation): {result.map:.3f}; AP "
          + ", ".join(f"{spec.class_names[c]} {ap:.3f}" for c, ap in result.ap.items()))


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; figures vary with load)")
    gflops = _matmul_gflops()
    print(f"float32 matmul on this CPU: {gflops:.0f} GFLOP/s (the FLOP bound below assumes every "
          "convolution ran at this rate)")
    _speed_table(gflops)
    _map_curve()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
