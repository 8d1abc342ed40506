"""Exercises of lesson 11 (cloud training jobs)."""

from __future__ import annotations

from typing import Any

from mlbasics.cloud.cost import CostInputs, break_even_hours
from mlbasics.cloud.job_spec import JobSpec
from mlbasics.cloud.local_run import job_environment
from mlbasics.workbook.exercises import exercise


@exercise("11.1", "With CostInputs(cloud_per_hour=1.2, purchase_price=2400) and the other defaults, above how "
                  "many GPU hours per month is owning cheaper? (a number; whole hours are fine)")
def break_even(answer: Any) -> tuple[bool, str]:
    truth = break_even_hours(CostInputs(cloud_per_hour=1.2, purchase_price=2400))
    if abs(float(answer) - truth) <= 1:
        return True, "the purchase is spread over the PC's lifetime; each cloud hour saves its price minus power."
    return False, "owning costs purchase_price / lifetime_months per month plus power per hour: solve where " \
                  "that equals cloud_per_hour * hours (or call break_even_hours)."


@exercise("11.2", "Make a JobSpec that trains on a g2-standard-8 machine with the GPU that machine takes "
                  "(keep the other fields of the lesson's spec) and passes validate().")
def g2_spec(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, JobSpec):
        return False, "answer with a JobSpec, e.g. dataclasses.replace(spec, machine_type=..., accelerator_type=...)"
    try:
        answer.validate()
    except ValueError as exc:
        return False, f"validate() says: {exc}"
    if not answer.machine_type.startswith("g2-"):
        return False, f"machine_type is {answer.machine_type!r}; the exercise asks for g2-standard-8"
    return True, "g2 machines carry NVIDIA L4 GPUs; the spec is ready for submit() once you have a project."


@exercise("11.3", "Which environment variable tells a Vertex AI training job where to save its model? (a string)")
def model_dir_variable(answer: Any) -> tuple[bool, str]:
    spec = JobSpec("x", ("gs://bucket/p.whl",), "trainer.task", "gs://bucket/out", accelerator_type=None,
                   accelerator_count=0)
    names = job_environment(spec, "id")
    if str(answer).strip() in names and names[str(answer).strip()].endswith("/model/"):
        return True, "the trainer writes the final weights and their config there; Vertex sets it from base_output_dir."
    return False, "look at job_environment(spec, 'id'): one of the AIP_* variables ends in /model/."
