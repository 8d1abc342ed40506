"""One call to seed every random source a lesson uses."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

DEFAULT_SEED = 42


def seed_everything(seed: int = DEFAULT_SEED, *, deterministic_tf: bool = False) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and, if imported, TensorFlow/Keras.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for code that takes
    an explicit generator. ``deterministic_tf=True`` also asks TensorFlow for
    deterministic kernels (slower; results equal run to run on the same machine).
    """
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
        if deterministic_tf:
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
