"""Lesson 13's labelling panel as a reader uses it: JupyterLab in headless Chromium, a box drawn with the mouse.

A notebook that opens :class:`~mlbasics.workbook.widgets.labelling.LabellingPanel` on a folder of two
photos is run in JupyterLab; the test picks the class "dog" by clicking it, presses the mouse on the
photo, drags and releases, and then reads the Pascal VOC XML the kernel wrote on disk: its box must be
where the mouse went, mapped from screen pixels to the photo's pixels (the photo is larger than the
page shows it, and larger than the panel sends to the browser: two scalings), within the rounding of
one screen pixel. Deleting the box
with the Delete key empties the XML; *next* moves on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[all]')")
pytest.importorskip("jupyter_bbox_widget", reason="jupyter-bbox-widget is not installed (pip install -e '.[yolo]')")

import lab_page  # noqa: E402  (this folder is on sys.path under pytest)
from lab_server import running_lab  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MLBASICS_ARTIFACTS") or REPO / "artifacts") / "browser"
PHOTO_SIZE = (1600, 1200)  # sent at 1280 x 960 (DISPLAY_SIZE), shown smaller still

CELLS = [
    "from mlbasics.workbook.widgets.labelling import LabellingPanel\n"
    "panel = LabellingPanel('photos', ['raccoon', 'dog'])\n"
    "panel",
]


def notebook_folder(root: Path) -> Path:
    from PIL import Image

    root.mkdir()
    (root / "photos").mkdir()
    rng = np.random.default_rng(13)
    for name in ("a.jpg", "b.jpg"):
        pixels = rng.integers(0, 255, (PHOTO_SIZE[1], PHOTO_SIZE[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "photos" / name, quality=80)
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
             for source in CELLS]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (root / "label.ipynb").write_text(json.dumps(notebook))
    return root


def test_a_box_drawn_with_the_mouse_is_saved_as_voc_xml(browser, tmp_path, monkeypatch):
    from mlbasics.data.voc import read_voc_xml

    # The kernel imports this checkout's mlbasics, whatever the environment has installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    source = notebook_folder(tmp_path / "source")
    with running_lab(source, tmp_path / "lab") as lab:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        try:
            lab_page.open_notebook(page, lab.notebook_url("label.ipynb"))
            lab_page.run_all_cells(page, len(CELLS))
            assert not lab_page.error_outputs(page), lab_page.error_outputs(page)
            panels = lab_page.widget_panels(page)
            lab_page.wait_until(lambda: panels.count() > 0,
                                f"the labelling panel did not render: {lab_page.explain_missing_panel(page)}")
            panel = panels.first
            image = panel.locator("img").first
            image.wait_for()
            lab_page.wait_until(lambda: image.evaluate("i => i.complete && i.naturalWidth > 0"),
                                "the photo did not load in the widget")
            assert "photo 1 of 2, 0 labelled, 0 skipped" in lab_page.summary(panel)

            panel.locator(".class-label", has_text="dog").first.click()  # pick the class
            image.scroll_into_view_if_needed()
            natural = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
            shown = image.bounding_box()
            assert natural == [1280, 960]
            assert shown is not None and shown["width"] < natural[0], f"the photo is shown 1:1 ({shown})"
            scale = PHOTO_SIZE[0] / shown["width"]  # photo pixels per screen pixel
            start = (shown["x"] + 0.2 * shown["width"], shown["y"] + 0.25 * shown["height"])
            end = (shown["x"] + 0.6 * shown["width"], shown["y"] + 0.7 * shown["height"])
            page.mouse.move(*start)
            page.mouse.down()
            page.mouse.move(*end, steps=12)
            page.mouse.up()

            # Pressing the button already sends a box of no size (saved as an XML without objects); the
            # box arrives when the button is released.
            xml = lab.root / "photos" / "annotations" / "a.xml"
            lab_page.wait_until(lambda: xml.is_file() and len(read_voc_xml(xml, ["raccoon", "dog"]).boxes) > 0,
                                f"no box in {xml} after drawing one", timeout_s=30)
            annotation = read_voc_xml(xml, ["raccoon", "dog"])
            assert (annotation.width, annotation.height) == PHOTO_SIZE
            assert annotation.boxes.shape == (1, 5) and annotation.boxes[0, 4] == 1  # one box, class "dog"
            expected = [(start[0] - shown["x"]) * scale, (start[1] - shown["y"]) * scale,
                        (end[0] - shown["x"]) * scale, (end[1] - shown["y"]) * scale]
            np.testing.assert_allclose(annotation.boxes[0, :4], expected, atol=scale + 1)
            lab_page.wait_until(lambda: "saved 1 box in a.xml" in lab_page.summary(panel),
                                f"the panel does not say it saved: {lab_page.summary(panel)!r}")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "labelling.png"))

            page.keyboard.press("Delete")  # the box just drawn is selected: delete it, then undo by drawing again
            lab_page.wait_until(lambda: len(read_voc_xml(xml, ["raccoon", "dog"]).boxes) == 0,
                                f"deleting the box did not rewrite {xml}")
            page.mouse.move(*start)
            page.mouse.down()
            page.mouse.move(*end, steps=12)
            page.mouse.up()
            lab_page.wait_until(lambda: len(read_voc_xml(xml, ["raccoon", "dog"]).boxes) == 1,
                                f"the box drawn again is not in {xml}")

            panel.get_by_role("button", name="next ▶").click()
            lab_page.wait_until(lambda: "photo 2 of 2, 1 labelled" in lab_page.summary(panel),
                                f"next did not move on: {lab_page.summary(panel)!r}")
        finally:
            page.close()
            lab.shutdown_kernels()
