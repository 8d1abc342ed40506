"""Cloud training (lesson 11): gs:// storage helpers, a local GCS emulator, running the YOLO
trainer against a bucket (staging in, syncing out, resuming), VOC conversion from a bucket,
Vertex AI job specs, local runs of a job and a cost calculator.

The submodules import their heavy dependencies (gcsfs, google-cloud-aiplatform,
TensorFlow) only when used, so importing this package is cheap.
"""
