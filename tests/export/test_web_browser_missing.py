"""Without Playwright (an install without the export extra) or Chromium, the camera page is not tried: the
lesson gets one sentence saying what to install, never a traceback."""

import sys

import numpy as np
import pytest

from mlbasics.core.errors import InputError
from mlbasics.export.web import check


@pytest.fixture
def no_playwright(monkeypatch):
    """``import playwright.sync_api`` fails, as where Playwright is not installed."""
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)


def test_missing_playwright_is_named_before_chromium(no_playwright, monkeypatch):
    monkeypatch.setenv("MLBASICS_CHROMIUM", "/usr/bin/true")
    assert check.browser_missing() == check.NO_PLAYWRIGHT
    assert ".[export]" in check.NO_PLAYWRIGHT and "\n" not in check.NO_PLAYWRIGHT
    with pytest.raises(InputError, match="Playwright is not installed"):
        with check.camera_browser("camera.y4m"):
            pass


def test_missing_chromium_is_named(monkeypatch):
    pytest.importorskip("playwright.sync_api")
    monkeypatch.delenv("MLBASICS_CHROMIUM", raising=False)
    monkeypatch.setattr(check.shutil, "which", lambda name: None)
    assert check.browser_missing() == check.NO_CHROMIUM


def test_the_lesson_helper_skips_with_the_sentence(no_playwright, monkeypatch, tmp_path, capsys):
    from mlbasics.vision.yolo.spec import YoloSpec
    from mlbasics.workbook import phone
    from mlbasics.workbook.phone import try_camera_page

    written = []
    monkeypatch.setattr(phone, "to_web", lambda model, spec, folder: written.append(folder) or folder)
    anchors = np.array([[9, 12], [15, 15], [21, 27], [30, 24], [39, 45], [60, 66]], dtype=np.float32)
    spec = YoloSpec(anchors, ("circle", "square"), input_size=64, width=0.125)
    result = try_camera_page(None, spec, np.zeros((2, 64, 64, 3), np.uint8), folder=tmp_path)
    assert written == [tmp_path / "tiny_yolo3-web"]  # the page is still written
    assert result["skipped"] == check.NO_PLAYWRIGHT and result["agreement"] is None
    assert not list(tmp_path.glob("*.y4m"))  # nothing tried
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
