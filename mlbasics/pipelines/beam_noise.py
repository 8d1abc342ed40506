"""Quiet two warnings Beam logs on every run here that say nothing about the reader's pipeline.

* ``apitools not found, and bigquery client libraries are not available ...``: logged when
  ``apache_beam`` is imported without the ``[gcp]`` extra (BigQuery is not used here).
* ``Resource module is not available for current platform ...``: logged for every inference
  batch because ``apache_beam.ml.inference.base`` imports ``resource`` together with a module
  that needs PyTorch; without PyTorch it only loses a memory-usage metric.

Every other message, of Beam or of anyone, is left alone.
"""

from __future__ import annotations

import logging

#: The start of each message dropped.
KNOWN_NOISE = (
    "apitools not found, and bigquery client libraries",
    "Resource module is not available for current platform",
)


class DropKnownNoise(logging.Filter):
    """A logging filter that drops records whose message starts with one of :data:`KNOWN_NOISE`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(KNOWN_NOISE)


def drop_known_beam_noise() -> None:
    """Install :class:`DropKnownNoise` on the root logger (Beam logs both there); idempotent."""
    root = logging.getLogger()
    if not any(isinstance(f, DropKnownNoise) for f in root.filters):
        root.addFilter(DropKnownNoise())
