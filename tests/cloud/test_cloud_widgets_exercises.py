import dataclasses

from mlbasics.cloud.cost import CostInputs, break_even_hours
from mlbasics.workbook.exercises import check
from mlbasics.workbook.widgets.cloud_cost import cost_figure, cost_panel, cost_summary


def test_cost_summary_and_figure():
    text = cost_summary(CostInputs(hours_per_month=400))
    assert "owning is cheaper" in text
    assert "cloud is cheaper" in cost_summary(CostInputs(hours_per_month=1))
    assert len(cost_figure(CostInputs()).axes[0].lines) == 2
    assert cost_panel().children


def test_lesson11_exercises(good_spec):
    assert check("11.1", CostInputs(hours_per_month=100, lifetime_months=48)).correct
    assert "keep the PC longer" in check("11.1", CostInputs(hours_per_month=100)).message  # 36 months: cloud wins
    assert "far behind" in check("11.1", CostInputs(hours_per_month=100, lifetime_months=120)).message
    assert "defaults" in check("11.1", CostInputs(hours_per_month=100, purchase_price=900)).message
    assert "100 hours" in check("11.1", CostInputs(lifetime_months=48)).message
    assert not check("11.1", 48).correct
    assert break_even_hours(CostInputs(lifetime_months=48)) < 100 < break_even_hours(CostInputs())
    g2 = dataclasses.replace(good_spec, machine_type="g2-standard-8", accelerator_type="NVIDIA_L4")
    assert check("11.2", g2).correct
    wrong = check("11.2", dataclasses.replace(good_spec, machine_type="g2-standard-8"))
    assert not wrong.correct and "NVIDIA_L4" in wrong.message


def test_lesson11_spec_to_correct():
    """11.3: the colleague's spec is refused; each fix leads to the next hint; the corrected spec passes."""
    from mlbasics.workbook.exercises.lesson11 import WHEEL, colleague_spec

    broken = colleague_spec()
    steps = [
        ({}, "package_uris"),
        ({"package_uris": (f"gs://mlbasics-data/dist/{WHEEL}",)}, "python_module must be a dotted module name"),
        ({"python_module": "mlbasics.cli.py"}, "base_output_dir"),
        ({"base_output_dir": "gs://mlbasics-jobs/shapes-2"}, "is it the module"),
        ({"machine_type": "n1-standard-8"}, "keep the machine type"),
        ({"package_uris": ("gs://mlbasics-data/dist/other-1.0.whl",), "machine_type": "n1-standard-4",
          "python_module": "mlbasics.cli"},
         "the wheel the lesson built"),
    ]
    spec = broken
    for change, hint in steps:
        spec = dataclasses.replace(spec, **change)
        feedback = check("11.3", spec)
        assert not feedback.correct and hint in feedback.message, (change, feedback.message)
    right = dataclasses.replace(broken, package_uris=(f"gs://mlbasics-data/dist/{WHEEL}",),
                                python_module="mlbasics.cli", base_output_dir="gs://mlbasics-jobs/shapes-2")
    assert check("11.3", right).correct
    assert not check("11.3", "AIP_MODEL_DIR").correct
