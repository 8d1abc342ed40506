"""A Vertex AI custom training job: our spec, its checks, the API object and the gcloud form.

:class:`JobSpec` holds what a reader chooses (machine, GPU, package, module, arguments,
output folder). :meth:`JobSpec.to_custom_job` turns it into
``google.cloud.aiplatform_v1.CustomJob`` — the message the API receives. That message
only checks types (it accepts ``accelerator_count=-1``, any machine type, a package on a
laptop disk), so :meth:`JobSpec.validate` checks the values first and names the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mlbasics.core import limits
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.limits import check_params, setting
from mlbasics.io.files import write_json
from mlbasics.io.storage import PathLike, gs_read_text

#: Accelerators each machine family takes (Vertex AI custom training, per Google's machine table).
ACCELERATORS_BY_FAMILY = {
    "n1": ("NVIDIA_TESLA_T4", "NVIDIA_TESLA_V100", "NVIDIA_TESLA_P100", "NVIDIA_TESLA_P4"),
    "a2": ("NVIDIA_TESLA_A100", "NVIDIA_A100_80GB"),
    "a3": ("NVIDIA_H100_80GB", "NVIDIA_H100_MEGA_80GB", "NVIDIA_H200_141GB"),
    "a4": ("NVIDIA_B200",),
    "g2": ("NVIDIA_L4",),
}
#: Families without GPUs (CPU-only training).
CPU_FAMILIES = ("n2", "n2d", "e2", "c2", "c2d", "c3", "m1")
ACCELERATOR_COUNTS = (1, 2, 4, 8, 16)
_MACHINE = re.compile(r"^(?P<family>[a-z][a-z0-9]*)-(standard|highmem|highcpu|highgpu|megagpu|ultragpu|edgegpu)-\d+g?$")
_PACKAGE = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}/.+\.(tar\.gz|whl|zip)$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_BUCKET_URL = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}(/.*)?$")
#: The Vertex AI prebuilt training image a spec names unless told otherwise: TensorFlow 2.17 (GPU) on Python 3.10.
#: Not what the library is tested with: that is TensorFlow 2.21, Keras 3.15 and Python 3.11
#: (:data:`TESTED_WITH`), and the job has only been run here, locally (:func:`mlbasics.cloud.local_run.run_local`).
#: We have not found a prebuilt training image with those versions; before submitting, check Google's list of
#: prebuilt training containers for a newer one, try the image with ``gcloud ai custom-jobs local-run``, or
#: build a custom container from the tested versions.
DEFAULT_IMAGE = "us-docker.pkg.dev/vertex-ai/training/tf-gpu.2-17.py310:latest"
#: The versions the trainer has actually run with (the workbook's tests and lesson 11's local job).
TESTED_WITH = {"python": "3.11", "tensorflow": "2.21", "keras": "3.15"}


@dataclass(frozen=True)
class JobSpec:
    """What a custom training job runs and on which machines.

    ``replica_count`` machines of ``machine_type`` run the same module and arguments: one is the chief
    (worker pool 0, which Vertex AI allows one replica), the others form worker pool 1. With more than
    one, Vertex sets ``TF_CONFIG`` for a ``chief`` and ``replica_count - 1`` ``worker`` tasks and the
    trainer trains under ``MultiWorkerMirroredStrategy`` (:mod:`mlbasics.vision.yolo.distribute`).
    """

    display_name: str
    package_uris: tuple[str, ...]
    python_module: str
    base_output_dir: str
    args: tuple[str, ...] = ()
    machine_type: str = "n1-standard-4"
    accelerator_type: str | None = "NVIDIA_TESLA_T4"
    accelerator_count: int = setting(1, limits.ACCELERATORS, "accelerators per replica")
    replica_count: int = setting(1, limits.REPLICAS, "machines: 1 chief + REPLICA_COUNT-1 workers, trained under "
                                                     "MultiWorkerMirroredStrategy")
    executor_image_uri: str = DEFAULT_IMAGE
    region: str = "us-central1"
    labels: dict[str, str] = field(default_factory=dict)

    def validate(self) -> JobSpec:
        """Raise :class:`InputError` naming the first bad field and what to change; return self."""
        if not self.display_name or len(self.display_name) > 128:
            raise InputError(f"display_name must be 1 to 128 characters, got {self.display_name!r}")
        _check_machine(self.machine_type, self.accelerator_type, self.accelerator_count)
        check_params(self)
        if not self.package_uris:
            raise InputError("package_uris is empty: upload the trainer's sdist or wheel to gs:// and list it")
        for uri in self.package_uris:
            if not _PACKAGE.match(uri):
                raise InputError(f"package_uris: {uri!r} must be a gs://bucket/... URL (bucket names are 3 to 63 "
                                 "characters) of a .tar.gz, .whl or .zip (the job's machines cannot read your disk: "
                                 "upload it first)")
        if not _MODULE.match(self.python_module):
            raise InputError(f"python_module must be a dotted module name like 'trainer.task', "
                             f"got {self.python_module!r}")
        if not _BUCKET_URL.match(self.base_output_dir):
            raise InputError(f"base_output_dir must be a gs://bucket/folder URL, got {self.base_output_dir!r}")
        if not all(isinstance(a, str) for a in self.args):
            raise InputError(f"args must all be strings, got {[type(a).__name__ for a in self.args]}")
        if not _REGION.match(self.region):
            raise InputError(f"region must look like 'us-central1' or 'europe-west4', got {self.region!r}")
        if not self.executor_image_uri or " " in self.executor_image_uri:
            raise InputError(f"executor_image_uri must be a container image name, got {self.executor_image_uri!r}")
        return self

    def to_custom_job(self) -> Any:
        """The ``aiplatform_v1.CustomJob`` message (validated first)."""
        from google.cloud import aiplatform_v1 as v1

        self.validate()
        machine = v1.MachineSpec(machine_type=self.machine_type)
        if self.accelerator_type:
            machine.accelerator_type = getattr(v1.AcceleratorType, self.accelerator_type)  # validated above
            machine.accelerator_count = self.accelerator_count
        package = v1.PythonPackageSpec(executor_image_uri=self.executor_image_uri,
                                       package_uris=list(self.package_uris), python_module=self.python_module,
                                       args=list(self.args))
        # pool 0 holds the chief alone (Vertex requires one replica there); pool 1 the other workers,
        # the same machine, image and arguments: TF_CONFIG tells each process its part
        pools = [v1.WorkerPoolSpec(machine_spec=machine, replica_count=count, python_package_spec=package)
                 for count in (1, self.replica_count - 1) if count]
        spec = v1.CustomJobSpec(worker_pool_specs=pools,
                                base_output_directory=v1.GcsDestination(output_uri_prefix=self.base_output_dir))
        return v1.CustomJob(display_name=self.display_name, job_spec=spec, labels=self.labels)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["package_uris"], data["args"] = list(self.package_uris), list(self.args)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "job spec") -> JobSpec:
        """Build from a dict (e.g. a JSON file); unknown or missing fields are named in the error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{source}: unknown field(s) {unknown}; known fields: {sorted(known)}")
        try:
            spec = cls(**{**data, "package_uris": tuple(data.get("package_uris", ())),
                          "args": tuple(data.get("args", ()))})
        except TypeError as exc:
            raise InputError(f"{source}: {exc}") from None
        return spec.validate()


def _check_machine(machine_type: str, accelerator: str | None, count: int) -> None:
    match = _MACHINE.match(machine_type or "")
    if not match:
        raise InputError(f"machine_type {machine_type!r} is not a Compute Engine machine type like "
                         "'n1-standard-4', 'g2-standard-8' or 'a2-highgpu-1g'")
    family = match["family"]
    if family not in ACCELERATORS_BY_FAMILY and family not in CPU_FAMILIES:
        raise InputError(f"machine_type {machine_type!r}: family {family!r} is not one Vertex AI training offers; "
                         f"use one of {sorted([*ACCELERATORS_BY_FAMILY, *CPU_FAMILIES])}")
    if accelerator is None:
        if count not in (0, 1):
            raise InputError(f"accelerator_count is {count} but accelerator_type is None; set both or neither")
        return
    from google.cloud.aiplatform_v1 import AcceleratorType

    if accelerator not in AcceleratorType.__members__ or accelerator == "ACCELERATOR_TYPE_UNSPECIFIED":
        names = [n for n in AcceleratorType.__members__ if n.startswith("NVIDIA")]
        raise InputError(f"accelerator_type {accelerator!r} is not a Vertex AI accelerator; use one of {names}")
    allowed = ACCELERATORS_BY_FAMILY.get(family, ())
    if accelerator not in allowed:
        takes = [name for name, accelerators in ACCELERATORS_BY_FAMILY.items() if accelerator in accelerators]
        hint = f"it takes {list(allowed)}" if allowed else "it has no GPUs"
        hint += f"; {accelerator} fits only {' or '.join(takes)} machines" if takes else ""
        raise InputError(f"accelerator_type {accelerator!r} does not fit machine_type {machine_type!r}: {hint}")
    if isinstance(count, bool) or not isinstance(count, int) or count not in ACCELERATOR_COUNTS:
        raise InputError(f"accelerator_count must be one of {ACCELERATOR_COUNTS}, got {count!r}")


def load_spec(path: PathLike) -> JobSpec:
    """Read and validate a job spec JSON file (local or gs://)."""
    try:
        data = json.loads(gs_read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise DataFileError(path, "a job spec must be a JSON object of fields")
    try:
        return JobSpec.from_dict(data, source=str(path))
    except InputError as exc:
        raise DataFileError(path, str(exc).removeprefix(f"{path}: ")) from None


def save_spec(spec: JobSpec, path: PathLike) -> None:
    """Write a validated spec as JSON, atomically."""
    write_json(path, spec.validate().to_dict())


def gcloud_config(spec: JobSpec) -> str:
    """The YAML ``CustomJobSpec`` that ``gcloud ai custom-jobs create --config`` reads."""
    import yaml
    from google.cloud import aiplatform_v1 as v1

    job_spec = v1.CustomJobSpec.to_dict(spec.to_custom_job().job_spec, preserving_proto_field_name=False,
                                        use_integers_for_enums=False)
    return yaml.safe_dump(_drop_empty(job_spec), sort_keys=False)


def gcloud_command(spec: JobSpec, config_file: str = "job.yaml") -> list[str]:
    """``gcloud ai custom-jobs create`` with the config written by :func:`gcloud_config`."""
    spec.validate()
    return ["gcloud", "ai", "custom-jobs", "create", f"--region={spec.region}",
            f"--display-name={spec.display_name}", f"--config={config_file}"]


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", [], {}, None, False, "0")}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value
