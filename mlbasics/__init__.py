"""mlbasics: the library behind the workbook.

Importing the package is cheap and changes nothing outside it: TensorFlow, Beam and other heavy
dependencies are imported only by the modules that need them, and the filter that keeps TensorFlow's
start-up lines out of the lessons acts only around those imports (see :mod:`mlbasics.core.quiet`).
"""

__version__ = "0.1.0"
