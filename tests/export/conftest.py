import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def detector():
    """The lesson's detector with seeded random weights (parity does not need training)."""
    import keras

    from mlbasics.cloud.model import build_detector

    keras.utils.set_random_seed(3)
    return build_detector(image_size=64, num_classes=3)


@pytest.fixture(scope="session")
def exported(detector, tmp_path_factory):
    from mlbasics.export.api import export_model

    return {r.format: r for r in export_model(detector, tmp_path_factory.mktemp("exported"))}
