"""Run the browser tests after everything else, notebooks included.

Lesson 08 in the browser needs the detector that notebook 07 trains into the session's
``MLBASICS_CACHE``; run last, it finds it there instead of training again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: HERE in Path(str(item.path)).resolve().parents)


#: Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM = os.environ.get("MLBASICS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module (skipped, with the reason, where Chromium is missing)."""
    playwright = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install -e '.[all]')")
    import lab_page  # this folder is on sys.path under pytest

    if not CHROMIUM:
        pytest.skip("Chromium not found: install Debian's 'chromium' package (.ci/run does) or set MLBASICS_CHROMIUM")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=lab_page.CHROMIUM_ARGS)
        yield chromium
        chromium.close()
