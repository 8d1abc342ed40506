"""ipywidgets control panels, one module per lesson topic.

Each panel is a thin layer: the function it calls when a control moves is a plain,
tested library function; the panel only wires controls to it and draws the result.
"""
