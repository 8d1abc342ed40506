"""mlbasics: the library behind the workbook.

Importing the package is cheap: TensorFlow, Beam and other heavy dependencies are
imported only by the modules that need them.
"""

from mlbasics.core import quiet

__version__ = "0.1.0"

# Native start-up notices of TensorFlow and LiteRT (oneDNN, CPU features, absl's pre-init line)
# are noise in a lesson; warnings and errors still show. See mlbasics.core.quiet: it sets
# TF_CPP_MIN_LOG_LEVEL=2 unless the reader set it, and filters the first import of TensorFlow.
quiet.install()
