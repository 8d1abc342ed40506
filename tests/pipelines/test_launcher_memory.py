"""The launcher's memory stays flat as the inputs grow (issue 12): a fresh process runs the embedding
pipeline on 1,000 and on 10,000 tiny images; its peak resident memory may grow by less than 10%.

On the DirectRunner the launcher *is* the worker, so this is the strict case: nothing may hold every
image (no list built in the launcher, no embeddings in the per-shard groups). On the DaskRunner the
launcher is only a client and its memory does not depend on the images at all
(``python -m benchmarks embeddings`` measures both).
"""

from __future__ import annotations

from mlbasics.data.synthetic import write_object_crops
from mlbasics.pipelines.launcher_memory import launcher_peak_mib

SMALL, LARGE = 1_000, 10_000


def test_direct_runner_launcher_memory_is_flat_from_1k_to_10k_images(tmp_path, tiny_model):
    peaks = {}
    for count in (SMALL, LARGE):
        folder = tmp_path / f"images-{count}"
        write_object_crops(folder, count, size=16, seed=11)
        embedded, peaks[count] = launcher_peak_mib(folder, tmp_path / f"out-{count}", tiny_model)
        assert embedded == count
    growth = peaks[LARGE] / peaks[SMALL] - 1
    print(f"launcher peak: {peaks[SMALL]:.1f} MiB at {SMALL} images, {peaks[LARGE]:.1f} MiB at {LARGE} ({growth:+.1%})")
    assert growth < 0.10, f"launcher peak {peaks[SMALL]:.1f} MiB at {SMALL} images, {peaks[LARGE]:.1f} MiB at " \
                          f"{LARGE} (+{growth:.1%}): something holds every image"
