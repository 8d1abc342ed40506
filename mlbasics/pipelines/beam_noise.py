"""Quiet three warnings Beam logs on every run here that say nothing about the reader's pipeline.

* ``apitools not found, and bigquery client libraries are not available ...``: logged when
  ``apache_beam`` is imported without the ``[gcp]`` extra (BigQuery is not used here).
* ``Resource module is not available for current platform ...``: logged for every inference
  batch because ``apache_beam.ml.inference.base`` imports ``resource`` together with a module
  that needs PyTorch; without PyTorch it only loses a memory-usage metric.
* ``Dependencies required for Interactive Beam PCollection visualization are not available``:
  logged when a pipeline runs inside Jupyter without ``apache-beam[interactive]``, which only
  the Interactive Runner's plots need.

Every other message, of Beam or of anyone, is left alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence

#: The start of each message dropped.
KNOWN_NOISE = (
    "apitools not found, and bigquery client libraries",
    "Resource module is not available for current platform",
    "Dependencies required for Interactive Beam PCollection visualization",
)

#: The loggers they come from: the root logger, and Interactive Beam's own.
NOISY_LOGGERS = ("", "apache_beam.runners.interactive.interactive_environment")


class DropKnownNoise(logging.Filter):
    """A logging filter that drops records whose message starts with one of :data:`KNOWN_NOISE`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(KNOWN_NOISE)


@contextlib.contextmanager
def filter_installed(kind: type[logging.Filter], logger_names: Sequence[str]) -> Iterator[None]:
    """Install a ``kind()`` filter on each logger of ``logger_names`` that has none yet, while the block runs.

    Nothing is left installed afterwards, and nested blocks are fine: an inner one adds no second
    filter and leaves the outer one's in place.
    """
    added = []
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            log_filter = kind()
            logger.addFilter(log_filter)
            added.append((logger, log_filter))
    try:
        yield
    finally:
        for logger, log_filter in added:
            logger.removeFilter(log_filter)


@contextlib.contextmanager
def known_beam_noise_dropped() -> Iterator[None]:
    """Install :class:`DropKnownNoise` on each of :data:`NOISY_LOGGERS` while the block runs
    (:func:`filter_installed`).

    Used around what makes the noise: the module-level ``import apache_beam`` (Beam logs the
    BigQuery note while being imported) and the pipeline entry functions.
    """
    with filter_installed(DropKnownNoise, NOISY_LOGGERS):
        yield
