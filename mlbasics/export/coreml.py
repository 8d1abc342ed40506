"""Keras -> Core ML ML program (``.mlpackage``) with coremltools.

Conversion works on Linux; running the model needs macOS/iOS, so here the result is
checked through its spec: an RGB image input of the model's size (Core ML scales pixels
by 1/255, as the app's camera frames are ``uint8``) and the model's outputs by name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlbasics.core.quiet import quiet_import
from mlbasics.export.formats import ExportError, conversion_failed, quiet_converter
from mlbasics.io.files import atomic_path


def _quiet() -> Any:
    """Hide coremltools' progress bars and its 'TensorFlow version untested' warnings."""
    return quiet_converter("coremltools", hide_stderr=True)


def keras_outputs(model: Any) -> dict[str, tuple[int, ...]]:
    """The Keras model's outputs ``{name: shape with batch 1}`` in its own order."""
    tensors = model.output if isinstance(model.output, dict) else dict(zip(model.output_names, model.outputs))
    return {name: (1, *t.shape[1:]) for name, t in tensors.items()}


def match_outputs(converted: dict[str, tuple[int, ...]], keras: dict[str, tuple[int, ...]]) -> dict[str, str]:
    """``{converted name: Keras name}``, by shape where that is unambiguous, else by position."""
    mapping = {}
    for position, (name, shape) in enumerate(converted.items()):
        same = [k for k, s in keras.items() if tuple(s) == tuple(shape)]
        mapping[name] = same[0] if len(same) == 1 else list(keras)[position]
    return mapping


def convert(model: Any) -> Any:
    """The ``coremltools.models.MLModel`` (ML program, iOS 15+) with outputs named as in Keras."""
    with _quiet():
        with quiet_import():
            import coremltools as ct

        if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4 or model.inputs[0].shape[-1] != 3:
            raise ExportError(f"coreml: the model must take one (batch, height, width, 3) image, "
                              f"got inputs {[tuple(t.shape) for t in model.inputs]}")
        _, height, width, _ = model.inputs[0].shape
        image = ct.ImageType(name=model.inputs[0].name, shape=(1, height, width, 3), scale=1 / 255,
                             color_layout=ct.colorlayout.RGB)
        try:
            mlmodel = ct.convert(model, inputs=[image], convert_to="mlprogram",
                                 minimum_deployment_target=ct.target.iOS15)
        except Exception as exc:  # noqa: BLE001 - the converter raises many types
            raise conversion_failed("coreml", exc) from None
        spec = mlmodel.get_spec()
        converted = {o.name: tuple(o.type.multiArrayType.shape) for o in spec.description.output}
        for old, new in match_outputs(converted, keras_outputs(model)).items():
            ct.utils.rename_feature(spec, old, new)
        return ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir)


def to_coreml(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as a ``.mlpackage`` folder at ``path`` (atomically: all or nothing)."""
    if not str(path).endswith(".mlpackage"):
        raise ExportError(f"coreml: an ML program is saved as a .mlpackage folder, got {str(path)!r}")
    mlmodel = convert(model)
    with _quiet(), atomic_path(path) as staged:
        mlmodel.save(str(staged))
    return Path(path)


def describe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Inputs, outputs and the ML program's operations of a saved ``.mlpackage``.

    ``{"inputs": {name: {"kind": "image", "width": w, "height": h, "color": "RGB"}},
    "outputs": {name: shape}, "operations": [op types in program order]}``.
    """
    with _quiet():
        with quiet_import():
            import coremltools as ct

        spec = ct.utils.load_spec(str(path))
    inputs = {}
    for feature in spec.description.input:
        if feature.type.WhichOneof("Type") == "imageType":
            kind = feature.type.imageType
            colour = ct.proto.FeatureTypes_pb2.ImageFeatureType.ColorSpace.Name(kind.colorSpace)
            inputs[feature.name] = {"kind": "image", "width": kind.width, "height": kind.height, "color": colour}
        else:
            inputs[feature.name] = {"kind": feature.type.WhichOneof("Type")}
    operations: list[str] = []
    for function in spec.mlProgram.functions.values():
        for block in function.block_specializations.values():
            operations.extend(op.type for op in block.operations)
    outputs = {o.name: tuple(o.type.multiArrayType.shape) for o in spec.description.output}
    return {"inputs": inputs, "outputs": outputs, "operations": operations}
