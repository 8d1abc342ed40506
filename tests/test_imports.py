"""Our own modules are imported at the top of each module; an import inside a function is kept only where
it crosses the heavy boundary: a module whose imports reach TensorFlow, Beam, a converter, Dask,
matplotlib, widgets or another slow package. Importing the package and building the command line's
parser stay free of those packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Third-party packages slow enough to import (or absent in a smaller install) that a module needing them
#: is imported only where it is used.
HEAVY = {"tensorflow", "keras", "apache_beam", "tf2onnx", "coremltools", "ai_edge_litert", "onnxruntime", "onnx",
         "dlib", "dask", "distributed", "playwright", "matplotlib", "ipywidgets", "cv2", "IPython", "jupyterlab",
         "google", "gcsfs", "fsspec", "PIL", "scipy", "sklearn", "ipykernel", "jupyter_client"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, package: bool, modules: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".") if package else module.split(".")[:-1]
    name = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else [])) if node.level \
        else str(node.module)
    return [name] + [f"{name}.{alias.name}" for alias in node.names if f"{name}.{alias.name}" in modules]


def _in_functions(tree: ast.AST) -> set[int]:
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner.update(id(sub) for sub in ast.walk(node) if sub is not node)
    return inner


def _import_graph():
    paths = {_module(p): p for p in (ROOT / "mlbasics").rglob("*.py")}
    top: dict[str, set[str]] = {}
    lazy: list[tuple[str, int, list[str]]] = []
    for module, path in paths.items():
        tree = ast.parse(path.read_text(), str(path))
        inner = _in_functions(tree)
        top[module] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _targets(node, module, path.name == "__init__.py", set(paths))
                if id(node) in inner:
                    lazy.append((module, node.lineno, targets))
                else:
                    top[module].update(targets)
    return paths, top, lazy


def _reach(module: str, top: dict[str, set[str]], seen: set[str]) -> set[str]:
    for target in top.get(module, ()):
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            name = ".".join(parts[:end])
            if name not in seen:
                seen.add(name)
                _reach(name, top, seen)
    return seen


def test_own_modules_are_imported_lazily_only_across_the_heavy_boundary():
    paths, top, lazy = _import_graph()
    heavy = {m for m in paths if {name.split(".")[0] for name in _reach(m, top, set())} & HEAVY}
    cheap_lazy = [f"{module}:{line} imports {targets[0]}" for module, line, targets in lazy
                  if targets[0].startswith("mlbasics") and not any(t in heavy for t in targets)]
    assert not cheap_lazy, "move these imports to the top of their module:\n" + "\n".join(cheap_lazy)


#: What ``mlbasics --help`` must not wait for (Pillow and protobuf are quick, and the parser's defaults need them).
SLOW = HEAVY - {"PIL", "google"}


def test_the_command_line_is_built_without_heavy_packages():
    code = ("import sys\nfrom mlbasics.cli import build_parser\nbuild_parser()\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(SLOW)!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
