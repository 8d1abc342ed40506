"""The pipelines' user-facing parameters, each declared once (:class:`~mlbasics.core.limits.Param`).

:func:`~mlbasics.pipelines.embeddings.run_embedding_pipeline` and
:func:`~mlbasics.pipelines.faces.identify.identify` take their defaults and checks from here, and
``mlbasics embed`` / ``mlbasics faces identify`` their options. They live apart from the modules that import
Beam, so that building the command line imports no Beam.
"""

from __future__ import annotations

from mlbasics.core import limits
from mlbasics.core.limits import Param

#: The parts a pipeline's workers split their input into: each worker lists the input and keeps its part.
SHARDS = Param("shards", 8, limits.SHARDS, "parts the workers split the input into")
#: A backbone by name runs at this input side (a ``.keras`` file has its own).
IMAGE_SIZE = Param("image_size", 224, limits.IMAGE_SIDE, "input size of a backbone by name")
#: The largest inference batch a worker runs at once.
BATCH_SIZE = Param("batch_size", 64, limits.BATCH_SIZE, "largest inference batch")
