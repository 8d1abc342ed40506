"""The one safe-mode Keras loader: every way a file can be wrong is reported with the file's name."""

import zipfile

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError
from mlbasics.io.keras_models import load_keras_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny saved model ``(batch, 3) -> (batch, 2)`` and its path."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    model.save(path)
    return model, path


def test_loads_a_keras_file_in_safe_mode(saved):
    model, path = saved
    loaded = load_keras_model(path)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-6)


def test_missing_file_and_missing_folder(tmp_path):
    with pytest.raises(DataFileError, match=r"none\.keras: no such file"):
        load_keras_model(tmp_path / "none.keras")
    with pytest.raises(DataFileError, match=r"gone\.keras: folder .* does not exist"):
        load_keras_model(tmp_path / "nowhere" / "gone.keras")
    with pytest.raises(DataFileError, match=r"m\.h5: expected a \.keras model file, got suffix '\.h5'"):
        load_keras_model(tmp_path / "m.h5")


def test_corrupt_and_truncated_files_are_not_reported_as_missing(saved, tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"this is not a zip archive at all")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(saved[1].read_bytes()[:-200])
    for path in (corrupt, truncated):
        reason = r"not a Keras model archive \(\.keras\): it is not a zip file"
        with pytest.raises(DataFileError, match=rf"{path.stem}\.keras: {reason}"):
            load_keras_model(path)


def test_a_zip_that_is_not_a_keras_archive(tmp_path):
    path = tmp_path / "photos.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.jpg", b"...")
    with pytest.raises(DataFileError, match=r"photos\.keras: not a Keras model archive \(\.keras\): it holds no "
                                            r"config\.json"):
        load_keras_model(path)


def test_a_lambda_layer_is_refused_by_safe_mode(tmp_path):
    import keras

    unsafe = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    unsafe.save(tmp_path / "lambda.keras")
    with pytest.raises(DataFileError, match=r"lambda\.keras: refused by safe mode"):
        load_keras_model(tmp_path / "lambda.keras")
