"""YOLOv3 in Keras 3: anchors, models, targets, loss, input pipeline, training, decoding, mAP.

The structure follows the classic keras-yolo3 project (annotation lines, anchors and classes
files, two-stage training with a "stage" and a "final" weights file), so the same files and
commands scale from this CPU to a full dataset on a GPU. What a detector is (anchors, classes,
input size, width, tiny or full) travels as one :class:`~mlbasics.vision.yolo.spec.YoloSpec`.
"""
