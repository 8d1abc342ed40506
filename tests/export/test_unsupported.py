"""A model with an operation no mobile format supports: a clear error, and no file left behind."""

import pytest

from mlbasics.export.api import export_model
from mlbasics.export.coreml import to_coreml
from mlbasics.export.formats import ExportError


@pytest.fixture(scope="module")
def unsupported_model():
    import keras
    import tensorflow as tf

    class IncompleteGamma(keras.layers.Layer):
        def call(self, x):
            return tf.math.igamma(x + 1.0, x + 2.0)

    inputs = keras.Input((8, 8, 3), name="image")
    return keras.Model(inputs, keras.layers.Conv2D(2, 3)(IncompleteGamma()(inputs)))


@pytest.mark.parametrize("name", ["tflite-float32", "onnx", "coreml"])
def test_unsupported_op_is_named_and_nothing_is_written(unsupported_model, tmp_path, name):
    (tmp_path / "keep.txt").write_text("earlier file")
    with pytest.raises(ExportError, match=rf"{name}: the model uses operation\(s\) \['Igamma'\]"):
        export_model(unsupported_model, tmp_path, [name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_coreml_needs_mlpackage_suffix(unsupported_model, tmp_path):
    with pytest.raises(ExportError, match=".mlpackage"):
        to_coreml(unsupported_model, tmp_path / "model.mlmodel")


def test_unknown_format(unsupported_model, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        export_model(unsupported_model, tmp_path, ["tflite-int4"])
