"""Darknet's published YOLOv3 / tiny-YOLOv3 weights in the workbook's Keras models, and back.

keras-yolo3's ``convert.py`` workflow: read ``yolov3-tiny.cfg`` + ``yolov3-tiny.weights`` (trained on
COCO's 80 classes), keep every layer, and start the class-dependent prediction layers afresh for the
reader's own classes (:func:`load_pretrained`); or load all of it to detect COCO's classes
(:func:`load_darknet`, with the anchors :func:`darknet_spec` reads from the cfg).

The workbook's models are Darknet's networks layer for layer: :func:`darknet_cfg_text` writes the
cfg of a Keras model (the published ``yolov3-tiny.cfg`` for tiny at width 1.0 and 80 classes, up to
its ``[net]`` training settings and the anchor masks), and a cfg is only loaded when its layers, their
order, kernel sizes, strides, filter counts and routes are those of the model. Darknet's published
weights need width 1.0 (the published filter counts); a model of another width is refused, naming
the first layer that differs. Each Darknet ``[convolutional]`` layer is a Keras unit ``<name>_conv``
(no bias) + ``<name>_bn``, or, for the prediction layers (``batch_normalize=0``), one ``Conv2D``
with a bias: :func:`conv_units` lists them in cfg order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.quiet import quiet_import
from mlbasics.data.annotation_lines import read_classes
from mlbasics.io.files import atomic_write
from mlbasics.vision.cnn import save_keras
from mlbasics.vision.yolo.darknet import (
    CURRENT_VERSION,
    Cfg,
    ConvWeights,
    DarknetWeights,
    Layer,
    parse_cfg,
    read_cfg,
    read_weights,
    write_weights,
)
from mlbasics.vision.yolo.model import build_detector
from mlbasics.vision.yolo.spec import DARKNET_BATCH_NORM_EPSILON, MASKS, YoloSpec, check_input_size, config_path_for

#: The width a start from Darknet's weights needs: they have the published filter counts.
PRETRAINED_WIDTH = 1.0

#: The prediction layers (1x1, bias, linear): their filter count is ``3 * (5 + classes)``.
OUTPUTS = {"tiny": ("output_stride32", "output_stride16"),
           "full": ("output_stride32", "output_stride16", "output_stride8")}
#: Darknet-53's stages: (stage, residual blocks).
STAGES = ((1, 1), (2, 2), (3, 8), (4, 8), (5, 4))
#: The anchors of Darknet's published ``yolov3-tiny.cfg`` (input pixels at 416).
PUBLISHED_TINY_ANCHORS = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))
#: The masks the published tiny-YOLOv3 weights were trained with. The published cfg's second ``[yolo]``
#: says ``mask = 0,1,2``, but the weights were trained with ``1,2,3`` (pjreddie/darknet issue 851,
#: AlexeyAB/darknet issue 1341; AlexeyAB's cfg says ``1,2,3``): with ``0,1,2`` the finer scale's boxes
#: come out too small (people half their height) and a test set's class-agnostic AP fell from 0.59 to 0.46.
PUBLISHED_TINY_TRAINED_MASKS = ((3, 4, 5), (1, 2, 3))
#: What :func:`load_pretrained` starts afresh: only the class channels of the prediction layers (their box
#: and objectness channels, which do not depend on the classes, are kept), the prediction layers
#: (keras-yolo3), or every layer after the backbone.
REINITIALISE = ("classes", "outputs", "heads")


def conv_units(model: str) -> list[str]:
    """The Keras units of the ``"tiny"`` or ``"full"`` model in Darknet cfg order, one per
    ``[convolutional]`` layer (13 tiny, 75 full)."""
    if model == "tiny":
        return [f"backbone{i}" for i in range(1, 8)] + [
            "head1", "head1_out", "output_stride32", "head2", "head2_out", "output_stride16"]
    units = ["darknet0"]
    for stage, blocks in STAGES:
        units.append(f"darknet{stage}_down")
        units += [f"darknet{stage}_{b}{part}" for b in range(blocks) for part in "ab"]
    for scale, up in (("stride32", None), ("stride16", "up16"), ("stride8", "up8")):
        units += ([up] if up else []) + [f"{scale}_{i}" for i in range(6)] + [f"output_{scale}"]
    return units


def backbone_units(model: str) -> list[str]:
    """The units of the backbone (Darknet's first 13 layers tiny, the 75 of ``darknet53.conv.74`` full)."""
    prefix = "backbone" if model == "tiny" else "darknet"
    return [unit for unit in conv_units(model) if unit.startswith(prefix)]


def _keras_layers(model: Any, unit: str, kind: str) -> tuple[Any, Any | None]:
    """``(conv, batch_norm)`` of ``unit`` (``batch_norm`` is ``None`` for a prediction layer)."""
    names = (unit, None) if unit in OUTPUTS[kind] else (f"{unit}_conv", f"{unit}_bn")
    try:
        return tuple(model.get_layer(name) if name else None for name in names)  # type: ignore[return-value]
    except ValueError:
        raise InputError(f"the model has no layer {names[0]!r}: not the workbook's {kind} model "
                         "(build it with build_detector(spec))") from None


def check_units(model: Any, kind: str) -> None:
    """Raise unless the model's ``Conv2D`` layers are exactly those of :func:`conv_units`."""
    with quiet_import():
        import keras

    known = {_keras_layers(model, unit, kind)[0].name for unit in conv_units(kind)}
    extra = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D) and layer.name not in known]
    if extra:
        raise InputError(f"the model has convolutions Darknet's {kind} network lacks: {extra}")


# --- the cfg of a Keras model ---------------------------------------------------------------------


class _CfgWriter:
    """Builds cfg text section by section, counting layers (routes need their indices)."""

    def __init__(self, spec: YoloSpec):
        self.lines = ["[net]", "# written by mlbasics.vision.yolo.pretrained.darknet_cfg_text",
                      f"width={spec.input_size}", f"height={spec.input_size}", "channels=3", ""]
        self.count = 0

    def section(self, kind: str, **options: Any) -> int:
        self.lines += [f"[{kind}]", *(f"{key}={value}" for key, value in options.items()), ""]
        self.count += 1
        return self.count - 1

    def conv(self, model: Any, unit: str, kind: str) -> int:
        conv, bn = _keras_layers(model, unit, kind)
        options = {"batch_normalize": 1} if bn is not None else {}
        return self.section("convolutional", **options, filters=conv.filters, size=conv.kernel_size[0],
                            stride=conv.strides[0], pad=1, activation="leaky" if bn is not None else "linear")

    def yolo(self, spec: YoloSpec, scale: int) -> None:
        anchors = ",  ".join(",".join(np.format_float_positional(v, trim="-") for v in pair) for pair in spec.anchors)
        self.section("yolo", mask=",".join(str(m) for m in spec.masks[scale]), anchors=anchors,
                     classes=spec.num_classes, num=len(spec.anchors))


def darknet_cfg_text(model: Any, spec: YoloSpec) -> str:
    """The Darknet ``.cfg`` of ``model`` (built by ``build_detector(spec)``): its layers, filter counts,
    anchors and classes; ``[net]`` gives only the input size."""
    kind = spec.model
    out = _CfgWriter(spec)
    if kind == "tiny":
        stride16 = -1  # the layer the second scale routes to: backbone5's convolution, before its pool
        for index in range(1, 7):
            conv = out.conv(model, f"backbone{index}", kind)
            stride16 = conv if index == 5 else stride16
            out.section("maxpool", size=2, stride=1 if index == 6 else 2)
        for unit in ("backbone7", "head1", "head1_out", "output_stride32"):
            out.conv(model, unit, kind)
        out.yolo(spec, 0)
        out.section("route", layers=-4)
        out.conv(model, "head2", kind)
        out.section("upsample", stride=2)
        out.section("route", layers=f"-1, {stride16}")
        out.conv(model, "head2_out", kind)
        out.conv(model, "output_stride16", kind)
        out.yolo(spec, 1)
    else:
        out.conv(model, "darknet0", kind)
        routes = []
        for stage, blocks in STAGES:
            out.conv(model, f"darknet{stage}_down", kind)
            for b in range(blocks):
                out.conv(model, f"darknet{stage}_{b}a", kind)
                out.conv(model, f"darknet{stage}_{b}b", kind)
                out.section("shortcut", **{"from": -3}, activation="linear")
            routes.append(out.count - 1)
        for scale, (name, up, route) in enumerate((("stride32", None, None), ("stride16", "up16", routes[3]),
                                                   ("stride8", "up8", routes[2]))):
            if up:
                out.section("route", layers=-4)
                out.conv(model, up, kind)
                out.section("upsample", stride=2)
                out.section("route", layers=f"-1, {route}")
            for i in range(6):
                out.conv(model, f"{name}_{i}", kind)
            out.conv(model, f"output_{name}", kind)
            out.yolo(spec, scale)
    return "\n".join(out.lines)


# --- comparing a cfg with the model ---------------------------------------------------------------


def _differences(layer: Layer, expected: Layer, outputs: bool) -> list[tuple[str, Any, Any]]:
    """``(key, cfg value, model value)`` for each structural value that differs."""
    keys = {"convolutional": ("size", "stride", "padding", "batch_normalize", "activation", "in_channels"),
            "maxpool": ("size", "stride", "padding"), "upsample": ("stride",), "shortcut": ("activation",),
            "route": (), "yolo": ()}[layer.kind]
    found = [(key, layer.values[key], expected.values[key]) for key in keys
             if layer.values[key] != expected.values[key]]
    if layer.kind == "convolutional" and (outputs or expected.values["batch_normalize"]):
        found += [("filters", layer.values["filters"], expected.values["filters"])] * (
            layer.values["filters"] != expected.values["filters"])
    if layer.kind in ("route", "shortcut") and layer.inputs != expected.inputs:
        found.append(("layers" if layer.kind == "route" else "from", list(layer.inputs), list(expected.inputs)))
    if layer.kind == "yolo":
        if len(layer.values["mask"]) != len(expected.values["mask"]):
            found.append(("mask", len(layer.values["mask"]), len(expected.values["mask"])))
        if outputs and layer.values["classes"] != expected.values["classes"]:
            found.append(("classes", layer.values["classes"], expected.values["classes"]))
    return found


def check_structure(cfg: Cfg, model: Any, spec: YoloSpec, *, outputs: bool = True) -> None:
    """Raise a :class:`DataFileError` naming the cfg's line and key unless ``cfg`` describes ``model``
    layer for layer (with ``outputs=False`` the prediction layers' filter counts, i.e. the class
    count, may differ)."""
    check_units(model, spec.model)
    expected = parse_cfg(darknet_cfg_text(model, spec), "<the workbook's model>")
    scales = len(cfg.yolo_layers)
    if scales != len(expected.yolo_layers):
        guess = {2: "a tiny-YOLOv3 cfg", 3: "a YOLOv3 cfg"}.get(scales, "neither YOLOv3 nor tiny-YOLOv3")
        raise DataFileError(cfg.path, f"{scales} [yolo] layers, {guess}; the model is {spec.model!r} "
                            f"({len(expected.yolo_layers)})")
    if int(cfg.net.options.get("channels", ("3", 0))[0]) != 3:
        raise cfg.error(cfg.net, "channels", "the workbook's models take 3 channels (RGB)")
    width = f" (the model has width {spec.width:g}; Darknet's published weights need width 1.0)" if (
        spec.width != 1.0) else ""
    for layer, want in zip(cfg.layers, expected.layers):
        if layer.kind != want.kind:
            raise cfg.error(layer.section, None, f"the workbook's {spec.model} model has [{want.kind}] here")
        for key, have, need in _differences(layer, want, outputs):
            hint = width if key in ("filters", "in_channels") else ""
            raise cfg.error(layer.section, key if key in layer.section.options else None,
                            f"{key}={have}, the workbook's {spec.model} model has {need} here{hint}")
    if len(cfg.layers) != len(expected.layers):
        extra = cfg.layers[len(expected.layers)] if len(cfg.layers) > len(expected.layers) else None
        raise DataFileError(cfg.path, f"{len(cfg.layers)} layers, the workbook's {spec.model} model has "
                            f"{len(expected.layers)}", line=extra.section.line if extra else None)


def cfg_masks(cfg: Cfg, masks: Sequence[Sequence[int]] | None = None) -> list[tuple[int, ...]]:
    """Each ``[yolo]`` layer's anchor indices: ``masks`` if given, else the cfg's own, except that the
    published tiny-YOLOv3 cfg (its anchors, masks ``3,4,5`` / ``0,1,2``) gets the masks its weights were
    trained with, :data:`PUBLISHED_TINY_TRAINED_MASKS`."""
    written = [tuple(int(i) for i in layer.values["mask"]) for layer in cfg.yolo_layers]
    if masks is not None:
        chosen = [tuple(int(i) for i in mask) for mask in masks]
        if len(chosen) != len(written):
            raise InputError(f"masks: {len(chosen)} given, the cfg {cfg.path} has {len(written)} [yolo] layers")
        return chosen
    anchors = [layer.values["anchors"] for layer in cfg.yolo_layers]
    published = all(np.array_equal(a, np.array(PUBLISHED_TINY_ANCHORS, np.float32)) for a in anchors)
    if published and written == [(3, 4, 5), (0, 1, 2)]:
        return list(PUBLISHED_TINY_TRAINED_MASKS)
    return written


def darknet_anchors(cfg: Cfg | str | os.PathLike[str], masks: Sequence[Sequence[int]] | None = None) -> np.ndarray:
    """The cfg's anchors ``(k, 2)`` arranged for the workbook's masks: scale ``s`` gets ``MASKS[model][s]``,
    which are the anchors the cfg's mask (:func:`cfg_masks`) picks for its ``s``-th ``[yolo]`` layer."""
    cfg = cfg if isinstance(cfg, Cfg) else read_cfg(cfg)
    yolos = cfg.yolo_layers
    kind = {2: "tiny", 3: "full"}.get(len(yolos))
    if kind is None:
        raise DataFileError(cfg.path, f"{len(yolos)} [yolo] layers: neither tiny-YOLOv3 (2) nor YOLOv3 (3)")
    anchors = np.zeros((sum(len(m) for m in MASKS[kind]), 2), np.float32)
    for layer, mask, cfg_mask in zip(yolos, MASKS[kind], cfg_masks(cfg, masks)):
        if len(cfg_mask) != len(mask):
            raise cfg.error(layer.section, "mask", f"{len(cfg_mask)} anchors, the workbook uses {len(mask)}")
        if not all(0 <= i < len(layer.values["anchors"]) for i in cfg_mask):
            raise cfg.error(layer.section, "mask", f"indices {list(cfg_mask)} outside the "
                            f"{len(layer.values['anchors'])} anchors")
        anchors[list(mask)] = layer.values["anchors"][list(cfg_mask)]
    return anchors


def darknet_spec(cfg: Cfg | str | os.PathLike[str], class_names: Any, *, input_size: int | None = None,
                 width: float = 1.0, masks: Sequence[Sequence[int]] | None = None) -> YoloSpec:
    """The :class:`YoloSpec` of a Darknet detector: the model kind from its ``[yolo]`` count, each
    scale's anchors as its ``mask`` picks them, ``class_names`` (e.g. ``coco.names``' 80) and the
    ``[net]`` input size unless ``input_size`` is given.

    The workbook gives scale ``s`` the anchors ``MASKS[model][s]``; the spec's anchor list is
    arranged so that those are the cfg's (a cfg whose masks share an anchor, like tiny-YOLOv3's
    ``3,4,5`` / ``1,2,3`` as its weights were trained, lists it twice). ``masks``: see :func:`cfg_masks`.
    The spec has Darknet's batch-norm epsilon, so a model built from it computes Darknet's outputs.
    """
    cfg = cfg if isinstance(cfg, Cfg) else read_cfg(cfg)
    yolos = cfg.yolo_layers
    kind = {2: "tiny", 3: "full"}.get(len(yolos))
    if kind is None:
        raise DataFileError(cfg.path, f"{len(yolos)} [yolo] layers: neither tiny-YOLOv3 (2) nor YOLOv3 (3)")
    names = list(class_names)
    for layer in yolos:
        if layer.values["classes"] != len(names):
            raise cfg.error(layer.section, "classes", f"{layer.values['classes']} classes, {len(names)} names given")
    anchors = darknet_anchors(cfg, masks)
    if input_size is None:
        size = {int(cfg.net.options[k][0]) for k in ("width", "height")}
        if len(size) != 1:
            raise cfg.error(cfg.net, "width", "width and height differ; the workbook's models are square: "
                            "give input_size")
        input_size = size.pop()
        try:
            check_input_size(input_size)
        except InputError as exc:
            raise cfg.error(cfg.net, "width", f"{exc}; give input_size") from None
    return YoloSpec(anchors, tuple(names), check_input_size(input_size), width, kind, DARKNET_BATCH_NORM_EPSILON)


# --- loading and writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """What a load did: the files, the weights header, the Keras layers set from the file and those
    started afresh (``reinitialised``)."""

    cfg: str
    weights: str
    version: tuple[int, int, int]
    seen: int
    loaded: tuple[str, ...]
    reinitialised: tuple[str, ...]

    def summary(self) -> str:
        """One line: how many layers came from which file, and which were started afresh."""
        text = (f"{len(self.loaded)} Keras layers from {Path(self.weights).name} (Darknet weights version "
                f"{'.'.join(map(str, self.version))}, {self.seen} training images seen)")
        return text + (f"; started afresh: {', '.join(self.reinitialised)}" if self.reinitialised else "")


def _assign(conv: Any, bn: Any | None, weights: ConvWeights) -> list[str]:
    if bn is None:
        conv.set_weights([weights.kernel, weights.bias])
        return [conv.name]
    if weights.batch_norm is None:  # read_weights follows the cfg, which check_structure compared with the model
        raise InputError(f"{conv.name}: the weights have no batch normalisation, the model has")
    conv.set_weights([weights.kernel])
    bn.set_weights(list(weights.batch_norm))  # Keras's order: gamma, beta, moving mean, moving variance
    return [conv.name, bn.name]


def _to_epsilon(weights: ConvWeights, bn: Any | None) -> ConvWeights:
    """Darknet's batch norm (epsilon :data:`DARKNET_BATCH_NORM_EPSILON`) as numbers for ``bn``'s epsilon: a
    larger epsilon takes the difference off the variance where that stays positive (a model built from
    :func:`darknet_spec` has Darknet's epsilon and gets the numbers unchanged)."""
    if bn is None or weights.batch_norm is None or bn.epsilon == DARKNET_BATCH_NORM_EPSILON:
        return weights
    gamma, beta, mean, variance = weights.batch_norm
    shifted = np.maximum(variance + np.float32(DARKNET_BATCH_NORM_EPSILON - bn.epsilon), 0.0).astype(np.float32)
    return ConvWeights(weights.kernel, bias=weights.bias, batch_norm=(gamma, beta, mean, shifted))


def _reinitialise(layer: Any) -> None:
    """Give ``layer``'s variables fresh values from its own initialisers (seeded by the global seed)."""
    initialisers = {"kernel": "kernel_initializer", "bias": "bias_initializer", "gamma": "gamma_initializer",
                    "beta": "beta_initializer", "moving_mean": "moving_mean_initializer",
                    "moving_variance": "moving_variance_initializer"}
    for attribute, initialiser in initialisers.items():
        variable = getattr(layer, attribute, None)
        if variable is not None:
            variable.assign(getattr(layer, initialiser)(variable.shape, variable.dtype))


def _load(model: Any, spec: YoloSpec, cfg_path: str | os.PathLike[str], weights_path: str | os.PathLike[str],
          fresh: set[str], outputs: bool, masks: Sequence[Sequence[int]] | None = None) -> LoadReport:
    cfg = read_cfg(cfg_path)
    check_structure(cfg, model, spec, outputs=outputs)
    if outputs:
        for scale, (layer, mask) in enumerate(zip(cfg.yolo_layers, cfg_masks(cfg, masks))):
            have = layer.values["anchors"][list(mask)]
            if not np.array_equal(have, spec.scale_anchors(scale)):
                raise cfg.error(layer.section, "anchors", f"this scale's anchors are {have.tolist()}, the spec's "
                                f"{spec.scale_anchors(scale).tolist()}: use darknet_spec(cfg, class_names)")
    weights = read_weights(weights_path, cfg)
    loaded: list[str] = []
    started: list[str] = []
    for unit, conv_weights in zip(conv_units(spec.model), weights.layers):
        conv, bn = _keras_layers(model, unit, spec.model)
        if unit in fresh:
            for keras_layer in (conv, bn):
                if keras_layer is not None:
                    _reinitialise(keras_layer)
                    started.append(keras_layer.name)
        else:
            loaded += _assign(conv, bn, _to_epsilon(conv_weights, bn))
    return LoadReport(str(cfg_path), str(weights_path), weights.version, weights.seen, tuple(loaded), tuple(started))


def load_darknet(model: Any, spec: YoloSpec, cfg_path: str | os.PathLike[str],
                 weights_path: str | os.PathLike[str], *, masks: Sequence[Sequence[int]] | None = None) -> LoadReport:
    """Load every layer of a Darknet detector into ``model`` (``build_detector(spec)``, ``spec`` from
    :func:`darknet_spec` with the same ``masks``): same layers, classes and anchors, or a :class:`DataFileError`."""
    return _load(model, spec, cfg_path, weights_path, set(), outputs=True, masks=masks)


def load_pretrained(model: Any, spec: YoloSpec, cfg_path: str | os.PathLike[str],
                    weights_path: str | os.PathLike[str], *, reinitialise: str = "outputs",
                    file_classes: Sequence[str] = ()) -> LoadReport:
    """Start ``model`` (``build_detector(spec)``, any class count and anchors) from a Darknet detector.

    ``reinitialise="outputs"`` (keras-yolo3's workflow) keeps every layer but the prediction layers,
    which depend on the classes and start afresh; ``"heads"`` keeps only the backbone
    (:func:`backbone_units`). ``"classes"`` also keeps each prediction layer's box and objectness
    channels (meaningful when ``spec``'s anchors are the file's, as :func:`darknet_spec` arranges them):
    the detector starts out finding what the file's detector finds. A class channel starts from the
    file's class of the same name in ``file_classes`` (e.g. ``person``), else at zero weights and a
    bias of 0 (probability 0.5 everywhere) for training to set. The report's ``loaded`` names the
    layers that came from the file whole (the ones to freeze for a first stage).
    """
    if reinitialise not in REINITIALISE:
        raise InputError(f"reinitialise must be one of {', '.join(REINITIALISE)}, got {reinitialise!r}")
    keep = set(backbone_units(spec.model)) if reinitialise == "heads" else (
        set(conv_units(spec.model)) - set(OUTPUTS[spec.model]))
    report = _load(model, spec, cfg_path, weights_path, set(conv_units(spec.model)) - keep, outputs=False)
    if reinitialise != "classes":
        return report
    weights = read_weights(weights_path, read_cfg(cfg_path))
    for unit, conv_weights in zip(conv_units(spec.model), weights.layers):
        if unit in OUTPUTS[spec.model]:
            conv = model.get_layer(unit)
            conv.set_weights(list(_class_channels(conv_weights, spec.class_names, list(file_classes))))
    return report


def _class_channels(weights: ConvWeights, classes: Sequence[str], file_classes: list[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A prediction layer's ``(kernel (1, 1, in, 3 * (5 + C)), bias)`` for ``classes`` from the file's: each
    anchor's box and objectness channels as they are, class channels by name or zero."""
    kernel, bias = weights.kernel, weights.bias
    assert bias is not None  # a prediction layer has a bias, never batch norm (check_structure compared them)
    anchors = 3
    file_per_anchor = kernel.shape[-1] // anchors
    per_anchor = 5 + len(classes)
    new_kernel = np.zeros((*kernel.shape[:-1], anchors * per_anchor), np.float32)
    new_bias = np.zeros((anchors * per_anchor,), np.float32)
    for a in range(anchors):
        source, target = a * file_per_anchor, a * per_anchor
        new_kernel[..., target:target + 5] = kernel[..., source:source + 5]
        new_bias[target:target + 5] = bias[source:source + 5]
        for c, name in enumerate(classes):
            if name in file_classes:
                new_kernel[..., target + 5 + c] = kernel[..., source + 5 + file_classes.index(name)]
                new_bias[target + 5 + c] = bias[source + 5 + file_classes.index(name)]
    return new_kernel, new_bias


def model_weights(model: Any, spec: YoloSpec, *, seen: int = 0,
                  version: tuple[int, int, int] = CURRENT_VERSION) -> DarknetWeights:
    """``model``'s numbers as a :class:`DarknetWeights`, one entry per Darknet convolution."""
    layers = []
    for unit in conv_units(spec.model):
        conv, bn = _keras_layers(model, unit, spec.model)
        if bn is None:
            kernel, bias = conv.get_weights()
            layers.append(ConvWeights(kernel, bias=bias))
        else:  # Darknet's epsilon is smaller: the rest of the model's goes into the variance
            gamma, beta, mean, variance = bn.get_weights()
            variance = (variance + np.float32(bn.epsilon - DARKNET_BATCH_NORM_EPSILON)).astype(np.float32)
            layers.append(ConvWeights(conv.get_weights()[0], batch_norm=(gamma, beta, mean, variance)))
    return DarknetWeights(version, seen, tuple(layers))


def export_darknet(model: Any, spec: YoloSpec, cfg_path: str | os.PathLike[str], weights_path: str | os.PathLike[str],
                   *, seen: int = 0, version: tuple[int, int, int] = CURRENT_VERSION) -> None:
    """Write ``model`` as a Darknet ``.cfg`` + ``.weights`` pair (both atomically), for Darknet, OpenCV's
    ``readNetFromDarknet`` and other tools that read them."""
    text = darknet_cfg_text(model, spec)
    cfg = parse_cfg(text, cfg_path)
    write_weights(weights_path, model_weights(model, spec, seen=seen, version=version), cfg)
    with atomic_write(cfg_path, "w") as handle:
        handle.write(text)


def cfg_beside(weights_path: str | os.PathLike[str]) -> Path:
    """``yolov3-tiny.weights`` -> ``yolov3-tiny.cfg`` beside it (where the docs say to save it)."""
    path = Path(weights_path)
    return path.with_suffix(".cfg")


def convert_darknet(cfg_path: str | os.PathLike[str], weights_path: str | os.PathLike[str],
                    classes_path: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    input_size: int | None = None, masks: Sequence[Sequence[int]] | None = None) -> LoadReport:
    """A Darknet detector as the workbook's files: ``out`` (``.weights.h5``) and the ``.config.json``
    beside it, which ``mlbasics yolo detect`` and ``evaluate`` take (e.g. ``coco.names`` for COCO)."""
    spec = darknet_spec(cfg_path, read_classes(classes_path), input_size=input_size, masks=masks)
    model = build_detector(spec)
    report = load_darknet(model, spec, cfg_path, weights_path, masks=masks)
    save_keras(model, out)
    spec.write(config_path_for(out))
    return report
