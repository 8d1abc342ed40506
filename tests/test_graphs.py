"""The lessons' graph helper: it draws the graph, or falls back with a message that says how to get Graphviz."""

import shutil

import pytest


@pytest.fixture
def model():
    import keras

    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)], name="tiny")


def test_show_graph_draws_or_explains(model, tmp_path, monkeypatch, capsys):
    from mlbasics.workbook.graphs import GRAPHVIZ_HINT, show_graph

    if shutil.which("dot"):
        assert show_graph(model, tmp_path / "g.png") and (tmp_path / "g.png").stat().st_size > 0
    monkeypatch.setattr(shutil, "which", lambda name: None)  # as on a machine without Graphviz
    assert not show_graph(model, tmp_path / "h.png")
    out = capsys.readouterr().out
    assert GRAPHVIZ_HINT in out and "brew install graphviz" in out and "Total params" in out


def test_show_graph_without_a_path_draws_into_a_temporary_folder(model, monkeypatch):
    from mlbasics.workbook import graphs

    drawn = []
    monkeypatch.setattr(graphs, "draw_graph", lambda m, path: drawn.append(path) or False)
    graphs.show_graph(model)
    assert len(drawn) == 1 and drawn[0].name == "tiny.png" and drawn[0].parent.name.startswith("mlbasics-graph-")
