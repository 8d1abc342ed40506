"""Darknet .cfg/.weights: the published tiny-YOLOv3 layer list, bit-exact loading, and bad input.

No real weights can be downloaded here, so the tests write ``.weights`` files in Darknet's layout
themselves (their own writer below, not the library's) from Keras models with known random numbers,
and check that reading them back gives every number bit for bit. ``fixtures/yolov3-tiny.cfg`` is
the published ``cfg/yolov3-tiny.cfg`` of github.com/pjreddie/darknet (1915 bytes, sha256 84eb7a67...,
the value several projects pin for it).
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError

pytest.importorskip("keras")

from mlbasics.vision.yolo.darknet import float_count, parse_cfg, read_cfg, read_weights  # noqa: E402
from mlbasics.vision.yolo.pretrained import (  # noqa: E402
    check_structure,
    darknet_cfg_text,
    darknet_spec,
    export_darknet,
    load_darknet,
    load_pretrained,
    model_weights,
)
from mlbasics.vision.yolo.spec import DARKNET_BATCH_NORM_EPSILON, YoloSpec  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "yolov3-tiny.cfg"
COCO = tuple(f"class{i}" for i in range(80))
SIZE = 32  # weights do not depend on the input size; a small one keeps the tests fast
#: Published file sizes (bytes) of pjreddie.com/media/files/yolov3-tiny.weights and yolov3.weights.
TINY_WEIGHTS_BYTES = 35_434_956
FULL_WEIGHTS_BYTES = 248_007_048
#: The Keras layers of each [convolutional] of yolov3-tiny.cfg, in the cfg's order (conv, batch norm).
TINY_ORDER = [(f"backbone{i}_conv", f"backbone{i}_bn") for i in range(1, 8)] + [
    ("head1_conv", "head1_bn"), ("head1_out_conv", "head1_out_bn"), ("output_stride32", None),
    ("head2_conv", "head2_bn"), ("head2_out_conv", "head2_out_bn"), ("output_stride16", None)]


def _build(spec: YoloSpec):
    from mlbasics.vision.yolo.model import build_detector

    return build_detector(spec)


def _randomise(model, seed: int) -> None:
    """Every variable of ``model`` set to seeded random numbers (variances positive)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        values = rng.standard_normal(tuple(variable.shape)).astype(np.float32)
        variable.assign(np.abs(values) + 0.5 if "variance" in variable.path else values)


def _bits(array) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(array, np.float32)).view(np.uint32)


def _darknet_bytes(model, order, major: int, minor: int, revision: int, seen: int, seen_format: str) -> bytes:
    """The test's own Darknet writer: header, then per layer beta, gamma, mean, variance (or the
    bias), then the kernel as (out, in, h, w)."""
    parts = [struct.pack("<3i", major, minor, revision), struct.pack(seen_format, seen)]
    for conv_name, bn_name in order:
        conv = model.get_layer(conv_name).get_weights()
        if bn_name:
            gamma, beta, mean, variance = model.get_layer(bn_name).get_weights()
            parts += [beta.tobytes(), gamma.tobytes(), mean.tobytes(), variance.tobytes()]
        else:
            parts.append(conv[1].astype("<f4").tobytes())
        parts.append(np.ascontiguousarray(conv[0].transpose(3, 2, 0, 1)).astype("<f4").tobytes())
    return b"".join(parts)


def _assert_same_weights(model, other) -> None:
    assert [w.path for w in model.weights] == [w.path for w in other.weights]
    for mine, theirs in zip(model.weights, other.weights):
        assert np.array_equal(_bits(mine.numpy()), _bits(theirs.numpy())), mine.path


@pytest.fixture(scope="module")
def coco_tiny():
    """A tiny-YOLOv3 at width 1.0 with the published cfg's anchors and 80 classes, random weights."""
    spec = darknet_spec(FIXTURE, COCO, input_size=SIZE)
    model = _build(spec)
    _randomise(model, 1)
    return spec, model


@pytest.fixture(scope="module")
def coco_file(coco_tiny, tmp_path_factory) -> Path:
    spec, model = coco_tiny
    path = tmp_path_factory.mktemp("darknet") / "tiny.weights"
    path.write_bytes(_darknet_bytes(model, TINY_ORDER, 0, 2, 0, 2**33 + 7, "<q"))
    return path


# --- the cfg --------------------------------------------------------------------------------------


def test_fixture_is_the_published_cfg():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == (
        "84eb7a675ef87c906019ff5a6e0effe275d175adb75100dcb47f0727917dc2c7")


def test_published_tiny_cfg_layer_list():
    cfg = read_cfg(FIXTURE)
    kinds = [layer.kind for layer in cfg.layers]
    assert len(kinds) == 24 and Counter(kinds) == {"convolutional": 13, "maxpool": 6, "yolo": 2, "route": 2,
                                                   "upsample": 1}
    convs = [(c.index, c.values["filters"], c.values["size"], c.values["batch_normalize"]) for c in cfg.convolutions]
    assert convs == [(0, 16, 3, 1), (2, 32, 3, 1), (4, 64, 3, 1), (6, 128, 3, 1), (8, 256, 3, 1), (10, 512, 3, 1),
                     (12, 1024, 3, 1), (13, 256, 1, 1), (14, 512, 3, 1), (15, 255, 1, 0), (18, 128, 1, 1),
                     (21, 256, 3, 1), (22, 255, 1, 0)]
    pools = [(p.index, p.values["size"], p.values["stride"], p.shape) for p in cfg.layers if p.kind == "maxpool"]
    assert pools[-1] == (11, 2, 1, (13, 13, 512))  # the size-2 stride-1 pool keeps 13x13
    assert [p[2] for p in pools] == [2, 2, 2, 2, 2, 1]
    routes = [(r.index, r.inputs, r.shape) for r in cfg.layers if r.kind == "route"]
    assert routes == [(17, (13,), (13, 13, 256)), (20, (19, 8), (26, 26, 384))]
    yolos = cfg.yolo_layers
    assert [(y.index, y.values["mask"], y.values["classes"], y.shape) for y in yolos] == [
        (16, (3, 4, 5), 80, (13, 13, 255)), (23, (0, 1, 2), 80, (26, 26, 255))]
    assert yolos[0].values["anchors"].tolist() == [[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]]
    assert cfg.layers[15].values["in_channels"] == 512 and cfg.layers[21].values["in_channels"] == 384
    assert 20 + 4 * float_count(cfg) == TINY_WEIGHTS_BYTES


def test_model_has_the_cfgs_convolutions_in_order(coco_tiny):
    import keras

    spec, model = coco_tiny
    cfg = read_cfg(FIXTURE)
    check_structure(cfg, model, spec)
    assert {layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)} == {
        conv for conv, _ in TINY_ORDER}
    for (conv_name, bn_name), conv in zip(TINY_ORDER, cfg.convolutions):
        layer = model.get_layer(conv_name)
        v = conv.values
        assert tuple(layer.kernel.shape) == (v["size"], v["size"], v["in_channels"], v["filters"])
        assert layer.strides == (v["stride"], v["stride"]) and layer.use_bias == (bn_name is None)


def test_written_cfg_has_the_published_layers(coco_tiny):
    spec, model = coco_tiny
    mine, published = parse_cfg(darknet_cfg_text(model, spec)), read_cfg(FIXTURE)
    assert [(a.kind, a.shape, a.inputs) for a in mine.layers] == [
        (b.kind, (a.shape[0], a.shape[1], b.shape[2]), b.inputs) for a, b in zip(mine.layers, published.layers)]
    assert [{k: v for k, v in a.values.items() if k != "anchors"} for a in mine.layers] == [
        {k: v for k, v in b.values.items() if k != "anchors"} for b in published.layers]


def test_full_yolov3_layout():
    spec = YoloSpec(np.arange(1, 19, dtype=np.float32).reshape(9, 2), COCO, SIZE, 1.0, "full")
    model = _build(spec)
    cfg = parse_cfg(darknet_cfg_text(model, spec))
    assert len(cfg.layers) == 107 and Counter(layer.kind for layer in cfg.layers) == {
        "convolutional": 75, "shortcut": 23, "route": 4, "upsample": 2, "yolo": 3}
    assert [(r.index, r.inputs) for r in cfg.layers if r.kind == "route"] == [
        (83, (79,)), (86, (85, 61)), (95, (91,)), (98, (97, 36))]
    assert [y.index for y in cfg.yolo_layers] == [82, 94, 106]
    assert 20 + 4 * float_count(cfg) == FULL_WEIGHTS_BYTES


# --- bit-exact loading ----------------------------------------------------------------------------


@pytest.mark.parametrize("version, seen, seen_format", [((0, 2, 0), 2**33 + 7, "<q"), ((0, 1, 0), 123456, "<i")])
def test_darknet_file_loads_bit_exact(coco_tiny, tmp_path, version, seen, seen_format):
    spec, source = coco_tiny
    data = _darknet_bytes(source, TINY_ORDER, *version, seen, seen_format)
    path = tmp_path / "tiny.weights"
    path.write_bytes(data)
    assert len(data) == TINY_WEIGHTS_BYTES - (4 if seen_format == "<i" else 0)
    target = _build(spec)
    _randomise(target, 2)
    report = load_darknet(target, spec, FIXTURE, path)
    _assert_same_weights(source, target)
    assert (report.version, report.seen, report.reinitialised) == (version, seen, ())
    assert len(report.loaded) == 11 * 2 + 2
    # the library's writer gives the same bytes as the test's own
    from mlbasics.vision.yolo.darknet import weights_bytes

    assert weights_bytes(model_weights(source, spec, seen=seen, version=version), read_cfg(FIXTURE)) == data


def _small(model: str, width: float) -> YoloSpec:
    """Darknet's batch-norm epsilon, so numbers go to the file and back unchanged (a model with Keras's
    epsilon is written with it folded into the variance: test_coco_detector checks its outputs in OpenCV)."""
    anchors = np.arange(1, 1 + (12 if model == "tiny" else 18), dtype=np.float32).reshape(-1, 2) * 7.3
    return YoloSpec(anchors, ("cat", "dog", "raccoon"), SIZE, width, model, DARKNET_BATCH_NORM_EPSILON)


@pytest.fixture(scope="module")
def small_full():
    """YOLOv3 at width 0.25 with 3 classes (building YOLOv3 takes seconds: one for the module)."""
    spec = _small("full", 0.25)
    return spec, _build(spec)


@pytest.mark.parametrize("model, width", [("tiny", 1.0), ("full", 0.25)])
def test_export_and_load_small_class_count(request, tmp_path, model, width):
    spec, detector = request.getfixturevalue("small_full") if model == "full" else (
        _small(model, width), _build(_small(model, width)))  # one model: written, scrambled, read back
    _randomise(detector, 3)
    written = [_bits(w.numpy()).copy() for w in detector.weights]
    export_darknet(detector, spec, tmp_path / "mine.cfg", tmp_path / "mine.weights", seen=99)
    _randomise(detector, 4)
    assert darknet_spec(tmp_path / "mine.cfg", spec.class_names, width=width) == spec
    report = load_darknet(detector, spec, tmp_path / "mine.cfg", tmp_path / "mine.weights")
    assert all(np.array_equal(_bits(w.numpy()), bits) for w, bits in zip(detector.weights, written))
    assert report.seen == 99 and report.version == (0, 2, 0)
    if model == "tiny":  # the published layers, with 3 classes
        check_structure(read_cfg(FIXTURE), detector, spec, outputs=False)


def test_load_pretrained_keeps_all_but_the_outputs(coco_tiny, coco_file):
    _, source = coco_tiny
    spec = YoloSpec(np.arange(1, 13, dtype=np.float32).reshape(6, 2) * 9, ("raccoon",), SIZE, 1.0, "tiny",
                    DARKNET_BATCH_NORM_EPSILON)
    target = _build(spec)
    _randomise(target, 5)
    for name in ("output_stride32", "output_stride16"):
        target.get_layer(name).kernel.assign(np.full(target.get_layer(name).kernel.shape, 7.0, np.float32))
    report = load_pretrained(target, spec, FIXTURE, coco_file)
    assert report.reinitialised == ("output_stride32", "output_stride16") and len(report.loaded) == 22
    for conv_name, bn_name in TINY_ORDER:
        for name in filter(None, (conv_name, bn_name)):
            if name.startswith("output"):
                layer = target.get_layer(name)
                assert layer.kernel.shape[-1] == 18 and not np.any(layer.kernel.numpy() == 7.0)
                assert not np.any(layer.bias.numpy())  # fresh: zeros
            else:
                for mine, theirs in zip(target.get_layer(name).get_weights(), source.get_layer(name).get_weights()):
                    assert np.array_equal(_bits(mine), _bits(theirs)), name
    assert "started afresh: output_stride32" in report.summary()


def test_load_pretrained_heads_keeps_only_the_backbone(coco_tiny, coco_file):
    _, source = coco_tiny
    spec = YoloSpec(np.arange(1, 13, dtype=np.float32).reshape(6, 2) * 9, ("a", "b"), SIZE, 1.0, "tiny",
                    DARKNET_BATCH_NORM_EPSILON)
    target = _build(spec)
    _randomise(target, 6)
    report = load_pretrained(target, spec, FIXTURE, coco_file, reinitialise="heads")
    assert len(report.loaded) == 14 and all(name.startswith("backbone") for name in report.loaded)
    for name in ("backbone1_conv", "backbone7_bn"):
        for mine, theirs in zip(target.get_layer(name).get_weights(), source.get_layer(name).get_weights()):
            assert np.array_equal(_bits(mine), _bits(theirs)), name
    gamma, beta, mean, variance = target.get_layer("head1_bn").get_weights()
    assert np.all(gamma == 1) and not np.any(beta) and not np.any(mean) and np.all(variance == 1)
    with pytest.raises(InputError, match="reinitialise must be one of"):
        load_pretrained(target, spec, FIXTURE, coco_file, reinitialise="backbone")


def test_load_pretrained_classes_keeps_box_and_objectness(coco_tiny, coco_file):
    """``reinitialise="classes"``: each anchor's 4 box and 1 objectness channels come from the file, a class
    of the same name takes that class's channel, any other class starts at zero."""
    _, source = coco_tiny
    spec = YoloSpec(darknet_spec(FIXTURE, COCO).anchors, ("raccoon", "class7"), SIZE, 1.0, "tiny",
                    DARKNET_BATCH_NORM_EPSILON)
    target = _build(spec)
    _randomise(target, 7)
    load_pretrained(target, spec, FIXTURE, coco_file, reinitialise="classes", file_classes=COCO)
    for name in ("output_stride32", "output_stride16"):
        kernel, bias = target.get_layer(name).get_weights()
        file_kernel, file_bias = source.get_layer(name).get_weights()
        for anchor in range(3):
            mine, theirs = anchor * 7, anchor * 85
            assert np.array_equal(kernel[..., mine:mine + 5], file_kernel[..., theirs:theirs + 5])
            assert np.array_equal(bias[mine:mine + 5], file_bias[theirs:theirs + 5])
            assert not np.any(kernel[..., mine + 5]) and bias[mine + 5] == 0  # raccoon: not a COCO class
            assert np.array_equal(kernel[..., mine + 6], file_kernel[..., theirs + 5 + 7])  # class7 by name
    for mine, theirs in zip(target.get_layer("head2_out_bn").get_weights(),
                            source.get_layer("head2_out_bn").get_weights()):
        assert np.array_equal(_bits(mine), _bits(theirs))


def test_keras_epsilon_model_gets_the_same_normalisation(coco_tiny, coco_file):
    """Loading into a model with Keras's epsilon moves the difference into the variance: same outputs."""
    spec, source = coco_tiny
    keras_spec = YoloSpec(spec.anchors, spec.class_names, SIZE, 1.0, "tiny")
    target = _build(keras_spec)
    load_darknet(target, keras_spec, FIXTURE, coco_file)
    x = np.random.default_rng(8).uniform(0, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
    for mine, theirs in zip(target.predict(x, verbose=0), source.predict(x, verbose=0)):
        assert np.allclose(mine, theirs, rtol=1e-3, atol=1e-3 * np.abs(theirs).max())


# --- bad input ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(coco_tiny):
    """A second tiny model like ``coco_tiny``'s, for loads that must fail before they assign anything."""
    spec, _ = coco_tiny
    return spec, _build(spec)


def _load(scratch, weights: Path, cfg: Path = FIXTURE):
    spec, model = scratch
    return load_darknet(model, spec, cfg, weights)


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.split("\n"), start=1) if line.strip() == needle]
    return lines[occurrence - 1]


@pytest.mark.parametrize("cut, layer", [(4, "layer 22 [convolutional]"), (TINY_WEIGHTS_BYTES - 20 - 4 * 600,
                                                                              "layer 2 [convolutional]")])
def test_truncated_weights_name_the_layer(scratch, coco_file, tmp_path, cut, layer):
    path = tmp_path / "short.weights"
    path.write_bytes(coco_file.read_bytes()[:-cut])
    with pytest.raises(DataFileError, match=rf"ends inside {re.escape(layer)} \(cfg .*yolov3-tiny.cfg:\d+\)") as error:
        _load(scratch, path)
    assert error.value.path == str(path)


@pytest.mark.parametrize("extra", [b"\0\0\0\0", b"\0\0"])
def test_extra_bytes_are_refused(scratch, coco_file, tmp_path, extra):
    path = tmp_path / "long.weights"
    path.write_bytes(coco_file.read_bytes() + extra)
    with pytest.raises(DataFileError, match=f"{len(extra)} bytes left after the last layer .layer 22"):
        _load(scratch, path)


@pytest.mark.parametrize("header, reason", [
    (struct.pack("<3i", -1, 2, 0), "not a Darknet .weights header: version -1.2.0"),
    (struct.pack("<3i", 0, 5000, 0), "not a Darknet .weights header"),
    (b"\0" * 10, "too short for a Darknet .weights header"),
    # a 0.1 header has an int32 counter: the int64 one the file has leaves 4 bytes over
    (struct.pack("<3i", 0, 1, 0), "4 bytes left after the last layer"),
])
def test_wrong_header(scratch, coco_file, tmp_path, header, reason):
    path = tmp_path / "bad.weights"
    path.write_bytes(header + coco_file.read_bytes()[12:] if len(header) == 12 else header)
    with pytest.raises(DataFileError, match=reason):
        _load(scratch, path)


def test_missing_weights_file(scratch, tmp_path):
    with pytest.raises(DataFileError, match="no such Darknet .weights file"):
        _load(scratch, tmp_path / "nothing.weights")


def test_width_other_than_one_is_refused(coco_file):
    spec = darknet_spec(FIXTURE, COCO, input_size=SIZE, width=0.5)
    with pytest.raises(DataFileError, match="filters=16, .* has 8 here .*width 1.0") as error:
        load_pretrained(_build(spec), spec, FIXTURE, coco_file)
    assert error.value.line == _line_of(FIXTURE.read_text(), "filters=16")


def test_cfg_of_another_model_is_refused(small_full, coco_file):
    spec, model = small_full
    with pytest.raises(DataFileError, match="2 \\[yolo\\] layers, a tiny-YOLOv3 cfg; the model is 'full'"):
        load_pretrained(model, spec, FIXTURE, coco_file)


def test_class_count_and_anchors_must_match_for_a_full_load(scratch, coco_file):
    spec = YoloSpec(darknet_spec(FIXTURE, COCO).anchors, ("a", "b", "c"), SIZE, 1.0, "tiny")
    with pytest.raises(DataFileError, match="layer 15 \\[convolutional\\], key 'filters': filters=255, .* has 24"):
        load_darknet(_build(spec), spec, FIXTURE, coco_file)
    other = YoloSpec(darknet_spec(FIXTURE, COCO).anchors * 2, COCO, SIZE, 1.0, "tiny")
    with pytest.raises(DataFileError, match="layer 16 \\[yolo\\], key 'anchors'.*darknet_spec"):
        load_darknet(_build(other), other, FIXTURE, coco_file)


@pytest.mark.parametrize("old, new, occurrence, reason", [
    ("activation=leaky", "activation=relu", 8, "layer 13 \\[convolutional\\], key 'activation': activation=relu"),
    ("filters=1024", "filters=1000", 1, "layer 12 \\[convolutional\\], key 'filters': filters=1000"),
    ("filters=16", "filters=sixteen", 1, "key 'filters': expected an integer, got 'sixteen'"),
    ("stride=1", "stride=1x", 1, "key 'stride': expected an integer"),
    ("layers = -1, 8", "layers = -1, 30", 1, "key 'layers': 30 points at layer 30, which is not an earlier layer"),
    ("layers = -1, 8", "layers = -1, 4", 1, "key 'layers': layers \\[19, 4\\] have different sizes"),
    ("mask = 0,1,2", "mask = 0,1,9", 1, "key 'mask': \\[0, 1, 9\\] names anchors beyond the 6 given"),
    ("classes=80", "classes=3", 1, "key 'classes': 3 anchors x \\(5 \\+ 3 classes\\) = 24 channels"),
    ("anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319", "anchors = 10,14,23", 1, "odd count"),
    ("[maxpool]", "[dropout]", 1, "section \\[dropout\\] is not supported"),
    ("size=2", "size", 1, "expected key=value, got 'size'"),
    ("pad=1", "pad=1\nsize=3", 1, "key 'size' given twice"),
])
def test_bad_cfg_names_file_line_and_key(scratch, coco_file, tmp_path, old, new, occurrence, reason):
    text = FIXTURE.read_text()
    line = _line_of(text, old, occurrence)
    lines = text.split("\n")
    lines[line - 1] = new
    path = tmp_path / "edited.cfg"
    path.write_text("\n".join(lines))
    with pytest.raises(DataFileError, match=reason) as error:
        _load(scratch, coco_file, path)
    assert error.value.path == str(path)
    assert error.value.line in (line, line + 1)  # the duplicate key is on the line after


def test_inline_comment_and_net_size(tmp_path):
    path = tmp_path / "commented.cfg"
    path.write_text(FIXTURE.read_text().replace("filters=255", "filters=255  # 3 * (5 + 80)"))
    assert [c.values["filters"] for c in read_cfg(path).convolutions][-1] == 255
    path.write_text(FIXTURE.read_text().replace("width=416", "width=448"))
    with pytest.raises(DataFileError, match="\\[net\\], key 'width': width and height differ") as error:
        darknet_spec(path, COCO)
    assert error.value.line == _line_of(FIXTURE.read_text(), "width=416")
    # 400 is no multiple of 32: the upsampled 13x13 does not meet layer 8's 25x25, as in Darknet
    path.write_text(FIXTURE.read_text().replace("width=416", "width=400").replace("height=416", "height=400"))
    with pytest.raises(DataFileError, match="layer 20 \\[route\\], key 'layers': layers \\[19, 8\\] have different"):
        darknet_spec(path, COCO)


def test_cfg_must_start_with_net(tmp_path):
    path = tmp_path / "headless.cfg"
    path.write_text("# no net\n[convolutional]\nfilters=16\n")
    with pytest.raises(DataFileError, match="the first section must be \\[net\\]") as error:
        read_cfg(path)
    assert error.value.line == 2


def test_weights_for_another_cfg_are_refused(coco_file, tmp_path):
    spec = YoloSpec(np.arange(1, 13, dtype=np.float32).reshape(6, 2), ("a",), SIZE, 0.25, "tiny")
    model = _build(spec)
    export_darknet(model, spec, tmp_path / "small.cfg", tmp_path / "small.weights")
    with pytest.raises(DataFileError, match="left after the last layer"):
        read_weights(coco_file, read_cfg(tmp_path / "small.cfg"))


def test_convert_darknet_gives_what_detect_takes(coco_tiny, coco_file, tmp_path):
    from mlbasics.vision.yolo.detect import Detector
    from mlbasics.vision.yolo.pretrained import cfg_beside, convert_darknet

    assert cfg_beside(tmp_path / "yolov3-tiny.weights") == tmp_path / "yolov3-tiny.cfg"

    spec, source = coco_tiny
    (tmp_path / "coco.names").write_text("\n".join(COCO) + "\n")
    report = convert_darknet(FIXTURE, coco_file, tmp_path / "coco.names", tmp_path / "coco.weights.h5",
                             input_size=SIZE)
    detector = Detector.load(tmp_path / "coco.weights.h5")
    assert detector.spec == spec and report.seen == 2**33 + 7
    _assert_same_weights(source, detector.model)
