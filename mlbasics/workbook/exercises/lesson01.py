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


@exercise("01.2", "Training examples come in an order. Give an order of the four AND rows (a permutation of "
                  "0, 1, 2, 3) in which Perceptron(learning_rate=1.0) learns AND in fewer epochs than the lesson's 7.")
def and_order(answer: Any) -> tuple[bool, str]:
    order = [int(i) for i in answer]
    if sorted(order) != [0, 1, 2, 3]:
        return False, "give each of the row numbers 0, 1, 2 and 3 exactly once, e.g. (3, 1, 0, 2)."
    X, y = truth_table("and")
    baseline = Perceptron(learning_rate=1.0).fit(X, y).n_epochs_
    epochs = Perceptron(learning_rate=1.0).fit(X[order], y[order]).n_epochs_
    if epochs < baseline:
        return True, (f"{epochs} epochs instead of {baseline}: same data, same rule, another order. This is why "
                      "training loops shuffle the examples every epoch (lesson 03).")
    return False, (f"in this order it takes {epochs} epochs (the lesson's order: {baseline}). Try putting the one "
                   "positive example, row 3, somewhere else; fit Perceptron on X[order], y[order] to compare.")


@exercise("01.3", "What is the smallest number of hidden units with which train_xor (default settings) reaches 100%?")
def smallest_hidden(answer: Any) -> tuple[bool, str]:
    X, y = truth_table("xor")
    truth = next(h for h in range(1, 9) if train_xor(hidden_units=h).score(X, y) == 1.0)
    if int(answer) == truth:
        return True, "one hidden unit draws one line; XOR needs two lines, so two units are the minimum in theory."
    if int(answer) < truth:
        return False, "with that few units the network cannot separate XOR: try the widget and watch the boundary."
    return False, "that many works, but fewer also do. Try smaller values with train_xor(hidden_units=...)."
