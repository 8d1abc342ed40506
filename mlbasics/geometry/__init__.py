"""Geometry: boxes (IoU, non-maximum suppression), letterboxing into a square, colour spaces.

NumPy and Pillow only; the models, the data formats and the exporters all use these.
"""
