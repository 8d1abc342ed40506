"""Export a Keras model for phones (lesson 12): TFLite, ONNX and Core ML, with parity checks,
sizes and latency, and the pre-processing a phone app must repeat exactly.

Converters (TensorFlow, tf2onnx, coremltools) are imported only inside the functions that use them.
"""
