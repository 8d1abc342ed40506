"""Exercises of lesson 01 (perceptron and XOR)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.mlp import train_xor
from mlbasics.basics.perceptron import Perceptron
from mlbasics.workbook.exercises import exercise


@exercise("01.1", "Give weights (w1, w2, b) for which step(w1*x1 + w2*x2 + b) computes NAND.")
def nand_weights(answer: Any) -> tuple[bool, str]:
    w1, w2, b = (float(v) for v in answer)
    X, y = truth_table("nand")
    got = (X @ np.array([w1, w2]) + b >= 0).astype(int)
    wrong = [tuple(int(v) for v in X[i]) for i in np.flatnonzero(got != y)]
    if not wrong:
        return True, "NAND is AND turned upside down: negative weights, positive bias."
    return False, f"wrong output for inputs {wrong}; NAND is 0 only for (1, 1). Try negative weights."


@exercise("01.2", "With learning_rate=1.0 and seed=0, how many epochs does Perceptron need to learn OR?")
def or_epochs(answer: Any) -> tuple[bool, str]:
    X, y = truth_table("or")
    truth = Perceptron(learning_rate=1.0, seed=0).fit(X, y).n_epochs_
    if int(answer) == truth:
        return True, "the last of those epochs is the one with zero mistakes, which is how it knows to stop."
    return False, "fit a Perceptron on truth_table('or') and read its n_epochs_ attribute."


@exercise("01.3", "What is the smallest number of hidden units with which train_xor (default settings) reaches 100%?")
def smallest_hidden(answer: Any) -> tuple[bool, str]:
    X, y = truth_table("xor")
    truth = next(h for h in range(1, 9) if train_xor(hidden_units=h).score(X, y) == 1.0)
    if int(answer) == truth:
        return True, "one hidden unit draws one line; XOR needs two lines, so two units are the minimum in theory."
    if int(answer) < truth:
        return False, "with that few units the network cannot separate XOR: try the widget and watch the boundary."
    return False, "that many works, but fewer also do. Try smaller values with train_xor(hidden_units=...)."
