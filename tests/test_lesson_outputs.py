"""A committed lesson shows what a learner should read: no library log lines, no bare return values;
it loads nothing from the network when opened; lesson 00's roadmap names every lesson.

Every output of every committed ``notebooks/*.ipynb`` (streams and ``text/plain`` results) is read
line by line against :data:`NOISE`. A hit names the lesson, the cell index and the line. The cure
is in the library (``mlbasics.core.quiet``, ``pipelines.beam_noise``) or in the cell (end a
plotting line with ``;`` or assign its result), then re-executing the lesson.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: (what it is, pattern searched in each output line)
NOISE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("absl/TensorFlow C++ log line", r"^[IWEF]\d{4} \d\d:\d\d:\d\d"),
        ("absl/TensorFlow C++ log line", r"^E0000"),
        ("absl pre-init notice", r"WARNING: All log messages before absl"),
        ("absl Python log line", r"^(WARNING|INFO|ERROR):absl:"),
        ("TensorFlow Python log line", r"^(WARNING|INFO|ERROR):tensorflow:"),
        ("TensorFlow source path", r"tensorflow/(core|compiler|lite|tsl)/"),
        ("oneDNN notice", r"oneDNN"),
        ("CPU feature notice", r"cpu_feature_guard|rebuild TensorFlow with the appropriate compiler flags"),
        ("LiteRT delegate notice", r"XNNPACK delegate"),
        ("TFLite quantiser notice", r"fully_quantize"),
        ("Beam log line", r"apache_beam|^(WARNING|INFO):apache_beam"),
        ("bare matplotlib return value", r"^\s*\[?<matplotlib\."),
        ("bare matplotlib return value", r"^\s*\[?Text\(-?[\d.]+, -?[\d.]+, "),
        ("bare matplotlib return value", r"^\[None,( Text\(|$)"),
    )
)


def output_lines(output: nbformat.NotebookNode) -> list[str]:
    """The text a reader sees of one output: a stream's text or a result's ``text/plain``."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    if isinstance(text, list):
        text = "".join(text)
    return text.splitlines()


def noise_in(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: <what>: <line>"`` for each noisy output line of ``notebook``."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            for line in output_lines(output):
                for name, pattern in NOISE:
                    if pattern.search(line):
                        found.append(f"cell {index}: {name}: {line[:160]}")
                        break
    return found


def _stream(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stderr", text=text)


def _result(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("execute_result", data={"text/plain": text})


@pytest.mark.parametrize(
    "output",
    [
        _stream("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"),
        _stream("I0000 00:00:1795974243.716736   22762 port.cc:153] oneDNN custom operations are on.\n"),
        _stream("E0000 00:00:1795974783.997539    1118 node_def_util.cc:682] NodeDef mentions attribute Truncate\n"),
        _stream("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"),
        _stream("WARNING:apache_beam.io.gcp.bigquery:apitools not found\n"),
        _result("[None,\n Text(0.5, 0, 'epoch'),\n Text(0, 0.5, 'loss')]"),
        _result("[<matplotlib.lines.Line2D at 0x7f>]"),
        _result("Text(0.5, 1.0, 'title')"),
    ],
)
def test_noise_is_found(output):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])])
    assert noise_in(notebook) and noise_in(notebook)[0].startswith("cell 0: ")


def test_what_a_learner_should_read_passes():
    outputs = [_stream("accuracy 100%, final loss 0.0021\nepoch 3: loss 0.25\n"),
               _result("<Figure size 720x320 with 2 Axes>"),
               _result("Feedback(exercise_id='01.1', correct=False, message='...')")]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    assert noise_in(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_lesson_outputs_hold_no_log_noise(path):
    found = noise_in(nbformat.read(path, as_version=4))
    assert not found, f"{path.name} shows output a learner should not have to read:\n" + "\n".join(found)


def run_order_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Why ``notebook`` was not committed straight after one top-to-bottom run: a code cell never run,
    run out of order (execution counts not 1, 2, 3, ...), or showing an error."""
    problems = []
    code = [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for expected, (index, cell) in enumerate(code, start=1):
        if cell.execution_count != expected:
            problems.append(f"cell {index}: execution count {cell.execution_count}, expected {expected}")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: shows {output.get('ename')}: {output.get('evalue')}")
    return problems


def test_run_order_problems_are_found():
    ran = nbformat.v4.new_code_cell("x", execution_count=1)
    skipped = nbformat.v4.new_code_cell("y", execution_count=None)
    failed = nbformat.v4.new_code_cell("z", execution_count=3, outputs=[
        nbformat.v4.new_output("error", ename="NameError", evalue="name 'z' is not defined", traceback=[])])
    notebook = nbformat.v4.new_notebook(cells=[ran, skipped, failed])
    assert run_order_problems(notebook) == [
        "cell 1: execution count None, expected 2", "cell 2: shows NameError: name 'z' is not defined"]
    assert run_order_problems(nbformat.v4.new_notebook(cells=[ran])) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_lesson_was_run_top_to_bottom(path):
    problems = run_order_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name} was not committed after one clean Run All:\n" + "\n".join(problems)


#: What makes an output fetch something when a notebook is opened (JupyterLab, GitHub, nbviewer): a script,
#: style sheet, picture or frame from an http(s) address, or code that loads one. A plain link (<a href>)
#: fetches nothing until it is clicked.
FETCHES = re.compile(
    r"""<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*["']?\s*https?://"""
    r"""|\.(src|href)\s*=\s*["'`]https?://"""
    r"""|(import|require|getScript|fetch|url)\s*\(?\s*\[?\s*["'`]https?://""",
    re.IGNORECASE,
)
#: Output types whose content the notebook renders and runs.
ACTIVE_TYPES = ("text/html", "application/javascript", "image/svg+xml", "text/markdown")


def network_loads_in(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: <type>: <excerpt>"`` for each output that would fetch something from the network."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            for kind in ACTIVE_TYPES:
                text = output.get("data", {}).get(kind, "")
                text = "".join(text) if isinstance(text, list) else text
                for match in FETCHES.finditer(text):
                    found.append(f"cell {index}: {kind}: {text[match.start():match.end() + 60]!r}")
    return found


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("application/javascript", "var s = document.createElement('script');\n s.src = 'https://code.jquery.com/jquery.js';"),
        ("text/html", '<script src="https://cdn.datatables.net/1.10.20/js/jquery.dataTables.min.js"></script>'),
        ("text/html", "<link rel='stylesheet' href='https://cdn.example.org/x.css'>"),
        ("text/html", '<img src="http://example.org/a.png">'),
        ("application/javascript", 'require(["https://cdn.example.org/plotly.js"])'),
    ],
)
def test_network_loads_are_found(kind, text):
    output = nbformat.v4.new_output("display_data", data={kind: text})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])])
    assert network_loads_in(notebook) and network_loads_in(notebook)[0].startswith(f"cell 0: {kind}: ")


def test_links_and_local_pictures_load_nothing():
    html = ('<p>the dashboard: <a href="http://127.0.0.1:8787/status">link</a>; Dask: '
            'https://distributed.dask.org</p><img src="data:image/png;base64,iVBOR">')
    output = nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "https://example.org"})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])])
    assert network_loads_in(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_lesson_outputs_fetch_nothing(path):
    """"Offline once set up": opening a committed lesson loads no script, style or picture from the network."""
    found = network_loads_in(nbformat.read(path, as_version=4))
    assert not found, f"{path.name} has outputs that load from the network:\n" + "\n".join(found)


def test_the_roadmap_links_every_lesson():
    """Lesson 00's first cell is the roadmap: it links each other lesson's notebook by its file name."""
    welcome, *lessons = NOTEBOOKS
    assert welcome.name.startswith("00_")
    roadmap = nbformat.read(welcome, as_version=4).cells[0].source
    missing = [p.name for p in lessons if f"]({p.name})" not in roadmap]
    assert not missing, f"{welcome.name}'s roadmap (cell 0) does not link: {missing}"
