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


@exercise("03.2", "Of batch sizes 4, 64 and 1024, which gives the noisiest loss in batch_size_experiment?")
def noisiest(answer: Any) -> tuple[bool, str]:
    from mlbasics.workbook.widgets.batches import loss_noise

    noise = {b: loss_noise(batch_size_experiment(b)[1]) for b in (4, 64, 1024)}
    truth = max(noise, key=lambda size: noise[size])
    if int(answer) == truth:
        return True, "fewer samples per batch, more random each batch's loss: noisy but many updates."
    return False, "compare loss_noise(batch_size_experiment(b)[1]) for the three sizes, or use the widget."
