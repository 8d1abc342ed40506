"""The workbook's Keras models compute what Darknet computes from the same .cfg and .weights.

A small NumPy interpreter of Darknet's forward pass (channels first, as Darknet stores them; its
maxpool padding, route order and upsampling), reading the ``.weights`` file itself in Darknet's
layout, is run on the cfg and weights that :func:`export_darknet` wrote, and its ``[yolo]`` inputs are
compared with the outputs of a Keras model that :func:`load_darknet` filled from those files.
Batch norm is Darknet's own formula, ``(x - mean) / (sqrt(var) + 1e-6)``: the Keras model normalises with
``sqrt(var + eps)``, and :func:`export_darknet` writes its epsilon into the file's variances, so the file
means to Darknet what the model computes (see docs/yolo.md).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from mlbasics.vision.yolo.darknet import Cfg, read_cfg  # noqa: E402
from mlbasics.vision.yolo.pretrained import export_darknet, load_darknet  # noqa: E402
from mlbasics.vision.yolo.spec import YoloSpec  # noqa: E402


def _conv(x: np.ndarray, kernel: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """``x`` ``(in, H, W)``, ``kernel`` ``(out, in, k, k)`` -> ``(out, Ho, Wo)``, zero padding ``pad``."""
    k = kernel.shape[2]
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    ho, wo = ((n + 2 * pad - k) // stride + 1 for n in x.shape[1:])
    out = np.zeros((kernel.shape[0], ho, wo))
    for a in range(k):
        for b in range(k):
            patch = padded[:, a:a + stride * (ho - 1) + 1:stride, b:b + stride * (wo - 1) + 1:stride]
            out += np.einsum("oi,ihw->ohw", kernel[:, :, a, b], patch)
    return out


def _maxpool(x: np.ndarray, size: int, stride: int, pad: int) -> np.ndarray:
    """Darknet's maxpool: windows start at ``-(pad // 2)``, cells outside the input are skipped."""
    offset = -(pad // 2)
    ho, wo = ((n + pad - size) // stride + 1 for n in x.shape[1:])
    padded = np.full((x.shape[0], x.shape[1] + pad + size, x.shape[2] + pad + size), -np.inf)
    padded[:, -offset:-offset + x.shape[1], -offset:-offset + x.shape[2]] = x
    windows = [padded[:, n:n + stride * (ho - 1) + 1:stride, m:m + stride * (wo - 1) + 1:stride]
               for n in range(size) for m in range(size)]
    return np.max(windows, axis=0)


def darknet_forward(cfg: Cfg, weights: bytes, image: np.ndarray) -> list[np.ndarray]:
    """The inputs of each ``[yolo]`` layer ``(H, W, C)`` for ``image`` ``(H, W, 3)``."""
    numbers = np.frombuffer(weights, "<f4", offset=20).astype(np.float64)  # a 0.2 header: 20 bytes
    position = 0

    def take(count: int) -> np.ndarray:
        nonlocal position
        position += count
        return numbers[position - count:position]

    outputs: list[np.ndarray] = []
    results: list[np.ndarray] = []
    x = image.transpose(2, 0, 1).astype(np.float64)
    for layer in cfg.layers:
        v = layer.values
        if layer.kind == "convolutional":
            n, c, k = v["filters"], v["in_channels"], v["size"]
            if v["batch_normalize"]:
                beta, gamma, mean, variance = take(n), take(n), take(n), take(n)
            else:
                bias = take(n)
            x = _conv(x, take(n * c * k * k).reshape(n, c, k, k), v["stride"], v["padding"])
            if v["batch_normalize"]:
                x = (x - mean[:, None, None]) / (np.sqrt(variance[:, None, None]) + 1e-6)
                x = x * gamma[:, None, None] + beta[:, None, None]
            else:
                x = x + bias[:, None, None]
            x = np.where(x > 0, x, 0.1 * x) if v["activation"] == "leaky" else x
        elif layer.kind == "maxpool":
            x = _maxpool(x, v["size"], v["stride"], v["padding"])
        elif layer.kind == "upsample":
            x = np.repeat(np.repeat(x, v["stride"], axis=1), v["stride"], axis=2)
        elif layer.kind == "route":
            x = np.concatenate([results[i] for i in layer.inputs], axis=0)
        elif layer.kind == "shortcut":
            x = results[layer.inputs[0]] + results[layer.inputs[1]]
        elif layer.kind == "yolo":
            outputs.append(x.transpose(1, 2, 0))
        results.append(x)
    assert position == len(numbers)
    return outputs


@pytest.mark.parametrize("model", ["tiny", "full"])
def test_keras_model_computes_what_darknet_computes(tmp_path, model):
    from mlbasics.vision.yolo.model import build_detector

    anchors = np.arange(1, 1 + (12 if model == "tiny" else 18), dtype=np.float32).reshape(-1, 2) * 5
    spec = YoloSpec(anchors, ("a", "b"), 64, 0.25, model)
    detector = build_detector(spec)
    rng = np.random.default_rng(7)
    for layer in detector.layers:  # batch-norm statistics that are not the identity
        if layer.name.endswith("_bn"):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n),
                               rng.uniform(0.5, 1.5, n)])
    export_darknet(detector, spec, tmp_path / "net.cfg", tmp_path / "net.weights")
    fresh = build_detector(spec)
    load_darknet(fresh, spec, tmp_path / "net.cfg", tmp_path / "net.weights")
    image = rng.uniform(0, 1, (64, 64, 3)).astype(np.float32)
    keras_outputs = [np.asarray(o)[0] for o in fresh(image[None], training=False)]
    reference = darknet_forward(read_cfg(tmp_path / "net.cfg"), (tmp_path / "net.weights").read_bytes(), image)
    assert [o.shape for o in keras_outputs] == [r.shape for r in reference] == [tuple(s) for s in spec.output_shapes]
    for mine, theirs in zip(keras_outputs, reference):
        scale = np.abs(theirs).max()
        assert scale > 0 and np.abs(mine - theirs).max() <= 1e-4 * scale
