"""Exercise checks: the reader answers in code, ``check`` says what is right or wrong.

Each lesson has a module ``mlbasics.workbook.exercises.lessonNN`` whose checkers are registered
with :func:`exercise`. Feedback gives hints, never the answer::

    from mlbasics.workbook.exercises import check
    check("01.2", my_weights)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer."""

    exercise_id: str
    correct: bool
    message: str

    def __str__(self) -> str:
        mark = "✔ correct" if self.correct else "✘ not yet"
        return f"[{self.exercise_id}] {mark}: {self.message}"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.correct else "#b35900"
        mark = "✔ correct" if self.correct else "✘ not yet"
        return f'<p style="color:{colour}"><b>[{escape(self.exercise_id)}] {mark}</b>: {escape(self.message)}</p>'


Checker = Callable[[Any], tuple[bool, str]]
_REGISTRY: dict[str, tuple[str, Checker]] = {}


def exercise(exercise_id: str, prompt: str) -> Callable[[Checker], Checker]:
    """Register ``checker(answer) -> (correct, message)`` under ``exercise_id`` (e.g. ``"01.2"``)."""

    def register(checker: Checker) -> Checker:
        _REGISTRY[exercise_id] = (prompt, checker)
        return checker

    return register


def _load_lesson(exercise_id: str) -> None:
    lesson = exercise_id.split(".", 1)[0]
    try:
        importlib.import_module(f"mlbasics.workbook.exercises.lesson{lesson}")
    except ModuleNotFoundError:
        pass


def prompt(exercise_id: str) -> str:
    """The text of the exercise."""
    _load_lesson(exercise_id)
    if exercise_id not in _REGISTRY:
        raise KeyError(f"no exercise {exercise_id!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[exercise_id][0]


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check ``answer`` to exercise ``exercise_id``. A checker that crashes on a malformed
    answer is reported as a wrong answer with the reason, not as an exception."""
    prompt(exercise_id)  # loads the lesson and names known ids if this one is unknown
    _, checker = _REGISTRY[exercise_id]
    if answer is Ellipsis or answer is None:
        return Feedback(exercise_id, False, "no answer yet: replace ... with your answer and run the cell again.")
    try:
        correct, message = checker(answer)
    except Exception as exc:  # noqa: BLE001 - the reader's answer may be anything
        correct, message = False, f"could not check this answer ({type(exc).__name__}: {exc})"
    return Feedback(exercise_id, bool(correct), message)
