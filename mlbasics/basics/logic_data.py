"""The four-row truth tables the first lesson learns: AND, OR, XOR."""

from __future__ import annotations

import numpy as np

#: The four inputs, shape ``(4, 2)``: (0,0), (0,1), (1,0), (1,1).
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

_TARGETS = {
    "and": np.array([0, 0, 0, 1]),
    "or": np.array([0, 1, 1, 1]),
    "xor": np.array([0, 1, 1, 0]),
    "nand": np.array([1, 1, 1, 0]),
}


def truth_table(gate: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(X, y)`` for a logic gate: ``X`` of shape ``(4, 2)`` float, ``y`` of shape ``(4,)`` int."""
    key = gate.lower()
    if key not in _TARGETS:
        raise ValueError(f"gate must be one of {sorted(_TARGETS)}, got {gate!r}")
    return INPUTS.copy(), _TARGETS[key].copy()
