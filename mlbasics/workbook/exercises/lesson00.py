"""Exercises of lesson 00 (welcome and environment)."""

from __future__ import annotations

import os
from typing import Any

from mlbasics.workbook.environment import package_versions
from mlbasics.workbook.exercises import exercise


@exercise("00.1", "How many CPU cores does this machine give TensorFlow? Answer with an int.")
def cores(answer: Any) -> tuple[bool, str]:
    if int(answer) == os.cpu_count():
        return True, "that is what os.cpu_count() reports; training uses all of them."
    return False, "look at the 'cpu_cores' entry of mlbasics.workbook.environment.report()."


@exercise("00.2", "Which Keras major version is installed? Answer with an int.")
def keras_major(answer: Any) -> tuple[bool, str]:
    major = int(package_versions(("keras",))["keras"].split(".")[0])
    if int(answer) == major:
        return True, "Keras 3: the workbook uses its multi-backend API with TensorFlow underneath."
    return False, "look at the 'packages' entry of the report: the first number of the keras version."
