"""Which ``tf.distribute`` strategy the detector trainer runs under, and which process writes.

* ``TF_CONFIG`` naming two or more training tasks (``chief`` and ``worker`` pools; Vertex AI sets it
  for a job with several replicas) -> :class:`tf.distribute.MultiWorkerMirroredStrategy`: every
  process holds a copy of the model, takes its part of each global batch, and the gradients are
  summed across processes (collective all-reduce over gRPC) before every update;
* else several GPUs on this machine -> :class:`tf.distribute.MirroredStrategy` (one replica per GPU);
* else the default strategy: one replica, exactly the single-process trainer.

**The global batch.** ``batch_size`` is the *global* batch: the images of one update, over all
replicas. Each replica takes ``batch_size / replicas`` of them (it must divide evenly), so the same
command with the same ``--batch-size`` takes the same steps on one machine or several.

**Input sharding.** The training images are in memory, not in files, so sharding is by data
(:data:`SHARDING`): every worker builds the same seeded pipeline and keeps its replicas' slices of
each global batch. File sharding would need one file per worker.

**Who writes.** The chief (task ``chief``, or ``worker`` 0 when the cluster has no chief) writes the
job directory. Every other worker must run the same callbacks (saving weights reads values all
replicas hold), so it writes them to a scratch copy of the job directory, outside it, deleted at the
end (:func:`worker_scratch`): the Keras multi-worker pattern.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlbasics.core.errors import InputError
from mlbasics.core.quiet import quiet_import

#: ``tf.data`` auto-shard policy of the training set (its name; see the module docstring).
SHARDING = "DATA"
#: Task types that train (``ps`` and ``evaluator`` do not run the training loop).
TRAINING_TASKS = ("chief", "worker")


@dataclass(frozen=True)
class ClusterTask:
    """This process's place in a ``TF_CONFIG`` cluster: the training tasks' addresses and its own task."""

    cluster: dict[str, list[str]]
    task_type: str
    task_index: int

    @property
    def workers(self) -> int:
        """Training processes in the cluster (chief + workers)."""
        return sum(len(self.cluster.get(kind, [])) for kind in TRAINING_TASKS)

    @property
    def is_chief(self) -> bool:
        """The task that writes: ``chief``, or ``worker`` 0 in a cluster without a chief."""
        if "chief" in self.cluster:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0


def parse_tf_config(text: str) -> ClusterTask:
    """Read ``TF_CONFIG`` JSON (``{"cluster": {type: ["host:port", ...]}, "task": {"type": t, "index": i}}``);
    a wrong field is named in the :class:`InputError`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"TF_CONFIG is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise InputError(f"TF_CONFIG must be a JSON object with 'cluster' and 'task', got {type(data).__name__}")
    cluster, task = data.get("cluster"), data.get("task")
    if not isinstance(cluster, dict) or not cluster:
        raise InputError(f"TF_CONFIG.cluster must be an object of task type -> list of 'host:port', got {cluster!r}")
    for kind, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses or not all(
                isinstance(a, str) and a.rpartition(":")[2].isdigit() and a.rpartition(":")[0] for a in addresses):
            raise InputError(f"TF_CONFIG.cluster.{kind} must be a non-empty list of 'host:port', got {addresses!r}")
    if not isinstance(task, dict):
        raise InputError(f"TF_CONFIG.task must be an object with 'type' and 'index', got {task!r}")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in cluster:
        raise InputError(f"TF_CONFIG.task.type {kind!r} is not one of the cluster's task types {sorted(cluster)}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise InputError(f"TF_CONFIG.task.index must be an integer in 0..{len(cluster[kind]) - 1} "
                         f"(cluster.{kind} has {len(cluster[kind])}), got {index!r}")
    return ClusterTask({k: list(v) for k, v in cluster.items()}, str(kind), index)


def cluster_task(environ: Mapping[str, str] | None = None) -> ClusterTask | None:
    """This process's task from ``$TF_CONFIG``, or None when it is unset or empty."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    return parse_tf_config(text) if text else None


def is_chief(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process writes the job's outputs (True outside a cluster)."""
    task = cluster_task(environ)
    return task is None or task.is_chief


def choose_strategy(environ: Mapping[str, str] | None = None) -> Any:
    """The strategy for this process (see the module docstring). Call it before TensorFlow runs any op:
    a multi-worker strategy sets up collective communication when it is created."""
    with quiet_import():
        import tensorflow as tf

    task = cluster_task(environ)
    if task is not None and task.workers > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def per_replica_batch(batch_size: int, replicas: int) -> int:
    """``batch_size`` (the global batch) split over ``replicas``; it must divide evenly."""
    if batch_size % replicas:
        raise InputError(f"batch_size {batch_size} is the global batch and must be a multiple of the "
                         f"{replicas} replicas training it (each takes an equal part)")
    return batch_size // replicas


def describe(strategy: Any, batch_size: int, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a job's ``config.json`` records about its distribution: strategy, workers, replicas, the
    global and per-replica batch, and the input sharding."""
    with quiet_import():
        import tensorflow as tf

    task = cluster_task(environ)
    replicas = int(strategy.num_replicas_in_sync)
    # by the names users know (TensorFlow's class for MultiWorkerMirroredStrategy is CollectiveAllReduceStrategy)
    name = next((name for name, kind in (("MultiWorkerMirroredStrategy", tf.distribute.MultiWorkerMirroredStrategy),
                                         ("MirroredStrategy", tf.distribute.MirroredStrategy))
                 if isinstance(strategy, kind)), "none (one process, one replica)")
    return {"strategy": name, "workers": task.workers if task is not None else 1,
            "replicas": replicas, "global_batch_size": batch_size,
            "per_replica_batch_size": per_replica_batch(batch_size, replicas), "input_sharding": SHARDING}


def sharded(dataset: Any) -> Any:
    """``dataset`` with the auto-shard policy :data:`SHARDING` (what each worker keeps of each global batch)."""
    with quiet_import():
        import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = getattr(tf.data.experimental.AutoShardPolicy, SHARDING)
    return dataset.with_options(options)


@contextlib.contextmanager
def worker_scratch(paths: Mapping[str, str], environ: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Where this process writes: on the chief, ``paths`` as given; on another worker, each path moved
    into a new temporary folder (outside the job directory), holding a copy of what is already there
    (so a resumed run starts from the chief's state), deleted afterwards.

    ``paths``: name -> file or folder path, e.g. ``{"job_dir": ..., "weights_final": ...}``; empty
    strings stay empty.
    """
    if is_chief(environ):
        yield dict(paths)
        return
    scratch = Path(tempfile.mkdtemp(prefix="mlbasics-worker-"))
    try:
        moved: dict[str, str] = {}
        for name, path in paths.items():
            if not path:
                moved[name] = path
                continue
            target = scratch / name / Path(path).name
            source = Path(path)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("logs"))
            elif source.is_file():
                target.parent.mkdir(parents=True)
                shutil.copy2(source, target)
            moved[name] = str(target)
        yield moved
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def synchronize_batch_norm(model: Any) -> int:
    """Make every batch norm layer of ``model`` compute its training statistics over the global batch
    (all replicas), as one process would over the whole batch; return how many layers. A no-op
    outside a multi-replica strategy (Keras then computes them locally, as before)."""
    with quiet_import():
        import keras

    layers = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.synchronized = True
    return len(layers)
