"""A model's layer graph in a lesson: drawn by Graphviz where it is installed, Keras's text summary where not
(lessons 07 and 12)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from mlbasics.vision.yolo.model import draw_graph

#: Where to get Graphviz's ``dot``, which ``keras.utils.plot_model`` needs.
GRAPHVIZ_HINT = ("Graphviz is not installed, so here is the text summary instead. To draw the graph: Debian/Ubuntu "
                 "`sudo apt-get install graphviz`, macOS `brew install graphviz`, Windows `winget install graphviz` "
                 "(or `choco install graphviz`), conda `conda install graphviz python-graphviz`; then run the cell "
                 "again.")


def show_graph(model: Any, path: str | os.PathLike[str] | None = None) -> bool:
    """Display ``model``'s layer graph (``keras.utils.plot_model`` via
    :func:`~mlbasics.vision.yolo.model.draw_graph`, saved at ``path``, by default a PNG in a new temporary
    folder); where Graphviz or pydot is missing, print :data:`GRAPHVIZ_HINT` and the text summary.
    Returns whether the graph was drawn."""
    target = Path(tempfile.mkdtemp(prefix="mlbasics-graph-"), f"{model.name}.png") if path is None else Path(path)
    if draw_graph(model, target):
        from IPython.display import Image, display

        display(Image(filename=str(target), width=420))
        return True
    print(GRAPHVIZ_HINT + "\n")
    model.summary(line_length=110)
    return False
