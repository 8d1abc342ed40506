"""The workbook as a reader sees it: JupyterLab in headless Chromium, widgets moved by hand.

nbval proves that cells run; this proves that a reader who opens a lesson sees working
controls, and that moving one changes what it drives. Screenshots are saved under
``artifacts/browser/`` (or ``$MLBASICS_ARTIFACTS/browser/``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[all]')")

import lab_page  # noqa: E402  (this folder is on sys.path under pytest)
from lab_server import port_is_open, running_lab  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MLBASICS_ARTIFACTS") or REPO / "artifacts") / "browser"


def _xor(page, panel):
    lab_page.set_slider(page, panel, 1, "1")  # one hidden unit: one line cannot separate XOR


def _colours(page, panel):
    lab_page.choose(panel, 0, "YUV bytes read as RGB (the bug)")


def _batches(page, panel):
    lab_page.step_slider(page, panel, 0)  # batch 32 -> 64


def _degree(page, panel):
    lab_page.set_slider(page, panel, 0, "15")


def _number(page, panel):
    lab_page.set_slider(page, panel, 0, "7")


def _neighbours(page, panel):
    lab_page.set_slider(page, panel, 0, "5")


def _threshold(page, panel):
    lab_page.set_slider(page, panel, 0, "0.9")


def _hours(page, panel):
    lab_page.set_slider(page, panel, 1, "400")  # GPU hours per month


def _format(page, panel):
    lab_page.choose(panel, 0, "onnx")


def _anchors(page, panel):
    lab_page.set_slider(page, panel, 0, "2")


def _score(page, panel):
    lab_page.set_slider(page, panel, 0, "0.05")  # low scores add boxes to the shown images (0.9 may remove none)


def _detector_trained() -> bool:
    from mlbasics.workbook import lessons

    return lessons.train_config().paths()[1].is_file()


# lesson -> (what to do with its first panel, text before, text after)
LESSONS: dict[str, tuple[Callable, str, str]] = {
    "00_welcome.ipynb": (_number, "squared = 9", "squared = 49"),
    "01_perceptron_and_xor.ipynb": (_xor, "accuracy 100%", "accuracy 75%"),
    "02_tensors_and_shapes.ipynb": (_colours, "0.0 levels", "difference from the true RGB image: 42.7 levels"),
    "03_epochs_batches_loss.ipynb": (_batches, "32 iterations per epoch", "16 iterations per epoch"),
    "04_over_and_underfitting.ipynb": (_degree, "appropriate", "over-fitting"),
    "09_embedding_pipeline.ipynb": (_neighbours, "image 0 (", "image 5 ("),
    "10_face_finder_pipeline.ipynb": (_threshold, "threshold 0.60", "threshold 0.90"),
    "11_cloud_training_job.ipynb": (_hours, "per month: cloud 22,", "per month: cloud 216,"),
    "12_export_to_mobile.ipynb": (_format, "MB", "onnx: "),
    "06_detection_data_and_anchors.ipynb": (_anchors, "k = 6 anchors", "k = 2 anchors"),
    "08_evaluating_the_detector.ipynb": (_score, "score ≥ 0.30", "score ≥ 0.05"),
}
# lesson -> (what must exist for it to be cheap, why it is skipped otherwise)
NEEDS: dict[str, tuple[Callable[[], bool], str]] = {
    "08_evaluating_the_detector.ipynb": (
        _detector_trained, "lesson 08 needs lesson 07's trained detector in MLBASICS_CACHE (run "
        "notebooks/07 first; a full pytest run does, as browser tests run last)"),
    "12_export_to_mobile.ipynb": (
        _detector_trained, "lesson 12 exports lesson 07's trained detector, which must be in MLBASICS_CACHE (run "
        "notebooks/07 first; a full pytest run does, as browser tests run last)"),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lab")
    with running_lab(REPO / "notebooks", workdir) as server:
        yield server
    assert not port_is_open(server.port), f"JupyterLab still listens on port {server.port} after stopping"


@pytest.mark.parametrize("notebook", sorted(LESSONS))
def test_lesson_runs_and_its_widgets_respond(lab, browser, notebook, tmp_path):
    move, before, after = LESSONS[notebook]
    ready, reason = NEEDS.get(notebook, (lambda: True, ""))
    if not ready():
        pytest.skip(reason)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        lab_page.open_notebook(page, lab.notebook_url(notebook))
        lab_page.run_all_cells(page, lab_page.code_cell_count(REPO / "notebooks" / notebook))
        assert not lab_page.error_outputs(page), f"{notebook}: cells show errors: {lab_page.error_outputs(page)}"

        panels = lab_page.widget_panels(page)
        if panels.count() == 0:
            pytest.fail(f"{notebook}: the widget panel did not render: {lab_page.explain_missing_panel(page)}. "
                        "Is the JupyterLab widgets extension (jupyterlab_widgets) installed in this environment?")
        panel = panels.first
        panel.scroll_into_view_if_needed()
        assert panel.locator(".widget-slider, .widget-dropdown").count() > 0, "panel has no real controls"
        assert before in lab_page.summary(panel), f"{notebook}: summary before moving: {lab_page.summary(panel)!r}"
        plot_before = lab_page.plot_source(panel)

        move(page, panel)
        page.wait_for_function(
            "([el, text]) => el.innerText.includes(text)", arg=[panel.element_handle(), after], timeout=60_000
        )
        assert after in lab_page.summary(panel)
        if plot_before:
            lab_page.wait_until(lambda: lab_page.plot_source(panel) not in ("", plot_before),
                                f"{notebook}: the plot did not change after moving the control")

        panel.screenshot(path=ARTIFACTS / f"{notebook[:-6]}-panel.png")
    finally:
        page.screenshot(path=ARTIFACTS / f"{notebook[:-6]}-page.png")
        page.close()
        lab.shutdown_kernels()
