import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: A small tiny-YOLOv3: 64x64 input (2x2 and 4x4 grids), 3 classes, an eighth of the published width.
SIZE, CLASSES, WIDTH = 64, 3, 0.125
ANCHORS = np.array([[6, 8], [10, 10], [14, 18], [20, 16], [26, 30], [40, 44]], dtype=np.float32)


@pytest.fixture(scope="session")
def detector(images):
    """tiny-YOLOv3 with seeded random weights (parity does not need training). Fresh random weights
    give logits near 0 (every score about 0.25), so the prediction layers are scaled to logits with a
    spread of about 2: some boxes are confident, most are not, as with a trained detector."""
    import keras

    from mlbasics.vision.yolo.model import tiny_yolo3

    keras.utils.set_random_seed(3)
    model = tiny_yolo3(SIZE, CLASSES, WIDTH)
    for layer, raw in zip((model.get_layer("output_stride32"), model.get_layer("output_stride16")),
                          model.predict(images, verbose=0)):
        kernel, bias = layer.get_weights()
        layer.set_weights([kernel * 2.0 / np.std(raw), bias])
    return model


@pytest.fixture(scope="session")
def spec():
    """The :class:`YoloSpec` of :func:`detector` (training writes it beside the weights as ``.config.json``)."""
    from mlbasics.vision.yolo.spec import YoloSpec

    return YoloSpec(ANCHORS, ("circle", "square", "triangle"), input_size=SIZE, width=WIDTH, model="tiny")


@pytest.fixture(scope="session")
def decode(spec):
    from mlbasics.export.parity import detector_decoder

    return detector_decoder(spec, score_threshold=0.5)


@pytest.fixture(scope="session")
def images():
    """Eight synthetic scenes ``(8, 64, 64, 3)`` float32 in [0, 1]."""
    from mlbasics.data.synthetic import SceneStyle, render_scene

    rng = np.random.default_rng(5)
    return np.stack([render_scene(rng, SceneStyle(SIZE, SIZE))[0] for _ in range(8)]).astype(np.float32) / 255


@pytest.fixture(scope="session")
def representative():
    """Thirty-two other synthetic scenes ``(32, 64, 64, 3)`` float32 in [0, 1]: calibration images
    for ``tflite-int8-full``, fed as the model is fed and distinct from :func:`images`."""
    from mlbasics.data.synthetic import SceneStyle, render_scene

    rng = np.random.default_rng(6)
    return np.stack([render_scene(rng, SceneStyle(SIZE, SIZE))[0] for _ in range(32)]).astype(np.float32) / 255


@pytest.fixture(scope="session")
def exported(detector, representative, tmp_path_factory):
    from mlbasics.export.api import export_model

    return {r.format: r for r in export_model(detector, tmp_path_factory.mktemp("exported"),
                                              representative=representative)}
