"""mlbasics: the library behind the workbook.

Importing the package is cheap: TensorFlow, Beam and other heavy dependencies are
imported only by the modules that need them.
"""

__version__ = "0.1.0"
