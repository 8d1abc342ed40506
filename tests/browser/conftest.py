"""Run the browser tests after everything else, notebooks included.

Lesson 08 in the browser needs the detector that notebook 07 trains into the session's
``MLBASICS_CACHE``; run last, it finds it there instead of training again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: HERE in Path(str(item.path)).resolve().parents)
