"""Lessons 01-04: perceptron and XOR, tensors and shapes, the training loop, fitting."""
