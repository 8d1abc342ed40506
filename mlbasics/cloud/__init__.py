"""Cloud training (lesson 11): gs:// storage helpers, a local GCS emulator, the example
trainer, Vertex AI job specs, local runs of a job and a cost calculator.

The submodules import their heavy dependencies (gcsfs, google-cloud-aiplatform,
TensorFlow) only when used, so importing this package is cheap.
"""
