"""mlbasics: the library behind the workbook.

Importing the package is cheap: TensorFlow, Beam and other heavy dependencies are
imported only by the modules that need them.
"""

import os

__version__ = "0.1.0"

# TensorFlow's C++ start-up notices (CPU features, oneDNN) are noise in a lesson; warnings
# and errors still show. A value the reader set in their environment wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
