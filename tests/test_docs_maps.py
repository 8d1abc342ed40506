"""The maps in the docs are true: each file map lists exactly the modules of the folder it maps, and every
``mlbasics/...`` path the README or a docs page names exists.

A *file map* is a fenced block whose lines start with ``mlbasics/`` paths (the first word of a line). The
maps and the folders they cover are :data:`MAPS`; a new map must be added there, so none goes unchecked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

#: Each map (page, first path it lists) -> the folders whose every module (or, for ``mlbasics``, every
#: package) it must list; the map may list more, from other folders, and each of those must exist.
MAPS: dict[tuple[str, str], tuple[str, ...]] = {
    ("README.md", "mlbasics/cli/"): ("mlbasics",),
    ("docs/yolo.md", "mlbasics/geometry/boxes.py"): ("mlbasics/vision", "mlbasics/vision/yolo"),
}

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
#: A path of the package as a word of prose (not ``~/.cache/mlbasics/...``), with braces (``data/{a,b}.py``)
#: or a glob (``embeddings*.py``).
NAMED = re.compile(r"(?<![\w./~-])mlbasics/[\w/{},.*-]*\w/?")


def file_maps() -> dict[tuple[str, str], list[str]]:
    """Every file map of the README and docs/: (page, its first path) -> the paths it lists, in order
    (``mlbasics/cloud/ | export/`` lists both folders)."""
    maps = {}
    for page in PAGES:
        for block in FENCE.findall(page.read_text(encoding="utf-8")):
            paths = []
            for line in block.splitlines():
                words = line.split()
                if words and words[0].startswith("mlbasics/"):
                    paths.append(words[0])
                    base = words[0].split("/")[0]
                    paths += [f"{base}/{w}" for w, before in zip(words[2:], words[1:]) if before == "|"]
            if paths:
                maps[(page.relative_to(REPO).as_posix(), paths[0])] = paths
    return maps


def modules_of(folder: str) -> set[str]:
    """The modules of ``folder`` (``__init__.py`` aside) as ``folder/name.py``; for the package root, its
    subpackages as ``mlbasics/name/``."""
    path = REPO / folder
    if folder == "mlbasics":
        return {f"mlbasics/{p.name}/" for p in path.iterdir() if (p / "__init__.py").is_file()}
    return {f"{folder}/{p.name}" for p in path.glob("*.py") if p.name != "__init__.py"}


def expanded(path: str) -> list[str]:
    """``a/{b,c}.py`` -> ``[a/b.py, a/c.py]``."""
    match = re.search(r"\{([^}]*)\}", path)
    if not match:
        return [path]
    return [p for part in match[1].split(",") for p in expanded(path[:match.start()] + part + path[match.end():])]


def test_every_map_is_known():
    assert set(file_maps()) == set(MAPS), "a file map was added or moved: name the folders it covers in MAPS"


@pytest.mark.parametrize("key", sorted(MAPS), ids=lambda key: key[0])
def test_a_map_lists_exactly_the_modules_of_its_folders(key):
    listed = set(file_maps()[key])
    for folder in MAPS[key]:
        inside = {p for p in listed if p.rsplit("/", 2 if p.endswith("/") else 1)[0] == folder}
        assert inside == modules_of(folder), (
            f"{key[0]}'s map of {folder}/: missing {sorted(modules_of(folder) - inside)}, "
            f"gone {sorted(inside - modules_of(folder))}")


def test_every_named_path_exists():
    missing = [f"{page.relative_to(REPO)}: {path}" for page in PAGES
               for named in NAMED.findall(page.read_text(encoding="utf-8")) for path in expanded(named)
               if not any(REPO.glob(path.rstrip("/")))]
    assert not missing, missing


def test_the_map_helpers_see_what_they_should():
    assert expanded("mlbasics/data/{voc,coco}.py") == ["mlbasics/data/voc.py", "mlbasics/data/coco.py"]
    assert "mlbasics/vision/yolo/fit.py" in modules_of("mlbasics/vision/yolo")
    assert "mlbasics/io/" in modules_of("mlbasics") and "mlbasics/__init__.py" not in modules_of("mlbasics")
    readme = file_maps()[("README.md", "mlbasics/cli/")]
    assert {"mlbasics/export/", "mlbasics/pipelines/", "mlbasics/basics/"} <= set(readme)
