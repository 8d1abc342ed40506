"""Quiet the warnings Beam logs on every run here that say nothing about the reader's pipeline.

* ``apitools not found, and bigquery client libraries are not available ...``: logged when
  ``apache_beam`` is imported without the ``[gcp]`` extra (BigQuery is not used here).
* ``Resource module is not available for current platform ...``: logged for every inference
  batch because ``apache_beam.ml.inference.base`` imports ``resource`` together with a module
  that needs PyTorch; without PyTorch it only loses a memory-usage metric.
* ``Dependencies required for Interactive Beam PCollection visualization are not available``:
  logged when a pipeline runs inside Jupyter without ``apache-beam[interactive]``, which only
  the Interactive Runner's plots need.
* ``Unable to find default credentials because the google-auth library is not available ...
  Connecting anonymously.``: logged when Beam opens ``gs://`` without the ``[gcp]`` extra. Dropped
  only while ``STORAGE_EMULATOR_HOST`` names a GCS emulator, which takes no credentials; against
  Cloud Storage itself it is the reason access fails, and it reaches the reader.

Every other message, of Beam or of anyone, is left alone.

One more thing Beam does inside a notebook that the reader did not ask for: the first transform applied
there creates Interactive Beam's environment, which displays a script that loads jQuery and DataTables
from two CDNs. It would be saved in the lesson's output and fetched from the network by everyone who opens
it. :func:`known_beam_noise_dropped` creates that environment first, without the script (nothing of it is
used: the pipelines here never use the Interactive Runner).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence

from mlbasics.io.storage import EMULATOR_ENV

#: The start of each message dropped.
KNOWN_NOISE = (
    "apitools not found, and bigquery client libraries",
    "Resource module is not available for current platform",
    "Dependencies required for Interactive Beam PCollection visualization",
)

#: Dropped only while an emulator stands in for Cloud Storage (``STORAGE_EMULATOR_HOST`` is set).
EMULATOR_NOISE = ("Unable to find default credentials because the google-auth library is not available",)

#: The loggers they come from: the root logger, Interactive Beam's own, and Beam's GCP credentials'.
NOISY_LOGGERS = ("", "apache_beam.runners.interactive.interactive_environment", "apache_beam.internal.gcp.auth")


class DropKnownNoise(logging.Filter):
    """A logging filter that drops records whose message starts with one of :data:`KNOWN_NOISE`, or of
    :data:`EMULATOR_NOISE` while ``STORAGE_EMULATOR_HOST`` is set."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith(KNOWN_NOISE) or (message.startswith(EMULATOR_NOISE)
                                                        and bool(os.environ.get(EMULATOR_ENV))))


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
        _interactive_environment_without_scripts()  # after the filters: creating it logs the third notice
        yield


def _interactive_environment_without_scripts() -> None:
    """In a notebook, create Beam's Interactive Beam environment (a process-wide singleton, made by the first
    transform applied) without its jQuery/DataTables loader: a script that fetches both from CDNs. Outside a
    notebook, or once the environment exists, nothing happens."""
    if "IPython" not in sys.modules:  # no IPython, no notebook: Beam's own check would import it
        return
    import apache_beam.utils.interactive_utils as interactive_utils

    if not interactive_utils.is_in_notebook():
        return
    from apache_beam.runners.interactive import interactive_environment

    if interactive_environment._interactive_beam_env is not None:
        return
    environment = interactive_environment.InteractiveEnvironment
    loader = environment.load_jquery_with_datatable
    environment.load_jquery_with_datatable = lambda self: None  # type: ignore[method-assign]
    try:
        interactive_environment.current_env()
    finally:
        environment.load_jquery_with_datatable = loader  # type: ignore[method-assign]
