"""The NumPy face-descriptor network gives dlib's own descriptors on real faces, and a file that is
not dlib's network is refused with its name."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.io.images import load_image
from mlbasics.pipelines.faces.descriptor_net import CHIP_SIZE, read_descriptor_net
from mlbasics.pipelines.faces.models import CHIP_PADDING, DESCRIPTOR_FILE, FaceModels, model_folder

dlib = pytest.importorskip("dlib")

PHOTOS = ("2008_004176.jpg", "2009_004587.jpg", "2007_007763.jpg")  # 7, 2 and 7 faces, 37 px and up


@pytest.fixture(scope="module")
def net():
    return read_descriptor_net(model_folder() / DESCRIPTOR_FILE)


def _faces(image: np.ndarray):
    """dlib's landmarks of every face the default policy finds, and their aligned chips ``(n, 150, 150, 3)``."""
    landmarks = dlib.shape_predictor(str(model_folder() / "shape_predictor_5_face_landmarks.dat"))
    shapes = dlib.full_object_detections([landmarks(image, dlib.rectangle(int(a), int(b), int(c) - 1, int(d) - 1))
                                          for a, b, c, d in FaceModels().boxes(image)])
    return shapes, np.stack(dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING))


@pytest.mark.parametrize("name", PHOTOS)
def test_descriptors_equal_dlibs_own_network_on_real_faces(name, net, faces_root):
    image = np.ascontiguousarray(load_image(faces_root / "voc_faces" / name))
    shapes, chips = _faces(image)
    assert len(shapes) >= 2
    reference = np.array(dlib.face_recognition_model_v1(str(model_folder() / DESCRIPTOR_FILE))
                         .compute_face_descriptor(image, shapes))
    ours = net.descriptors(chips)
    assert ours.shape == reference.shape == (len(shapes), 128)
    assert np.abs(ours - reference).max() < 1e-5  # measured: 3e-7
    # and through FaceModels, which the pipelines use: the same faces, the same descriptors
    faces = FaceModels().faces(image)
    by_left = sorted(range(len(shapes)), key=lambda i: (shapes[i].rect.left(), shapes[i].rect.top()))
    assert np.abs(np.stack([f.descriptor for f in faces]) - reference[by_left]).max() < 1e-5


def test_different_faces_stay_apart_and_chips_are_checked(net, faces_root):
    image = np.ascontiguousarray(load_image(faces_root / "voc_faces" / PHOTOS[0]))
    descriptors = np.stack([f.descriptor for f in FaceModels().faces(image)])
    distances = np.linalg.norm(descriptors[:, None] - descriptors[None], axis=-1)
    assert distances[~np.eye(len(descriptors), dtype=bool)].min() > 0.6  # seven different people
    assert net.descriptors(np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)).shape == (0, 128)
    with pytest.raises(InputError, match=r"chips must be \(n, 150, 150, 3\) uint8, got \(2, 150, 150\)"):
        net.descriptors(np.zeros((2, CHIP_SIZE, CHIP_SIZE), np.uint8))


def test_a_file_that_is_not_the_network_is_refused_with_its_name(tmp_path):
    data = (model_folder() / DESCRIPTOR_FILE).read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(data[: data.index(b"fc_2") - 2])  # the last layer missing
    with pytest.raises(DataFileError, match=r"cut\.dat: not dlib's face descriptor network: .*fc_ missing"):
        read_descriptor_net(cut)
    cut.write_bytes(data[: len(data) // 2])  # ends inside a layer's values
    with pytest.raises(DataFileError, match=r"cut\.dat: not dlib's face descriptor network"):
        read_descriptor_net(cut)
    other = tmp_path / "landmarks.dat"
    other.write_bytes((model_folder() / "shape_predictor_5_face_landmarks.dat").read_bytes())
    with pytest.raises(DataFileError, match="landmarks.dat: not dlib's face descriptor network"):
        read_descriptor_net(other)


def test_many_chips_run_in_parts_with_the_same_descriptors(net, faces_root, monkeypatch):
    from mlbasics.pipelines.faces import descriptor_net

    _, chips = _faces(np.ascontiguousarray(load_image(faces_root / "voc_faces" / PHOTOS[0])))
    whole = net.descriptors(chips)
    monkeypatch.setattr(descriptor_net, "CHIPS_AT_ONCE", 3)  # 7 faces: parts of 3, 3 and 1
    assert np.abs(net.descriptors(chips) - whole).max() < 1e-5
