"""What a reader does in JupyterLab, as Playwright steps: open a notebook, run all, read a panel."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page

#: Flags that work with no outside network (without them Chromium floods it with connections).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]
#: Texts JupyterLab shows instead of a widget when the front-end extension or the model is missing.
WIDGET_FAILURES = ("Loading widget", "Error displaying widget", "Failed to load model class", "model not found")


def wait_until(condition: Callable[[], bool], message: str, timeout_s: float = 60) -> None:
    """Poll ``condition`` every half second; raise ``AssertionError(message)`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.5)


def code_cell_count(notebook: Path) -> int:
    """Number of code cells in a notebook file."""
    return sum(cell["cell_type"] == "code" for cell in json.loads(notebook.read_text())["cells"])


def open_notebook(page: Page, url: str, timeout_s: float = 120) -> None:
    """Open a notebook and wait until its kernel is started and idle."""
    page.goto(url)
    page.locator(".jp-Notebook").first.wait_for(timeout=timeout_s * 1000)
    page.get_by_text("| Idle").first.wait_for(timeout=timeout_s * 1000)


def run_all_cells(page: Page, n_code_cells: int, timeout_s: float = 600) -> list[str]:
    """Run > Run All Cells, as a reader would, and wait until every code cell has its number."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + timeout_s
    prompts: list[str] = []
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if len(prompts) == n_code_cells and all(any(c.isdigit() for c in p) and "*" not in p for p in prompts):
            return prompts
        # Run All stops at a cell that raises: say which error instead of waiting out the deadline.
        if not any("*" in p for p in prompts) and (errors := error_outputs(page)):
            raise AssertionError(f"Run All stopped at an error (prompts {prompts}): {errors[-1][-2000:]}")
        time.sleep(1)
    raise TimeoutError(f"cells still running or not run after {timeout_s} s: prompts {prompts}")


def error_outputs(page: Page) -> list[str]:
    """Texts of outputs that show an exception (IPython's traceback), not warnings on stderr."""
    texts = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    return [t for t in texts if "Traceback (most recent call last)" in t]


def widget_panels(page: Page) -> Locator:
    """The workbook's widget panels (every panel carries the CSS class ``mlbasics-panel``)."""
    return page.locator(".mlbasics-panel")


def explain_missing_panel(page: Page) -> str:
    """Why no panel rendered: the failure text JupyterLab shows, or the plain-text fallback."""
    body = page.locator(".jp-Notebook").inner_text()
    shown = [text for text in WIDGET_FAILURES if text in body]
    if shown:
        return f"the page shows {shown!r} instead of the widget"
    if "VBox(children=" in body:
        return "the page shows the widget's plain-text repr 'VBox(children=...)': the front end has no widget manager"
    return "no widget output at all"


def summary(panel: Locator) -> str:
    """The panel's one-line summary (the HTML line under its controls)."""
    return panel.locator(":scope > .widget-html").nth(1).inner_text()


def plot_source(panel: Locator) -> str:
    """The ``src`` of the panel's plot image ('' when the panel has no plot)."""
    images = panel.locator("img")
    return images.first.get_attribute("src") or "" if images.count() else ""


def set_slider(page: Page, panel: Locator, index: int, value: str) -> None:
    """Type ``value`` into the editable read-out of the panel's ``index``-th slider."""
    readout = panel.locator(".widget-readout").nth(index)
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def step_slider(page: Page, panel: Locator, index: int, key: str = "ArrowRight") -> None:
    """Move the panel's ``index``-th slider one step with the keyboard."""
    handle = panel.locator(".noUi-handle").nth(index)
    handle.focus()
    page.keyboard.press(key)


def choose(panel: Locator, index: int, label: str) -> None:
    """Pick ``label`` in the panel's ``index``-th drop-down."""
    panel.locator("select").nth(index).select_option(label=label)
