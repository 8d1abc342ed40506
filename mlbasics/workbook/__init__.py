"""What only the lessons need: lesson helpers that re-create an earlier lesson's files
(``lessons``), lesson 02's tensor tables (``tensors``), the environment report (``environment``),
widget panels (``widgets``), exercises (``exercises``) and plots (``viz``).

Thin wrappers over the layers below; nothing in the library imports from here.
"""
