"""Exercises of lesson 03 (epochs, batches, iterations, loss)."""

from __future__ import annotations

from typing import Any

from mlbasics.basics.linear import batch_size_experiment
from mlbasics.basics.training import steps_per_epoch
from mlbasics.workbook.exercises import exercise


@exercise("03.1", "How many iterations does training make in 10 epochs of N=1000 samples with batch size 32?")
def iterations(answer: Any) -> tuple[bool, str]:
    truth = 10 * steps_per_epoch(1000, 32)
    if int(answer) == truth:
        return True, "32 batches per epoch: 31 full ones and a last one of 8 samples."
    if int(answer) == 10 * 1000 // 32:
        return False, "close: don't drop the last, smaller batch (round up, not down)."
    return False, "iterations per epoch = ceil(N / batch size); then times the epochs."


@exercise("03.2", "batch_size_experiment(256, learning_rate=...) trains for 5 epochs (20 iterations). Find a "
                  "learning rate whose final epoch loss is within 10% of batch size 8 with learning_rate=0.01.")
def big_batch_rate(answer: Any) -> tuple[bool, str]:
    rate = float(answer)
    if not 0 < rate < 1e6:
        return False, "give a positive learning rate."
    target = batch_size_experiment(8, learning_rate=0.01)[1].epoch_loss[-1]
    try:
        history = batch_size_experiment(256, learning_rate=rate)[1]
    except FloatingPointError:
        return False, "the loss overflowed: this rate is far past what the problem tolerates. Go smaller."
    got = history.epoch_loss[-1]
    if got <= 1.1 * target:
        return True, (f"final loss {got:.3f} against {target:.3f}: 32 times fewer steps, each long enough to make "
                      "up for it. That is the linear scaling rule at work.")
    try:
        half_step_better = batch_size_experiment(256, learning_rate=rate / 2)[1].epoch_loss[-1] < got
    except FloatingPointError:
        half_step_better = False
    if half_step_better:
        return False, (f"final loss {got:.3g} (target {1.1 * target:.3f} or less), and half this rate does better: "
                       "steps this long overshoot and bounce. Plot history.step_loss to see it.")
    return False, (f"final loss {got:.3g} (target {1.1 * target:.3f} or less), still falling: 20 steps of this "
                   "size do not get there. Each step must go further.")
