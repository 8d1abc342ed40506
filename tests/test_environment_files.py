"""environment.yml and pyproject.toml must describe the same environment."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# Names that differ between the two files on purpose.
ALIASES = {"tensorflow-cpu": "tensorflow"}
NOT_PACKAGES = {"python", "pip", "-e .", "mlbasics"}


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")
    return ALIASES.get(name, name)


def pyproject_packages() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {_name(r) for r in requirements} - NOT_PACKAGES


def environment_packages() -> set[str]:
    dependencies = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    names = set()
    for item in dependencies:
        for requirement in item["pip"] if isinstance(item, dict) else [item]:
            if requirement.strip() not in NOT_PACKAGES:
                names.add(_name(requirement))
    return names - NOT_PACKAGES


def test_same_package_set():
    in_pyproject, in_environment = pyproject_packages(), environment_packages()
    assert in_pyproject == in_environment, (
        f"only in pyproject.toml: {sorted(in_pyproject - in_environment)}; "
        f"only in environment.yml: {sorted(in_environment - in_pyproject)}"
    )


def test_every_extra_is_in_all():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    in_all = {re.search(r"\[(.*)\]", r).group(1) for r in extras["all"] if r.startswith("mlbasics[")}
    named = {name for part in in_all for name in part.split(",")}
    assert named == set(extras) - {"all"}
