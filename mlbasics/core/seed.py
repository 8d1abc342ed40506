"""One call to seed every random source a lesson uses."""

from __future__ import annotations

import random
import sys

import numpy as np

from mlbasics.core import limits
from mlbasics.core.limits import Param

#: The lessons' seed.
DEFAULT_SEED = 42
#: The seed a command or library function uses unless told: the same run gives the same result.
SEED = Param("seed", 0, limits.SEED, "random seed")


def seed_everything(seed: int = DEFAULT_SEED, *, deterministic_tf: bool = False) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and, if imported, TensorFlow/Keras.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for code that takes
    an explicit generator. ``deterministic_tf=True`` also asks TensorFlow for
    deterministic kernels (slower; results equal run to run on the same machine).
    Nothing is set in ``os.environ``: child processes (workers, jobs) inherit nothing from it.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
        if deterministic_tf:
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
