"""Exercises of lesson 11 (cloud training jobs)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mlbasics import __version__
from mlbasics.cloud.cost import CostInputs, break_even_hours, monthly_cost
from mlbasics.cloud.job_spec import JobSpec
from mlbasics.cloud.package import TRAINER_MODULE
from mlbasics.workbook.exercises import exercise

#: The file name of the trainer wheel lesson 11 builds and uploads.
WHEEL = f"mlbasics_trainer-{__version__}-py3-none-any.whl"


#: Exercise 11.1's team: GPU hours of training per month.
TEAM_HOURS = 100.0
#: The longest a training PC is written off over in 11.1 (five years; by then its GPU is far behind).
LONGEST_LIFETIME_MONTHS = 60.0


@exercise("11.1", f"Your team trains {TEAM_HOURS:.0f} GPU hours a month. At the lesson's default prices renting is "
                  "cheaper (try monthly_cost or the calculator). Keep every price at its default and change how long "
                  "you keep the PC (lifetime_months) until owning is cheaper. Give that CostInputs.")
def owning_pays(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, CostInputs):
        return False, (f"answer with a CostInputs, e.g. CostInputs(hours_per_month={TEAM_HOURS:.0f}, "
                       "lifetime_months=...)")
    if answer.hours_per_month != TEAM_HOURS:
        return False, (f"the team trains {TEAM_HOURS:.0f} hours a month; you gave "
                       f"hours_per_month={answer.hours_per_month}.")
    changed = [f.name for f in dataclasses.fields(CostInputs)
               if f.name not in ("hours_per_month", "lifetime_months") and getattr(answer, f.name) != f.default]
    if changed:
        return False, f"keep the prices at their defaults; you changed {', '.join(changed)}. Change lifetime_months."
    cost = monthly_cost(answer)
    if cost["own"] >= cost["cloud"]:
        return False, (f"over {answer.lifetime_months:g} months owning costs {cost['own']:.2f} a month (purchase "
                       f"spread over the months, plus power) and renting {cost['cloud']:.2f}: keep the PC longer.")
    if answer.lifetime_months > LONGEST_LIFETIME_MONTHS:
        return False, (f"owning wins, but only by writing the PC off over {answer.lifetime_months:g} months; past "
                       f"{LONGEST_LIFETIME_MONTHS:g} its GPU is far behind. Is there a shorter lifetime that "
                       "still wins?")
    return True, (f"over {answer.lifetime_months:g} months owning costs {cost['own']:.2f} a month against "
                  f"{cost['cloud']:.2f} for renting; break_even_hours now says "
                  f"{break_even_hours(answer):.0f} h. "
                  "The decision turns on how long the machine stays useful, not only on the prices.")


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


def colleague_spec() -> JobSpec:
    """A colleague's job spec for exercise 11.3: the lesson's job, with mistakes that a submission would
    only reveal after the job failed in the cloud. ``validate()`` names them one at a time."""
    return JobSpec(
        display_name="shapes-detector-2",
        package_uris=(f"dist/{WHEEL}",),
        python_module="mlbasics/cli.py",
        base_output_dir="jobs/shapes-2",
        args=("yolo", "train", "--annotations", "gs://mlbasics-data/voc/train.txt",
              "--classes", "gs://mlbasics-data/voc/classes.txt", "--anchors", "gs://mlbasics-data/anchors.txt",
              "--backbone", "gs://mlbasics-data/backbone_classifier.keras", "--verbose", "0"),
        machine_type="n1-standard-4", accelerator_type="NVIDIA_TESLA_T4", accelerator_count=1,
    )


@exercise("11.3", "colleague_spec() is refused by validate(). Correct it with dataclasses.replace, keeping its "
                  "machine type and arguments: the package is the wheel this lesson uploaded, the module the one "
                  "that runs the mlbasics command. Give the corrected JobSpec.")
def corrected_spec(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, JobSpec):
        return False, "answer with a JobSpec, e.g. dataclasses.replace(colleague_spec(), ...)"
    original = colleague_spec()
    if answer.machine_type != original.machine_type or answer.args != original.args:
        return False, "keep the machine type and the arguments; change only what validate() objects to."
    try:
        answer.validate()
    except ValueError as exc:
        return False, f"validate() says: {exc}"
    if answer.python_module != TRAINER_MODULE:
        return False, (f"validate() accepts {answer.python_module!r} as a name, but is it the module whose "
                       "`python -m` runs the mlbasics command? Look at the lesson's spec.")
    if [uri.rsplit("/", 1)[-1] for uri in answer.package_uris] != [WHEEL]:
        return False, "package_uris should list one file: the wheel the lesson built and uploaded."
    if not answer.base_output_dir.startswith("gs://mlbasics-jobs/"):
        return False, "the outputs belong in the lesson's jobs bucket, next to the first job's folder."
    return True, ("it validates, runs the same wheel and module as the lesson's job, and writes to a bucket: the "
                  "job's machine can read and write nothing on your disk.")
