"""Vision: convolutional networks (lesson 05) and the YOLOv3 detector (lessons 06-08).

TensorFlow and Keras are imported inside the functions that need them.
"""
