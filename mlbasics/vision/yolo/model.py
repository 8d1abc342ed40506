"""YOLOv3 and tiny-YOLOv3 in Keras 3, for any input size that is a multiple of 32 and any class count.

Each output is a grid: for 416x416 input, tiny YOLOv3 gives 13x13 and 26x26 and YOLOv3 gives
13x13, 26x26 and 52x52, each cell with ``3 x (5 + classes)`` channels: for each of its 3 anchors,
box ``tx, ty, tw, th``, objectness, and one score per class (all raw logits).

``width`` scales every layer's filter count (1.0 = the published network); the workbook's
CPU detector uses 0.25 (``mlbasics.workbook.lessons.WIDTH``). Layers of the tiny backbone are
named ``backbone1_*`` ... ``backbone7_*`` so a classifier built with :func:`tiny_backbone` (lesson 05) hands its
trained weights over by name. :func:`build_detector` builds the network a
:class:`~mlbasics.vision.yolo.spec.YoloSpec` describes.
"""

from __future__ import annotations

from typing import Any

from mlbasics.core.quiet import quiet_import
from mlbasics.vision.yolo.spec import YoloSpec, check_input_size, check_model, check_num_classes, grid_sizes


def _filters(base: int, width: float) -> int:
    return max(4, int(round(base * width)))


def conv_bn(x, filters: int, kernel: int, name: str, strides: int = 1):
    """Darknet's unit: convolution (no bias) -> batch norm -> leaky ReLU (0.1).

    Stride-2 convolutions pad only top and left, as Darknet does.
    """
    with quiet_import():
        from keras import layers

    if strides == 2:
        x = layers.ZeroPadding2D(((1, 0), (1, 0)), name=f"{name}_pad")(x)
    x = layers.Conv2D(filters, kernel, strides=strides, padding="valid" if strides == 2 else "same",
                      use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(negative_slope=0.1, name=f"{name}_leaky")(x)


def tiny_backbone(inputs, width: float = 1.0):
    """The tiny-YOLOv3 feature extractor: ``(batch, S, S, 3)`` -> features at stride 16 and 32.

    Returns ``(stride16, stride32)`` with shapes ``(batch, S/16, S/16, 256w)`` and
    ``(batch, S/32, S/32, 1024w)``.
    """
    with quiet_import():
        from keras import layers

    x = inputs
    for index, base in enumerate((16, 32, 64, 128), start=1):
        x = conv_bn(x, _filters(base, width), 3, f"backbone{index}")
        x = layers.MaxPooling2D(2, 2, padding="same", name=f"backbone{index}_pool")(x)
    stride16 = conv_bn(x, _filters(256, width), 3, "backbone5")
    x = layers.MaxPooling2D(2, 2, padding="same", name="backbone5_pool")(stride16)
    x = conv_bn(x, _filters(512, width), 3, "backbone6")
    x = layers.MaxPooling2D(2, 1, padding="same", name="backbone6_pool")(x)
    stride32 = conv_bn(x, _filters(1024, width), 3, "backbone7")
    return stride16, stride32


def _output_conv(x, num_classes: int, name: str):
    """The 1x1 prediction layer, kept in float32 under mixed precision (its logits feed exp and log)."""
    with quiet_import():
        from keras import layers

    return layers.Conv2D(3 * (5 + num_classes), 1, name=name, dtype="float32")(x)


def tiny_yolo3(input_size: int = 416, num_classes: int = 80, width: float = 1.0):
    """Tiny YOLOv3: outputs ``(batch, S/32, S/32, 3*(5+C))`` and ``(batch, S/16, S/16, 3*(5+C))``."""
    with quiet_import():
        import keras
        from keras import layers

    size, num_classes = check_input_size(input_size), check_num_classes(num_classes)
    inputs = keras.Input((size, size, 3), name="image")
    stride16, stride32 = tiny_backbone(inputs, width)
    x = conv_bn(stride32, _filters(256, width), 1, "head1")
    coarse = _output_conv(conv_bn(x, _filters(512, width), 3, "head1_out"), num_classes, "output_stride32")
    x = conv_bn(x, _filters(128, width), 1, "head2")
    x = layers.UpSampling2D(2, name="head2_up")(x)
    x = layers.Concatenate(name="head2_concat")([x, stride16])
    fine = _output_conv(conv_bn(x, _filters(256, width), 3, "head2_out"), num_classes, "output_stride16")
    return keras.Model(inputs, [coarse, fine], name="tiny_yolo3")


def _darknet_residual(x, filters: int, blocks: int, name: str):
    with quiet_import():
        from keras import layers

    x = conv_bn(x, filters, 3, f"{name}_down", strides=2)
    for b in range(blocks):
        y = conv_bn(x, filters // 2, 1, f"{name}_{b}a")
        y = conv_bn(y, filters, 3, f"{name}_{b}b")
        x = layers.Add(name=f"{name}_{b}_add")([x, y])
    return x


def _yolo_block(x, filters: int, num_classes: int, name: str):
    """Five alternating 1x1/3x3 convolutions, then a 3x3 and the output: returns ``(route, output)``."""
    for i, (f, k) in enumerate(((filters, 1), (filters * 2, 3), (filters, 1), (filters * 2, 3), (filters, 1))):
        x = conv_bn(x, f, k, f"{name}_{i}")
    return x, _output_conv(conv_bn(x, filters * 2, 3, f"{name}_5"), num_classes, f"output_{name}")


def yolo3(input_size: int = 416, num_classes: int = 80, width: float = 1.0):
    """YOLOv3 with a Darknet-53 backbone: outputs at strides 32, 16 and 8, each ``3*(5+C)`` channels."""
    with quiet_import():
        import keras
        from keras import layers

    size, num_classes = check_input_size(input_size), check_num_classes(num_classes)
    inputs = keras.Input((size, size, 3), name="image")
    x = conv_bn(inputs, _filters(32, width), 3, "darknet0")
    routes = []
    for stage, (base, blocks) in enumerate(((64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)), start=1):
        x = _darknet_residual(x, _filters(base, width), blocks, f"darknet{stage}")
        routes.append(x)
    x, out32 = _yolo_block(routes[4], _filters(512, width), num_classes, "stride32")
    x = layers.UpSampling2D(2)(conv_bn(x, _filters(256, width), 1, "up16"))
    x, out16 = _yolo_block(layers.Concatenate()([x, routes[3]]), _filters(256, width), num_classes, "stride16")
    x = layers.UpSampling2D(2)(conv_bn(x, _filters(128, width), 1, "up8"))
    _, out8 = _yolo_block(layers.Concatenate()([x, routes[2]]), _filters(128, width), num_classes, "stride8")
    return keras.Model(inputs, [out32, out16, out8], name="yolo3")


def build_detector(spec: YoloSpec) -> Any:
    """The untrained network ``spec`` describes: :func:`tiny_yolo3` or :func:`yolo3` at its input size,
    class count, width and batch-norm epsilon (Darknet's for a model of Darknet weights)."""
    with quiet_import():
        from keras import layers

    model = (tiny_yolo3 if spec.model == "tiny" else yolo3)(spec.input_size, spec.num_classes, spec.width)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.epsilon = spec.batch_norm_epsilon  # read at every call; also what get_config reports
    return model


def expected_output_shapes(input_size: int, num_classes: int, model: str = "tiny") -> list[tuple[int, int, int]]:
    """The output shapes (without batch) a model must have: ``[(S/32, S/32, 3*(5+C)), (S/16, ...), ...]``
    (no anchors needed, so a lesson can ask before it has any; a :class:`YoloSpec` has ``output_shapes``)."""
    channels = 3 * (5 + check_num_classes(num_classes))
    return [(grid, grid, channels) for grid in grid_sizes(input_size, check_model(model))]


def output_shapes(model) -> list[tuple[int | None, ...]]:
    """The shape of each output, e.g. ``[(None, 13, 13, 24), (None, 26, 26, 24)]``."""
    return [tuple(output.shape) for output in model.outputs]


def conv_flops(model) -> int:
    """Floating-point operations of one forward pass of one image through the convolutions
    (2 per multiply-add: ``2 * H_out * W_out * k * k * C_in * C_out`` per layer). Batch norm,
    activations and pooling add a few percent and are left out."""
    with quiet_import():
        from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, height, width, out_channels = layer.output.shape
            k_h, k_w, in_channels, _ = layer.kernel.shape
            total += 2 * height * width * k_h * k_w * in_channels * out_channels
    return int(total)


def draw_graph(model, path) -> bool:
    """Draw the model's layer graph to ``path`` (PNG) with ``keras.utils.plot_model``.

    Needs pydot and the Graphviz ``dot`` program; returns ``False`` (drawing nothing) when either is
    missing, so a lesson can fall back to ``model.summary()``.
    """
    import shutil

    with quiet_import():
        import keras

    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    if shutil.which("dot") is None:
        return False
    keras.utils.plot_model(model, to_file=str(path), show_shapes=True, dpi=48)
    return True


def backbone_layer_names(model) -> list[str]:
    """Names of the layers that hold backbone weights (``backbone*`` layers with variables)."""
    return [layer.name for layer in model.layers if layer.name.startswith("backbone") and layer.weights]
