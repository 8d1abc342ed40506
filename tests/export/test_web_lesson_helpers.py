"""Lesson helpers: the graph falls back with a message that says how to get Graphviz."""

import shutil


def test_show_graph_draws_or_explains(tmp_path, monkeypatch, capsys):
    import keras

    from mlbasics.workbook.phone import GRAPHVIZ_HINT, show_graph

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    if shutil.which("dot"):
        assert show_graph(model, tmp_path / "g.png") and (tmp_path / "g.png").stat().st_size > 0
    monkeypatch.setattr(shutil, "which", lambda name: None)  # as on a machine without Graphviz
    assert not show_graph(model, tmp_path / "h.png")
    out = capsys.readouterr().out
    assert GRAPHVIZ_HINT in out and "brew install graphviz" in out and "Total params" in out
