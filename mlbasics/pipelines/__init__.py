"""Pipelines: ML work that leaves the notebook (lessons 09 and 10).

* ``embeddings``: an Apache Beam pipeline that embeds images with a Keras CNN
  (``mlbasics embed``), runnable on the DirectRunner here or on Dataflow/Flink/Spark.
* ``faces``: a train → identify → tag face-finder pipeline over versioned data
  (``mlbasics faces``).

Beam, TensorFlow and dlib are imported by the modules that need them, not here. Importing
this package changes no logging either: the filter for Beam's known log noise
(:func:`~mlbasics.pipelines.beam_noise.known_beam_noise_dropped`) is installed only around
Beam's import and while a pipeline entry function runs.
"""
