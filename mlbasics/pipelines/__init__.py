"""Pipelines: ML work that leaves the notebook (lessons 09 and 10).

* ``embeddings``: an Apache Beam pipeline that embeds images with a Keras CNN
  (``mlbasics embed``), runnable on the DirectRunner here or on Dataflow/Flink/Spark.
* ``faces``: a train → identify → tag face-finder pipeline over versioned data
  (``mlbasics faces``).

Beam, TensorFlow and dlib are imported by the modules that need them, not here.
"""

from mlbasics.pipelines.beam_noise import drop_known_beam_noise

drop_known_beam_noise()
